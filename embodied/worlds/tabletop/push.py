"""Push paths for the tabletop expert: straight into the region when clear, else around the other blocks.

A path is the list of points the pushed block's centre is pushed to, one straight leg each: [goal] or
[via, goal]. A leg is usable when the point the pusher starts from (behind the block) is in reach, the
swept band (pusher start to leg end) keeps PUSH_CLEARANCE from every other block, and the leg runs within
30 degrees of an axis (the last one of the x axis: the closed fingers' broad face pushes along x).
"""

from __future__ import annotations

import numpy as np

PUSH_BEHIND = 0.055  # grip starts this far behind the block centre
PUSH_CLEARANCE = 0.06  # other blocks' centres stay this far from a leg's swept line (fingers + half diagonal)
REACH = np.array([0.345, 0.195])  # grip xy limits (actuator ranges) less 5 mm
GOAL_BAND = 0.1  # goal points lie within this distance of the region centre's y
VIA_X, VIA_Y = np.linspace(-0.15, 0.15, 13), np.linspace(-0.17, 0.17, 15)


def push_path(block: np.ndarray, others: np.ndarray, centre: np.ndarray) -> list[np.ndarray] | None:
    """Points for the block centre (block (2,), others (k, 2), region centre (2,)); None when no path."""
    goals = centre + np.stack([np.zeros(21), np.linspace(-GOAL_BAND, GOAL_BAND, 21)], 1)
    goals = goals[np.argsort(np.abs(goals[:, 1] - block[1]))]
    straight = _usable(np.broadcast_to(block, goals.shape), goals, others, final=True)
    if straight.any():
        return [goals[np.argmax(straight)]]
    vias = np.stack(np.meshgrid(VIA_X, VIA_Y), -1).reshape(-1, 2)
    vias = vias[_usable(np.broadcast_to(block, vias.shape), vias, others, final=False)]
    if not len(vias):
        return None
    starts, ends = np.repeat(vias, len(goals), 0), np.tile(goals, (len(vias), 1))
    usable = _usable(starts, ends, others, final=True)
    if not usable.any():
        return None
    cost = np.linalg.norm(starts - block, axis=1) + np.linalg.norm(ends - starts, axis=1)
    best = int(np.argmin(np.where(usable, cost, np.inf)))
    return [starts[best], ends[best]]


def _usable(starts: np.ndarray, ends: np.ndarray, others: np.ndarray, final: bool) -> np.ndarray:
    """(n,) bool: legs from starts (n, 2) to ends (n, 2) that are in reach, clear and (final) along x."""
    along = ends - starts
    length = np.linalg.norm(along, axis=1)
    direction = along / np.maximum(length, 1e-9)[:, None]
    pusher = starts - direction * (PUSH_BEHIND + 0.01)
    ok = np.all(np.abs(pusher) < REACH, axis=1) & (length > 0.03)
    ok &= np.abs(direction[:, 1]) < 0.5 if final else np.abs(direction).min(1) < 0.5  # along x / near an axis
    for other in others:
        ok &= _distance_to_segments(other, pusher, ends) > PUSH_CLEARANCE
    return ok


def _distance_to_segments(point: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    along = ends - starts
    t = np.clip(np.einsum("ij,ij->i", point - starts, along) / np.maximum((along ** 2).sum(1), 1e-12), 0, 1)
    return np.linalg.norm(point - (starts + t[:, None] * along), axis=1)
