"""Corrupt datasets through the real CLI: `data info` and `train` refuse them in one line naming file, episode
and key (exit 2); the reader under random corruptions (hypothesis) raises DatasetError or reads cleanly."""

from __future__ import annotations

import io
import os
import shutil
import signal
import time
from collections import Counter

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embodied.datasets.hdf5 import DatasetError, demo_names, open_dataset, read_episode
from embodied.datasets.windows import WindowDataset, WindowSpec


def _replace(demo: h5py.Group, key: str, values: np.ndarray) -> None:
    del demo[key]
    demo.create_dataset(key, data=values)


def _short_ids(demo):
    _replace(demo, "subgoal_ids", demo["subgoal_ids"][:-3])


def _ids_outside(demo):
    _replace(demo, "subgoal_ids", demo["subgoal_ids"][()] + 1000)


def _nan_obs(demo):
    values = demo["obs/inventory"][()].astype(np.float32)
    values[2, 0] = np.nan
    _replace(demo, "obs/inventory", values)


def _action_out_of_range(demo):
    _replace(demo, "actions", np.where(np.arange(len(demo["actions"])) == 4, 99, demo["actions"][()]))


def _nan_action(demo):
    values = demo["actions"][()].astype(np.float32)
    values[1] = np.nan
    _replace(demo, "actions", values)


CASES = {  # corruption of demo_1 -> what the one line must say
    "short subgoal_ids": (_short_ids, "demo_1/subgoal_ids has"),
    "ids outside the table": (_ids_outside, "demo_1/subgoal_ids: id"),
    "NaN observation": (_nan_obs, "demo_1/obs/inventory: holds NaN"),
    "action out of range": (_action_out_of_range, "demo_1/actions: step 4 has action 99"),
    "NaN discrete action": (_nan_action, "demo_1/actions: holds NaN"),
}


def _corrupt(source: str, target, corruption) -> str:
    shutil.copy(source, target)
    with h5py.File(target, "a") as file:
        corruption(file["data/demo_1"])
    return str(target)


@pytest.mark.parametrize("case", sorted(CASES))
def test_data_info_refuses_a_corrupt_episode_in_one_line(cli, crafter_dataset, tmp_path, case):
    corruption, expected = CASES[case]
    path = _corrupt(crafter_dataset, tmp_path / "bad.hdf5", corruption)
    result = cli.run("data", "info", path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"embodied data: error: {path}: ") and expected in result.stderr


def test_bad_env_args_is_one_line(cli, crafter_dataset, tmp_path):
    path = tmp_path / "bad.hdf5"
    shutil.copy(crafter_dataset, path)
    with h5py.File(path, "a") as file:
        file["data"].attrs["env_args"] = "{not json"
    result = cli.run("data", "info", str(path))
    assert result.returncode == 2 and "data.attrs['env_args'] is not valid JSON" in result.stderr
    with h5py.File(path, "a") as file:
        file["data"].attrs["env_args"] = '{"discrete": true}'
    assert "has no env_name" in cli.run("data", "info", str(path)).stderr


@pytest.mark.parametrize("case", ["short subgoal_ids", "NaN discrete action"])
def test_train_refuses_a_corrupt_dataset_before_training(cli, crafter_dataset, tmp_path, case):
    corruption, expected = CASES[case]
    path = _corrupt(crafter_dataset, tmp_path / "bad.hdf5", corruption)
    result = cli.run("train", f"dataset={path}", f"out={tmp_path / 'run'}", *cli.tiny_train, "train.steps=5")
    assert result.returncode == 2 and expected in result.stderr and "Traceback" not in result.stderr


def _read_everything(path: str) -> None:
    with open_dataset(path) as file:
        for name in demo_names(file):
            read_episode(file, name)
    WindowDataset(path, WindowSpec(obs_horizon=2, action_start=-1, action_horizon=2))


FUZZED: Counter = Counter()  # outcome -> inputs (printed with -s at the end of the module)
HANG_SECONDS = 40.0  # well above the probe's deadline (embodied/datasets/probe.py)


def _read_in_child(path: str) -> str:
    """`_read_everything` in a forked child: "ok", "dataset-error", "hung" (a bug now: the HDF5 C library can loop
    on a damaged header, and the readers' probe must turn that into a DatasetError) or "other ..." (a bug: any
    other exception)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: read, report one word, exit without running the parent's cleanup
        os.close(read_end)
        try:
            _read_everything(path)
            outcome = "ok"
        except DatasetError as error:
            outcome = "dataset-error" if "\n" not in str(error) else f"other multi-line: {error!r}"
        except BaseException as error:
            outcome = f"other {type(error).__name__}: {error}"
        os.write(write_end, outcome.encode()[:2000])
        os._exit(0)
    os.close(write_end)
    deadline = time.time() + HANG_SECONDS
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.time() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read_end)
            return "hung"
        time.sleep(0.005)
    with os.fdopen(read_end, "rb") as pipe:
        return pipe.read().decode() or "other: the child died without reporting"


@pytest.fixture(scope="module")
def small_file(crafter_dataset, tmp_path_factory) -> bytes:
    """The real dataset cut to its first episode, as bytes (a corruption hits real layout often)."""
    path = tmp_path_factory.mktemp("fuzz") / "one.hdf5"
    with h5py.File(crafter_dataset, "r") as source, h5py.File(path, "w") as target:
        source.copy("data", target, without_attrs=False)
        for name in demo_names(target)[1:]:
            del target["data"][name]
    return path.read_bytes()


@pytest.fixture(scope="module", autouse=True)
def _report_fuzz():
    yield
    if FUZZED:
        print(f"\nHDF5 reader fuzz: {sum(FUZZED.values())} inputs, {dict(FUZZED)}")


FUZZ_SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")), deadline=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ_SETTINGS
@given(data=st.data())
def test_random_corruptions_are_dataset_errors_or_clean_reads(small_file, tmp_path, data):
    raw = bytearray(small_file)
    kind = data.draw(st.sampled_from(["flip", "overwrite", "truncate", "zero"]))
    if kind == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    else:
        start = data.draw(st.integers(0, len(raw) - 1))
        length = data.draw(st.integers(1, 64))
        for offset in range(start, min(len(raw), start + length)):
            raw[offset] = (raw[offset] ^ data.draw(st.integers(1, 255))) if kind == "flip" else \
                (data.draw(st.integers(0, 255)) if kind == "overwrite" else 0)
    path = tmp_path / f"fuzz{sum(FUZZED.values())}.hdf5"
    path.write_bytes(bytes(raw))
    outcome = _read_in_child(str(path))
    path.unlink()
    FUZZED[outcome.split(":")[0]] += 1
    assert outcome in ("ok", "dataset-error"), outcome


# zeroed byte ranges of the one-episode file that make the HDF5 C library loop forever (found by the fuzzer
# above: a damaged attribute heap of data/ and of data/demo_0)
LOOPING_DAMAGE = {"attribute heap of data": (3144, 3179), "attribute heap of demo_0": (3672, 3705)}


@pytest.mark.parametrize("damage", sorted(LOOPING_DAMAGE))
def test_a_file_that_makes_hdf5_loop_is_one_line_within_the_deadline(cli, small_file, tmp_path, damage):
    start, end = LOOPING_DAMAGE[damage]
    raw = bytearray(small_file)
    raw[start:end] = bytes(end - start)
    path = tmp_path / "loops.hdf5"
    path.write_bytes(bytes(raw))
    began = time.time()
    result = cli.run("data", "info", str(path), env={"EMBODIED_HDF5_PROBE_SECONDS": "3"})
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "the HDF5 library read nothing more for 3 s" in lines[0]
    assert time.time() - began < 30


def test_a_big_file_read_slowly_is_not_taken_for_a_loop(cli, small_file, tmp_path):
    """The deadline is on silence, not on the whole read: a file that takes longer than the deadline to read in
    all, but makes progress episode by episode (a big dataset on a loaded CPU), is read; a loop is not."""
    path = tmp_path / "many.hdf5"
    with h5py.File(path, "w") as file, h5py.File(io.BytesIO(small_file), "r") as small:
        data = file.create_group("data")
        for key, value in small["data"].attrs.items():
            data.attrs[key] = value
        for index in range(EPISODES_READ_SLOWLY):
            small.copy(small["data/demo_0"], data, name=f"demo_{index}")
    began = time.time()
    result = cli.run("data", "info", str(path), env={"EMBODIED_HDF5_PROBE_SECONDS": str(SILENCE_SECONDS)})
    assert result.returncode == 0, result.stderr
    assert time.time() - began > SILENCE_SECONDS  # the whole read took longer than the deadline


EPISODES_READ_SLOWLY, SILENCE_SECONDS = 600, 0.5
