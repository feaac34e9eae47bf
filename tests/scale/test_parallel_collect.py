"""`collect workers=2` (a process pool with a bounded window of episodes in flight) records the serial run's
episodes, seed for seed, whatever order they finish in."""

import h5py
import numpy as np


def _actions_by_seed(path: str) -> dict[int, np.ndarray]:
    with h5py.File(path) as handle:
        return {int(demo.attrs["seed"]): demo["actions"][()] for demo in handle["data"].values()}


def test_two_workers_record_the_serial_episodes(tmp_path):
    from embodied.collection import IN_FLIGHT_PER_WORKER, CollectConfig, collect

    episodes = 2 * IN_FLIGHT_PER_WORKER + 3  # more than the window: later episodes are submitted as others finish
    paths = {}
    for workers in (1, 2):
        paths[workers] = str(tmp_path / f"workers{workers}.hdf5")
        result = collect(CollectConfig(env="crafter", episodes=episodes, seed=20, out=paths[workers], workers=workers))
        assert result.episodes == episodes
    serial, parallel = _actions_by_seed(paths[1]), _actions_by_seed(paths[2])
    assert sorted(serial) == sorted(parallel) == list(range(20, 20 + episodes))
    for seed, actions in serial.items():
        np.testing.assert_array_equal(actions, parallel[seed], err_msg=f"seed {seed}")
