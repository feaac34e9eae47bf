"""HDF5 trajectory files in robomimic's layout, plus subgoal annotations and the episode's instruction.

Layout (see data/README.md):
    data/                         attrs: env_args (JSON), total, goal_texts (JSON), format_version
    data/demo_N/                  attrs: num_samples, instruction, plan (JSON), seed, success,
                                         subgoal_results (JSON)
    data/demo_N/obs/<key>         (T, ...)   e.g. rgb (T, H, W, 3) uint8 (gzip), inventory (T, 16)
    data/demo_N/actions           (T,) int64 for discrete worlds, (T, A) float32 for continuous ones
    data/demo_N/rewards, dones    (T,)
    data/demo_N/subgoals          (T,) utf-8 text of the subgoal active at each step
    data/demo_N/subgoal_ids       (T,) int32 index into data.attrs["goal_texts"]
    data/demo_N/source            (T,) utf-8, optional: who labelled each step ("expert", "dagger");
                                       absent means "expert"

Each episode is written whole and the file is closed after it, so a recording killed mid-way
leaves every finished episode readable; an episode is written under a temporary name and renamed
only once complete, so readers never see half an episode. A writer holds `<file>.lock` (fcntl) for its
whole life: a second writer of the same file is refused with one line. Before each episode the writer
checks there is room for it (free disk space and the process's file size limit, `ulimit -f`): a full disk
stops the recording with one line, before HDF5 is asked to write what cannot be written. A reader that has
the file open (`embodied data info`, training) holds HDF5's own file lock: the writer waits for it to close
(up to `READER_WAIT_SECONDS`) and then stops with one line, the episodes written so far kept.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import resource
import time
from dataclasses import dataclass, field
from typing import Any

import h5py
import numpy as np

FORMAT_VERSION = 1
_DEMO = re.compile(r"^demo_(\d+)$")
_IMAGE_KEYS = ("rgb",)
_HEADROOM = 64 << 10  # bytes of HDF5 metadata an episode may add beyond its arrays
READER_WAIT_SECONDS = 120.0  # how long a writer waits for readers of its file to close it


class DatasetError(ValueError):
    """A file is not a readable trajectory dataset of this platform (one line says why)."""


class DiskFullError(DatasetError):
    """No room for the next episode (disk full, or the file size limit); the episodes written are kept."""


@dataclass
class Episode:
    """One recorded episode: per-step arrays plus episode-level annotations."""

    obs: dict[str, np.ndarray]
    actions: np.ndarray
    rewards: np.ndarray
    dones: np.ndarray
    subgoals: list[str]
    subgoal_ids: np.ndarray
    instruction: str = ""
    plan: dict[str, Any] = field(default_factory=dict)
    seed: int = -1
    success: bool = False
    subgoal_results: list[dict[str, Any]] = field(default_factory=list)
    source: list[str] | None = None  # per step: "expert" (a demonstration) or "dagger" (an expert-labelled rollout)

    def __len__(self) -> int:
        return len(self.actions)


class DatasetLockedError(DatasetError):
    """Another process is writing the same dataset file."""


class DatasetWriter:
    """Appends whole episodes to an HDF5 file (created if missing), one open/close per episode; holds the
    file's lock until `close()` (or the end of a `with` block)."""

    def __init__(self, path: str | os.PathLike, env_args: dict[str, Any], goal_texts: tuple[str, ...]) -> None:
        self.path = os.fspath(path)
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        self._lock = _lock(self.path)
        try:
            self._prepare(env_args, goal_texts)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Release the lock (the lock file stays; it is free once no process holds it)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def seeds(self) -> list[int]:
        """The seeds of the episodes already in the file."""
        with h5py.File(self.path, "r") as file:
            return [int(file["data"][n].attrs.get("seed", -1)) for n in demo_names(file)]

    def _prepare(self, env_args: dict[str, Any], goal_texts: tuple[str, ...]) -> None:
        try:
            file = h5py.File(self.path, "a")
        except OSError as error:
            raise DatasetError(f"{self.path}: cannot open it for writing ({error.__class__.__name__}: "
                               f"{str(error).splitlines()[0][:120]})") from None
        with file:
            data = file.require_group("data")
            if "env_args" in data.attrs:
                existing = json.loads(data.attrs["env_args"])
                if existing.get("env_name") != env_args.get("env_name"):
                    raise DatasetError(
                        f"{self.path}: holds episodes of env {existing.get('env_name')!r}, "
                        f"cannot append episodes of {env_args.get('env_name')!r}"
                    )
            else:
                data.attrs["env_args"] = json.dumps(env_args)
                data.attrs["goal_texts"] = json.dumps(list(goal_texts))
                data.attrs["total"] = 0
                data.attrs["format_version"] = FORMAT_VERSION
            for name in [n for n in data if n.startswith("_partial")]:
                del data[name]  # left by an interrupted write: never part of the dataset

    def write(self, episode: Episode) -> str:
        """Write one episode; returns its group name (`demo_N`)."""
        _check_lengths(episode)
        self._check_room(episode)
        try:
            return self._write(episode)
        except (OSError, RuntimeError) as error:
            if not any(code in str(error) for code in ("errno = 27", "errno = 28", "No space", "too large")):
                raise
            raise DiskFullError(f"{self.path}: the disk filled up while writing an episode ({_first_line(error)}); "
                                f"the episodes finished before it are kept") from None

    def _check_room(self, episode: Episode) -> None:
        needed = _HEADROOM + sum(np.asarray(v).nbytes for v in episode.obs.values()) + sum(
            np.asarray(v).nbytes for v in (episode.actions, episode.rewards, episode.dones, episode.subgoal_ids))
        needed += sum(len(text.encode()) + 16 for text in episode.subgoals)
        stat = os.statvfs(os.path.dirname(os.path.abspath(self.path)))
        room, where = stat.f_bavail * stat.f_frsize, "free on the disk"
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if limit != resource.RLIM_INFINITY and limit - os.path.getsize(self.path) < room:
            room, where = limit - os.path.getsize(self.path), "left under the file size limit (ulimit -f)"
        if room < needed:
            with h5py.File(self.path, "r") as file:
                kept = len(demo_names(file))
            raise DiskFullError(f"{self.path}: no room for the next episode (it needs up to {needed / 1e6:.2f} MB, "
                                f"{max(room, 0) / 1e6:.2f} MB {where}); the {kept} episodes in the file are kept: "
                                f"free some space and run the same command again to append the rest")

    def _write(self, episode: Episode) -> str:
        with _open_for_append(self.path) as file:
            data = file["data"]
            index = 1 + max((int(m.group(1)) for m in map(_DEMO.match, data) if m), default=-1)
            name = f"demo_{index}"
            group = data.create_group(f"_partial_{name}")
            for key, value in episode.obs.items():
                compression = {"compression": "gzip", "compression_opts": 4} if key in _IMAGE_KEYS else {}
                group.create_dataset(f"obs/{key}", data=value, **compression)
            group.create_dataset("actions", data=episode.actions)
            group.create_dataset("rewards", data=np.asarray(episode.rewards, np.float32))
            group.create_dataset("dones", data=np.asarray(episode.dones, np.uint8))
            group.create_dataset("subgoals", data=np.array(episode.subgoals, dtype=h5py.string_dtype()))
            group.create_dataset("subgoal_ids", data=np.asarray(episode.subgoal_ids, np.int32))
            if episode.source is not None:
                group.create_dataset("source", data=np.array(episode.source, dtype=h5py.string_dtype()))
            group.attrs.update({
                "num_samples": len(episode),
                "instruction": episode.instruction,
                "plan": json.dumps(episode.plan),
                "seed": episode.seed,
                "success": bool(episode.success),
                "subgoal_results": json.dumps(episode.subgoal_results),
            })
            data.move(f"_partial_{name}", name)
            data.attrs["total"] = int(data.attrs["total"]) + len(episode)
            file.flush()
        return name


def _open_for_append(path: str) -> h5py.File:
    """`h5py.File(path, "a")`, waiting while another process has the file open for reading (HDF5's file lock)."""
    deadline = time.monotonic() + READER_WAIT_SECONDS
    while True:
        try:
            return h5py.File(path, "a")
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise DatasetLockedError(
                    f"{path}: another process has kept the file open for {READER_WAIT_SECONDS:.0f} s (a reader "
                    f"such as `embodied data info` or a training run); the episodes written so far are kept: close it "
                    f"and run the same command again to append the rest") from None
            time.sleep(0.2)


def _lock(path: str):
    """An exclusive, non-blocking flock on `<path>.lock` (its content: the holder's pid)."""
    handle = open(path + ".lock", "a+")  # noqa: SIM115 (held open as long as the writer lives)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        owner = handle.read().strip() or "?"
        handle.close()
        raise DatasetLockedError(f"{path}: another process (pid {owner}) is writing this file (lock {path}.lock); "
                                 f"wait for it to finish or choose another out=") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0][:120] if str(error) else error.__class__.__name__


def _check_lengths(episode: Episode) -> None:
    length = len(episode.actions)
    columns = {f"obs/{k}": len(v) for k, v in episode.obs.items()}
    columns.update(rewards=len(episode.rewards), dones=len(episode.dones), subgoals=len(episode.subgoals),
                   subgoal_ids=len(episode.subgoal_ids))
    if episode.source is not None:
        columns["source"] = len(episode.source)
    wrong = {k: n for k, n in columns.items() if n != length}
    if wrong or length == 0:
        raise DatasetError(f"episode columns must all have {length} > 0 steps, got {wrong}")


def open_dataset(path: str | os.PathLike) -> h5py.File:
    """Open a dataset read-only once it is validated and read through in a child process with a deadline
    (embodied/datasets/probe.py, embodied/datasets/validate.py), or raise DatasetError."""
    from embodied.datasets.probe import probe

    path = os.fspath(path)
    if not os.path.exists(path):
        raise DatasetError(f"{path}: no such file")
    probe(path)
    try:
        return h5py.File(path, "r")
    except BlockingIOError:
        raise DatasetError(f"{path}: another process is writing it right now; try again when it is done") from None
    except OSError as error:
        raise DatasetError(f"{path}: not an HDF5 file ({error.__class__.__name__})") from None


def demo_names(file: h5py.File) -> list[str]:
    """`demo_N` groups in numeric order (temporary, unfinished groups are ignored)."""
    return sorted((n for n in file["data"] if _DEMO.match(n)), key=lambda n: int(n.split("_")[1]))


def env_args(file: h5py.File) -> dict[str, Any]:
    return json.loads(file["data"].attrs["env_args"])


def dataset_paths(dataset: Any) -> list[str]:
    """A `dataset=` value (one path or a list of them) as a list of paths."""
    return [dataset] if isinstance(dataset, (str, os.PathLike)) else [str(path) for path in dataset]


def goal_texts(file: h5py.File) -> tuple[str, ...]:
    return tuple(json.loads(file["data"].attrs["goal_texts"]))


def read_episode(file: h5py.File, name: str) -> Episode:
    """Load one whole episode into memory (DatasetError if the file is damaged)."""
    from embodied.datasets.validate import unreadable

    with unreadable(file.filename, name):
        return _read_episode(file["data"][name])


def _read_episode(demo: h5py.Group) -> Episode:
    return Episode(
        obs={key: demo["obs"][key][()] for key in demo["obs"]},
        actions=demo["actions"][()],
        rewards=demo["rewards"][()],
        dones=demo["dones"][()],
        subgoals=_texts(demo["subgoals"][()]),
        subgoal_ids=demo["subgoal_ids"][()],
        instruction=str(demo.attrs.get("instruction", "")),
        plan=json.loads(demo.attrs.get("plan", "{}")),
        seed=int(demo.attrs.get("seed", -1)),
        success=bool(demo.attrs.get("success", False)),
        subgoal_results=json.loads(demo.attrs.get("subgoal_results", "[]")),
        source=_texts(demo["source"][()]) if "source" in demo else None,
    )


def step_sources(file: h5py.File, name: str) -> list[str]:
    """Who labelled each step of episode `name`: its `source` column, or "expert" throughout (older files)."""
    demo = file["data"][name]
    if "source" in demo:
        return _texts(demo["source"][()])
    return ["expert"] * int(demo["actions"].shape[0])


def _texts(values: np.ndarray) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]
