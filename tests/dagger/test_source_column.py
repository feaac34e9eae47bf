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
