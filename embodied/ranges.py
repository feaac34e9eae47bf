"""Range checks for the typed configs: a value out of range is one line naming the key and what is expected."""

from __future__ import annotations

import math
from typing import Any


def check_ranges(config: Any, where: str, positive: tuple[str, ...] = (), non_negative: tuple[str, ...] = (),
                 unit: tuple[str, ...] = ()) -> None:
    """ValueError naming `where.key`, its value and the expected range, for the first value out of range."""
    for keys, test, expected in ((positive, lambda v: v > 0, "> 0"), (non_negative, lambda v: v >= 0, ">= 0"),
                                 (unit, lambda v: 0 <= v < 1, "in [0, 1)")):
        for key in keys:
            value = getattr(config, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not test(value):
                raise ValueError(f"{where}.{key}={value!r}: expected a number {expected}")


VIDEO_SUFFIXES = (".mp4", ".gif")


def check_video_path(path: str | None, where: str) -> None:
    """ValueError naming `where.video` when a video path has no suffix the writer knows (before any episode runs)."""
    if path is not None and not str(path).lower().endswith(VIDEO_SUFFIXES):
        raise ValueError(f"{where}.video={path!r}: expected a file name ending in .mp4 or .gif")
