"""Training windows (observation history, action chunk, goal) served from HDF5 files held in memory.

Storage (the HDF5 file) is kept apart from windowing: the files are read once into contiguous
arrays, and a batch of windows is one vectorised gather, not B separate h5py reads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from embodied.datasets.hdf5 import DatasetError, demo_names, env_args, goal_texts, open_dataset, step_sources
from embodied.datasets.stats import MinMax
from embodied.datasets.validate import unreadable
from embodied.types import OBS_RGB


@dataclass(frozen=True)
class WindowSpec:
    """Which steps a window holds, relative to its current step t.

    Windows never cross a subgoal boundary (nor an episode's): history before the subgoal started
    repeats its first observation, as at deployment where the policy is reset at each new subgoal.

    obs: t - obs_horizon + 1 ... t;  actions: t + action_start ... t + action_start + action_horizon - 1.
    A causal transformer uses action_start = -(obs_horizon - 1), action_horizon = obs_horizon (one
    action per observation); a diffusion policy predicts a chunk starting at its first observation.
    goal_image: batches also carry `goal_rgb`, the last frame of the window's subgoal segment.
    """

    obs_horizon: int = 1
    action_start: int = 0
    action_horizon: int = 1
    goal_image: bool = False


class WindowDataset:
    """All episodes of one or more dataset files, as windows; `batch(indices)` gathers many at once.

    Batch layout: obs[key] (B, T_o, ...), actions (B, T_a[, A]), action_mask (B, T_a) bool (False
    where the chunk runs past the episode), goal_ids (B, T_o) int64 (the subgoal at each observed
    step), and `goal_texts` (the vocabulary the ids index); with `spec.goal_image`, goal_rgb (B, H, W, 3)
    uint8, the last frame of each window's subgoal segment.
    """

    def __init__(self, paths: str | os.PathLike | Sequence[str | os.PathLike], spec: WindowSpec,
                 obs_keys: Sequence[str] | None = None) -> None:
        paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
        if not paths:
            raise DatasetError("no dataset files given")
        self.spec = spec
        columns: dict[str, list[np.ndarray]] = {}
        actions, goal_ids, starts, ends, dagger = [], [], [], [], []
        offset = 0
        self.env_args, self.goal_texts = None, None
        for path in paths:
            with open_dataset(path) as file, unreadable(os.fspath(path)):
                self._check_compatible(os.fspath(path), env_args(file), goal_texts(file))
                names = demo_names(file)
                if not names:
                    raise DatasetError(f"{path}: holds no finished episodes")
                keys = list(obs_keys) if obs_keys is not None else list(file["data"][names[0]]["obs"])
                for name in names:
                    demo = file["data"][name]
                    missing = [k for k in keys if k not in demo["obs"]]
                    if missing:
                        raise DatasetError(f"{path}: {name} lacks obs keys {missing}")
                    for key in keys:
                        columns.setdefault(key, []).append(demo["obs"][key][()])
                    actions.append(demo["actions"][()])
                    dagger.append(np.asarray(step_sources(file, name)) == "dagger")
                    goal_ids.append(demo["subgoal_ids"][()].astype(np.int64))
                    segment_start, segment_end = _segments(goal_ids[-1])
                    starts.append(segment_start + offset)
                    ends.append(segment_end + offset)
                    offset += len(actions[-1])
        self.obs = {key: np.concatenate(parts) for key, parts in columns.items()}
        self.actions = np.concatenate(actions)
        self.from_dagger = np.concatenate(dagger)  # per step: labelled by the expert on a DAgger rollout
        self.goal_ids = np.concatenate(goal_ids)
        self.segment_start = np.concatenate(starts)
        self.segment_end = np.concatenate(ends)
        self.num_episodes = len(actions)
        self.discrete = np.issubdtype(self.actions.dtype, np.integer)
        if spec.goal_image and OBS_RGB not in self.obs:
            raise DatasetError(f"{paths[0]}: goal images need obs/{OBS_RGB}; the dataset has {sorted(self.obs)}")

    def _check_compatible(self, path: str, args: dict, texts: tuple[str, ...]) -> None:
        if self.env_args is None:
            self.env_args, self.goal_texts = args, texts
        elif args.get("env_name") != self.env_args.get("env_name") or texts != self.goal_texts:
            raise DatasetError(f"{path}: env {args.get('env_name')!r} differs from the first file's "
                               f"{self.env_args.get('env_name')!r}; train on one world at a time")
        elif (args.get("env_kwargs") or {}) != (self.env_args.get("env_kwargs") or {}):
            raise DatasetError(f"{path}: recorded with env kwargs {args.get('env_kwargs') or {}}, the first file "
                               f"with {self.env_args.get('env_kwargs') or {}}; train on one setting at a time")

    def __len__(self) -> int:
        return len(self.actions)

    @property
    def env_name(self) -> str:
        return str(self.env_args.get("env_name"))

    def batch(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        """Windows ending at global steps `indices` (B,), gathered in one go."""
        spec = self.spec
        t = np.asarray(indices)[:, None]
        start, end = self.segment_start[indices][:, None], self.segment_end[indices][:, None]
        obs_index = np.clip(t + np.arange(1 - spec.obs_horizon, 1)[None], start, None)
        raw_action_index = t + spec.action_start + np.arange(spec.action_horizon)[None]
        action_mask = (raw_action_index >= start) & (raw_action_index < end)
        action_index = np.clip(raw_action_index, start, end - 1)
        batch = {
            "obs": {key: values[obs_index] for key, values in self.obs.items()},
            "actions": self.actions[action_index],
            "action_mask": action_mask,
            "goal_ids": self.goal_ids[obs_index],
        }
        if spec.goal_image:
            batch["goal_rgb"] = self.obs[OBS_RGB][self.segment_end[indices] - 1]
        return batch

    def batches(self, batch_size: int, rng: np.random.Generator,
                dagger_weight: float = 1.0) -> Iterator[dict[str, np.ndarray]]:
        """Endless random batches; a step labelled on a DAgger rollout is drawn `dagger_weight` times as often as
        a demonstration's (1: uniform over steps, the same draws as before the option existed)."""
        if dagger_weight == 1.0 or not self.from_dagger.any():
            while True:
                yield self.batch(rng.integers(0, len(self), size=batch_size))
        cumulative = np.cumsum(np.where(self.from_dagger, dagger_weight, 1.0))
        while True:
            yield self.batch(np.searchsorted(cumulative, rng.random(batch_size) * cumulative[-1], side="right"))

    def low_dim_stats(self) -> dict[str, MinMax]:
        """Min/max of every non-image observation key, and of continuous actions."""
        stats = {key: MinMax.of(values) for key, values in self.obs.items() if key != OBS_RGB}
        if not self.discrete:
            stats["actions"] = MinMax.of(self.actions)
        return stats


def _segments(goal_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per step, the first index of its subgoal segment and one past its last (episode-relative)."""
    length = len(goal_ids)
    boundaries = np.flatnonzero(np.diff(goal_ids) != 0) + 1
    edges = np.concatenate([[0], boundaries, [length]])
    segment = np.repeat(np.arange(len(edges) - 1), np.diff(edges))
    return edges[segment], edges[segment + 1]
