"""Observation options for Crafter beside the pixels: the local view as one-hot materials and creatures (the
symbolic observation Craftax-Symbolic offers), and a map of what the agent has seen so far.

`semantic` is the same 9x7 window of the world the camera shows, one channel per material or creature id
(crafter's SemanticView ids: 0 outside the world, 1-12 materials, 13-18 player, cow, zombie, skeleton, arrow,
plant). `memory` answers "where was the nearest X I have seen?": the agent's own map of every cell that was
ever inside its view (as it looked then), and for each landmark material the offset from the player to the
nearest remembered cell of it, with a flag for "seen at all"; a last row points at the nearest cell never
seen (where exploring would reveal something new). `frontier` points at the nearest remembered rock (stone or a
tunnel's path) next to never-seen cells: where the mountain goes on, and where the expert that knows only what was
seen digs for coal, iron and diamond. Nothing here reads beyond what was in view.
"""

from __future__ import annotations

from typing import Any

import numpy as np

VIEW = (9, 7)  # the local view's cells (x, y), crafter's LocalView grid for a 9x9 view with 2 item rows
SEMANTIC_IDS = 19  # crafter's ids 0..18 (materials and creature types)
LANDMARKS = ("water", "tree", "stone", "coal", "iron", "diamond", "lava", "table", "furnace")
MEMORY_RANGE = 16  # offsets are clipped to [-16, 16] cells
UNSEEN = 255  # a map cell never in view


def semantic_view(semantic: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """(7, 9, 19) uint8 one-hot of the 9x7 cells around `pos` (rows = y, as the image), 0 = outside the world."""
    ids = _window(semantic, pos, fill=0)
    return np.eye(SEMANTIC_IDS, dtype=np.uint8)[ids.T]


def _window(grid: np.ndarray, pos: np.ndarray, fill: int) -> np.ndarray:
    """The (9, 7) cells of `grid` (x, y) centred on `pos` as crafter's LocalView places them, `fill` outside."""
    offset = np.array(VIEW) // 2
    padded = np.pad(grid, ((offset[0],) * 2, (offset[1],) * 2), constant_values=fill)
    x, y = int(pos[0]), int(pos[1])
    return padded[x: x + VIEW[0], y: y + VIEW[1]]


class SeenMap:
    """The agent's map of the cells it has had in view (materials as they looked then, UNSEEN elsewhere)."""

    def __init__(self, material_ids: dict[Any, int]) -> None:
        self.landmark_ids = np.array([material_ids[name] for name in LANDMARKS], dtype=np.uint8)
        self.cells: np.ndarray | None = None

    def reset(self, materials: np.ndarray) -> None:
        self.cells = np.full(materials.shape, UNSEEN, dtype=np.uint8)

    def update(self, materials: np.ndarray, pos: np.ndarray) -> None:
        """Copy the materials in the current 9x7 view into the map."""
        offset = np.array(VIEW) // 2
        low = np.maximum(np.asarray(pos) - offset, 0)
        high = np.minimum(np.asarray(pos) - offset + VIEW, materials.shape)
        self.cells[low[0]:high[0], low[1]:high[1]] = materials[low[0]:high[0], low[1]:high[1]]

    def frontier(self, pos: np.ndarray, rock_ids: tuple[int, ...]) -> np.ndarray:
        """(3,) float32: dx, dy to the nearest remembered rock cell (`rock_ids`) with a never-seen cell beside it
        (clipped to +-MEMORY_RANGE), and 1; zeros when there is none."""
        unseen = self.cells == UNSEEN
        beside = np.zeros_like(unseen)
        beside[1:] |= unseen[:-1]
        beside[:-1] |= unseen[1:]
        beside[:, 1:] |= unseen[:, :-1]
        beside[:, :-1] |= unseen[:, 1:]
        return _nearest(np.isin(self.cells, rock_ids) & beside, pos)

    def features(self, pos: np.ndarray) -> np.ndarray:
        """(3 * (len(LANDMARKS) + 1),) float32: per landmark dx, dy to its nearest remembered cell (clipped to
        +-MEMORY_RANGE; 0, 0 if never seen) and 1 if seen, else 0; then the same for the nearest unseen cell."""
        rows = [_nearest(self.cells == material, pos) for material in (*self.landmark_ids, UNSEEN)]
        return np.concatenate(rows)


def _nearest(mask: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """(3,) float32: dx, dy from `pos` to the nearest (Manhattan) cell of `mask`, clipped to +-MEMORY_RANGE, and
    1; zeros when `mask` is empty."""
    xs, ys = np.nonzero(mask)
    if len(xs) == 0:
        return np.zeros(3, dtype=np.float32)
    dx, dy = xs - int(pos[0]), ys - int(pos[1])
    nearest = int(np.argmin(np.abs(dx) + np.abs(dy)))
    return np.array([np.clip(dx[nearest], -MEMORY_RANGE, MEMORY_RANGE),
                     np.clip(dy[nearest], -MEMORY_RANGE, MEMORY_RANGE), 1.0], dtype=np.float32)
