"""Summary of a trajectory dataset: episodes, steps, keys, shapes, subgoal counts (`embodied data info`)."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from embodied.datasets.hdf5 import demo_names, env_args, open_dataset, step_sources
from embodied.datasets.validate import unreadable


@dataclass
class DatasetSummary:
    """What `embodied data info` prints."""

    path: str
    env_args: dict[str, Any]
    episodes: int
    steps: int
    successful_episodes: int
    columns: dict[str, tuple[tuple[int, ...], str]] = field(default_factory=dict)  # key -> (shape, dtype)
    subgoal_steps: Counter = field(default_factory=Counter)
    subgoal_segments: Counter = field(default_factory=Counter)
    instructions: Counter = field(default_factory=Counter)
    sources: Counter = field(default_factory=Counter)  # steps per label source ("expert", "dagger")
    size_mb: float = 0.0


def summarize(path: str | os.PathLike) -> DatasetSummary:
    """Read every episode's metadata and subgoal column (not the images) into a summary."""
    with open_dataset(path) as file, unreadable(os.fspath(path)):
        names = demo_names(file)
        summary = DatasetSummary(os.fspath(path), env_args(file), len(names), 0, 0,
                                 size_mb=os.path.getsize(path) / 2**20)
        for name in names:
            demo = file["data"][name]
            summary.steps += demo["actions"].shape[0]
            summary.successful_episodes += int(bool(demo.attrs.get("success", False)))
            summary.instructions[str(demo.attrs.get("instruction", ""))] += 1
            subgoals = [s.decode() if isinstance(s, bytes) else str(s) for s in demo["subgoals"][()]]
            summary.subgoal_steps.update(subgoals)
            summary.sources.update(step_sources(file, name))
            summary.subgoal_segments.update(s for i, s in enumerate(subgoals) if i == 0 or subgoals[i - 1] != s)
            if not summary.columns:
                summary.columns = {
                    f"obs/{key}": (demo["obs"][key].shape[1:], str(demo["obs"][key].dtype)) for key in demo["obs"]
                }
                summary.columns["actions"] = (demo["actions"].shape[1:], str(demo["actions"].dtype))
    return summary
