"""The optional per-step `source` column of the HDF5 schema: written when given, readable when absent."""

import numpy as np

from embodied.datasets.hdf5 import DatasetWriter, Episode, open_dataset, read_episode, step_sources


def _episode(length: int, source: list[str] | None) -> Episode:
    return Episode(obs={"state": np.zeros((length, 2), np.float32)}, actions=np.arange(length),
                   rewards=np.zeros(length), dones=np.eye(length)[-1], subgoals=["a"] * length,
                   subgoal_ids=np.zeros(length, np.int32), source=source)


def test_source_round_trip_and_absent_means_expert(tmp_path):
    path = tmp_path / "d.hdf5"
    writer = DatasetWriter(path, {"env_name": "toy", "discrete": True, "action_dim": 3}, ("a",))
    writer.write(_episode(3, None))
    writer.write(_episode(2, ["dagger", "dagger"]))
    with open_dataset(path) as file:
        assert read_episode(file, "demo_0").source is None
        assert step_sources(file, "demo_0") == ["expert"] * 3
        assert read_episode(file, "demo_1").source == ["dagger", "dagger"]
        assert step_sources(file, "demo_1") == ["dagger", "dagger"]



def test_dagger_weight_draws_dagger_steps_that_much_more_often(tmp_path):
    from embodied.datasets.windows import WindowDataset, WindowSpec

    path = tmp_path / "d.hdf5"
    writer = DatasetWriter(path, {"env_name": "toy", "discrete": True, "action_dim": 64}, ("a",))
    writer.write(_episode(30, None))  # 30 demonstration steps (state 0), then 10 DAgger steps (state 1)
    dagger = _episode(10, ["dagger"] * 10)
    dagger.obs["state"][:] = 1
    writer.write(dagger)
    writer.close()
    dataset = WindowDataset([path], WindowSpec())
    assert dataset.from_dagger.tolist() == [False] * 30 + [True] * 10

    def dagger_share(weight: float) -> float:
        batch = next(dataset.batches(4000, np.random.default_rng(0), dagger_weight=weight))
        return float(np.mean(batch["obs"]["state"][:, -1, 0] == 1))

    assert abs(dagger_share(1.0) - 10 / 40) < 0.03  # uniform over steps
    assert abs(dagger_share(6.0) - 60 / 90) < 0.03  # 10 steps drawn 6 times as often as 30
    uniform = next(dataset.batches(8, np.random.default_rng(3)))["obs"]["state"]
    assert np.array_equal(uniform, dataset.batch(np.random.default_rng(3).integers(0, 40, size=8))["obs"]["state"])
