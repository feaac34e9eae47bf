import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from embodied.datasets.hdf5 import DatasetError, DatasetWriter, Episode, demo_names, open_dataset, read_episode
from embodied.datasets.info import summarize
from embodied.datasets.windows import WindowDataset, WindowSpec


def _episode(length: int, subgoals: list[str]) -> Episode:
    return Episode(obs={"state": np.arange(length * 3, dtype=np.float32).reshape(length, 3)},
                   actions=np.arange(length), rewards=np.zeros(length), dones=np.eye(length)[-1],
                   subgoals=subgoals, subgoal_ids=np.array([0 if s == "a" else 1 for s in subgoals]),
                   instruction="do a then b", seed=3, success=True)


def test_robomimic_layout_and_round_trip(tmp_path):
    path = tmp_path / "d.hdf5"
    writer = DatasetWriter(path, {"env_name": "toy", "discrete": True, "action_dim": 5}, ("a", "b"))
    assert writer.write(_episode(4, ["a", "a", "b", "b"])) == "demo_0"
    assert writer.write(_episode(3, ["b", "b", "b"])) == "demo_1"
    with h5py.File(path, "r") as file:
        assert file["data"].attrs["total"] == 7
        assert file["data/demo_0"].attrs["num_samples"] == 4
        assert file["data/demo_0/obs/state"].shape == (4, 3)
    with open_dataset(path) as file:
        episode = read_episode(file, "demo_0")
    assert episode.subgoals == ["a", "a", "b", "b"] and episode.instruction == "do a then b"


def test_appending_another_world_is_refused(tmp_path):
    path = tmp_path / "d.hdf5"
    DatasetWriter(path, {"env_name": "toy"}, ("a",))
    with pytest.raises(DatasetError, match="cannot append"):
        DatasetWriter(path, {"env_name": "other"}, ("a",))


def test_foreign_files_get_one_line_errors(tmp_path):
    text = tmp_path / "notes.hdf5"
    text.write_text("hello")
    with pytest.raises(DatasetError, match="not an HDF5 file"):
        open_dataset(text)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as file:
        file["x"] = np.zeros(3)
    with pytest.raises(DatasetError, match="no 'data' group"):
        open_dataset(foreign)
    with pytest.raises(DatasetError, match="no such file"):
        open_dataset(tmp_path / "missing.hdf5")


def test_unfinished_episode_groups_are_invisible(tmp_path):
    path = tmp_path / "d.hdf5"
    DatasetWriter(path, {"env_name": "toy"}, ("a", "b")).write(_episode(2, ["a", "b"]))
    with h5py.File(path, "a") as file:  # what a write killed half-way leaves behind
        file["data"].create_group("_partial_demo_1/obs")
    with open_dataset(path) as file:
        assert demo_names(file) == ["demo_0"]
    DatasetWriter(path, {"env_name": "toy"}, ("a", "b"))  # reopening for append cleans it up
    with h5py.File(path, "r") as file:
        assert "_partial_demo_1" not in file["data"]


def _hold_open_for_reading(path, seconds: float) -> subprocess.Popen:
    """Another process with the file open for reading (as `embodied data info` has it) for `seconds`."""
    code = ("import sys, time, h5py\nwith h5py.File(sys.argv[1], 'r'):\n    print('open', flush=True)\n"
            "    time.sleep(float(sys.argv[2]))")
    if os.environ.get("HDF5_USE_FILE_LOCKING", "").upper() == "FALSE":
        pytest.skip("HDF5 file locking is turned off here (HDF5_USE_FILE_LOCKING=FALSE): readers do not block writers")
    reader = subprocess.Popen([sys.executable, "-c", code, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "open"
    return reader


def test_a_reader_of_the_file_delays_the_next_episode_instead_of_crashing_it(tmp_path):
    path = tmp_path / "d.hdf5"
    writer = DatasetWriter(path, {"env_name": "toy"}, ("a", "b"))
    writer.write(_episode(2, ["a", "b"]))
    reader = _hold_open_for_reading(path, 1.5)
    started = time.monotonic()
    assert writer.write(_episode(3, ["a", "a", "b"])) == "demo_1"  # was: BlockingIOError, the recording lost
    assert time.monotonic() - started > 0.5 and reader.wait(10) == 0
    with open_dataset(path) as file:
        assert demo_names(file) == ["demo_0", "demo_1"]


def test_a_reader_that_never_closes_the_file_is_one_line_with_the_episodes_kept(tmp_path, monkeypatch):
    import embodied.datasets.hdf5 as hdf5

    path = tmp_path / "d.hdf5"
    writer = DatasetWriter(path, {"env_name": "toy"}, ("a", "b"))
    writer.write(_episode(2, ["a", "b"]))
    monkeypatch.setattr(hdf5, "READER_WAIT_SECONDS", 0.5)
    reader = _hold_open_for_reading(path, 30)
    try:
        with pytest.raises(hdf5.DatasetLockedError, match="kept the file open for 0 s.*episodes written so far"):
            writer.write(_episode(3, ["a", "a", "b"]))
    finally:
        reader.kill()
        reader.wait()
    with open_dataset(path) as file:
        assert demo_names(file) == ["demo_0"]


def test_killed_recording_keeps_finished_episodes(tmp_path):
    """SIGKILL `embodied collect` mid-way: every episode written before the kill is readable."""
    path = tmp_path / "killed.hdf5"
    command = [sys.executable, "-m", "embodied.cli.main", "collect", "episodes=40", "workers=1", f"out={path}"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        time.sleep(0.5)
        if path.exists():
            try:
                with open_dataset(path) as file:
                    if len(demo_names(file)) >= 2:
                        break
            except (DatasetError, OSError):
                pass  # file is being written right now
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    summary = summarize(path)
    assert 2 <= summary.episodes < 40
    with open_dataset(path) as file:
        for name in demo_names(file):
            episode = read_episode(file, name)
            assert len(episode) == len(episode.obs["rgb"]) > 0


def test_windows_never_cross_subgoal_boundaries(tmp_path):
    path = tmp_path / "d.hdf5"
    DatasetWriter(path, {"env_name": "toy"}, ("a", "b")).write(_episode(5, ["a", "a", "b", "b", "b"]))
    dataset = WindowDataset(path, WindowSpec(obs_horizon=3, action_start=-2, action_horizon=3))
    batch = dataset.batch(np.array([2, 4]))
    # step 2 starts subgoal "b": its history repeats step 2, earlier actions are masked out
    assert batch["obs"]["state"][0, :, 0].tolist() == [6, 6, 6]
    assert batch["action_mask"][0].tolist() == [False, False, True]
    assert batch["obs"]["state"][1, :, 0].tolist() == [6, 9, 12]
    assert batch["actions"][1].tolist() == [2, 3, 4]
    assert batch["goal_ids"][1].tolist() == [1, 1, 1]


def test_summary_of_a_recorded_crafter_dataset(crafter_dataset):
    summary = summarize(crafter_dataset)
    assert summary.episodes == 3 and summary.successful_episodes == 3
    assert summary.columns["obs/rgb"] == ((64, 64, 3), "uint8")
    assert summary.subgoal_segments["make stone pickaxe"] == 3
    assert sum(summary.subgoal_steps.values()) == summary.steps
