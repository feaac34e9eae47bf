"""The dataset validator shared by `data info`, `train` and every reader (through `open_dataset`).

A file passes when its `env_args` is a JSON object naming `env_name`, its `goal_texts` a JSON list of texts,
and every episode has the columns of the layout (data/README.md) with one row per step, subgoal ids inside
the subgoal table, finite numbers, and discrete actions that are integers in [0, action_dim). Each failure is
a DatasetError naming the file, the episode, the key and what was expected. Low-level h5py failures of a
damaged file (`unreadable`) become DatasetError too.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import h5py
import numpy as np

from embodied.datasets.hdf5 import DatasetError, demo_names

PER_STEP = ("actions", "subgoals", "subgoal_ids", "rewards", "dones")  # besides obs/<key>
_READ_ERRORS = (OSError, KeyError, RuntimeError, ValueError, TypeError, AttributeError, IndexError)


@contextlib.contextmanager
def unreadable(path: str, where: str = "") -> Iterator[None]:
    """Turn what h5py raises on a damaged file into one DatasetError line (DatasetError passes through)."""
    try:
        yield
    except DatasetError:
        raise
    except _READ_ERRORS as error:
        detail = str(error).splitlines()[0][:160] if str(error) else "no detail"
        raise DatasetError(f"{path}: {where + ': ' if where else ''}unreadable ({type(error).__name__}: "
                           f"{detail})") from None


def validate_file(path: str, file: h5py.File, beat: Callable[[], None] | None = None) -> None:
    """Raise DatasetError for the first thing in `file` a reader could not trust; `beat()` after each episode."""
    with unreadable(path):
        if "data" not in file or not isinstance(file["data"], h5py.Group):
            raise DatasetError(f"{path}: no 'data' group; expected robomimic layout data/demo_N/{{obs,actions}}")
        attrs = file["data"].attrs
        if "env_args" not in attrs:
            raise DatasetError(f"{path}: 'data' has no env_args attribute; not a dataset written by embodied")
        args = _json_attr(path, attrs, "env_args", dict)
        if not isinstance(args.get("env_name"), str) or not args["env_name"]:
            raise DatasetError(f"{path}: data.attrs['env_args'] has no env_name (expected the world's name)")
        texts = _json_attr(path, attrs, "goal_texts", list) if "goal_texts" in attrs else []
        if not all(isinstance(text, str) for text in texts):
            raise DatasetError(f"{path}: data.attrs['goal_texts'] must be a JSON list of subgoal texts")
        names = demo_names(file)
    for name in names:
        with unreadable(path, name):
            validate_episode(path, name, file["data"][name], args, len(texts))
        if beat is not None:
            beat()


def validate_episode(path: str, name: str, demo: Any, args: dict[str, Any], num_goals: int) -> None:
    """Columns present, one row per step, ids in the subgoal table, finite values, discrete actions in range."""
    where = f"{path}: {name}"
    if not isinstance(demo, h5py.Group) or not isinstance(demo.get("obs"), h5py.Group):
        raise DatasetError(f"{where}: expected a group with obs/ (robomimic layout)")
    missing = [key for key in ("actions", "subgoals", "subgoal_ids") if key not in demo]
    if missing:
        raise DatasetError(f"{where} has no '{missing[0]}' (expected one row per step)")
    length = demo["actions"].shape[0] if demo["actions"].shape else 0
    if length == 0:
        raise DatasetError(f"{where}/actions: empty (expected at least one step)")
    columns = [(f"obs/{key}", demo["obs"][key]) for key in demo["obs"]]
    columns += [(key, demo[key]) for key in PER_STEP if key in demo]
    for key, column in columns:
        rows = column.shape[0] if isinstance(column, h5py.Dataset) and column.shape else None
        if rows != length:
            raise DatasetError(f"{where}/{key} has {rows} steps, actions has {length} (expected equal)")
    ids = demo["subgoal_ids"][()]
    if not np.issubdtype(ids.dtype, np.integer) or (ids.size and (ids.min() < 0 or ids.max() >= num_goals)):
        shown = ids.min() if ids.size and ids.min() < 0 else ids.max()
        raise DatasetError(f"{where}/subgoal_ids: id {shown} outside the subgoal table (expected integers in "
                           f"[0, {num_goals}), data.attrs['goal_texts'])")
    for key, column in columns:
        if column.dtype.kind == "f" and not np.isfinite(column[()]).all():
            raise DatasetError(f"{where}/{key}: holds NaN or infinite values (expected finite numbers)")
    _check_actions(where, demo["actions"], args)


def _check_actions(where: str, column: h5py.Dataset, args: dict[str, Any]) -> None:
    if not args.get("discrete") or "action_dim" not in args:
        dim = args.get("action_dim")
        if args.get("discrete") is False and dim is not None and tuple(column.shape[1:]) != (int(dim),):
            raise DatasetError(f"{where}/actions: shape {tuple(column.shape)} (expected (T, {dim}))")
        return
    actions, dim = column[()], int(args["action_dim"])
    if column.dtype.kind not in "iuf" or actions.ndim != 1:
        raise DatasetError(f"{where}/actions: {column.dtype} {tuple(column.shape)} (expected (T,) integers)")
    bad = (actions != np.round(actions)) | (actions < 0) | (actions >= dim) if actions.dtype.kind == "f" else \
        (actions < 0) | (actions >= dim)
    if bad.any():
        step = int(np.flatnonzero(bad)[0])
        raise DatasetError(f"{where}/actions: step {step} has action {actions[step]} (expected an integer in "
                           f"[0, {dim}))")


def _json_attr(path: str, attrs: Any, key: str, kind: type) -> Any:
    try:
        value = json.loads(attrs[key])
    except (TypeError, ValueError) as error:
        raise DatasetError(f"{path}: data.attrs[{key!r}] is not valid JSON ({str(error).splitlines()[0]})") from None
    if not isinstance(value, kind):
        raise DatasetError(f"{path}: data.attrs[{key!r}] is a JSON {type(value).__name__} (expected a "
                           f"{kind.__name__})")
    return value
