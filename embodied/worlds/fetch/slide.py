"""FetchSlide expert: axis-aligned, calibrated strikes on the puck (a sideways tap to line it up, a shot).

Why strikes along the table axes: the Fetch fingertips are a box with fixed yaw, so a diagonal hit leaves
the puck up to 8 degrees off the hit direction (face-normal versus edge contact), while a hit square on a
face leaves it within about 1 degree. Why a calibrated table: the arm cannot follow the puck (it reaches
about 1 m/s for one step), so the puck's speed is set by one hit; the distance it then slides is
deterministic (table friction 0.1: it decelerates at 0.99 m/s^2), so the expert inverts a measured table
of slide distance against hit strength (`STRIKE_TABLES`, measured with `calibrate_strikes`).

Plan: while the puck is off the goal's y by more than 1 cm, tap it sideways (+-y) to the goal's y; then
shoot it along x to stop 1 cm past the goal. A goal more than 0.6 m ahead gets a short shot first that
leaves the puck 0.6 m short: the strongest hit slides the puck only ~0.65 m (less where the arm is
stretched), and the arm cannot get behind a puck that stopped more than ~0.4 m ahead of its start.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DT = 0.04  # seconds per env step (20 substeps of 2 ms)
STEP = 0.05  # metres of gripper target displacement per unit action
BACK = 0.05  # gripper centre behind the puck centre before a hit (fingertip box + puck radius + ~1 cm)
HOVER = 0.07  # height above the puck for moving around it
STRIKE_STEPS, RELEASE_STEPS = 2, 3
OVERSHOOT = 0.01  # aim the shot this far past the goal
MAX_SHOT, LAUNCH = 0.62, 0.6  # longer shots: first a short one that leaves the puck LAUNCH short of the goal
# a +x hit slides the puck less where the arm is stretched: measured fraction of the table distance by puck x
REACH_X, REACH_FRACTION = (1.05, 1.15, 1.25), (1.0, 0.93, 0.62)
ALIGN_TOLERANCE = 0.01  # line the puck up with the goal's y to within this before the shot
STRENGTHS = np.round(np.arange(0.1, 1.001, 0.05), 2)
# slide distance (m, puck rest to rest) after a hit of each strength in STRENGTHS, per hit direction
STRIKE_TABLES: dict[str, tuple[float, ...]] = {
    "+x": (0.0, 0.0, 0.01, 0.03, 0.051, 0.075, 0.107, 0.142, 0.178, 0.22, 0.256, 0.293, 0.344, 0.382, 0.426,
           0.483, 0.547, 0.59, 0.655),
    "-x": (0.0, 0.0, 0.01, 0.029, 0.048, 0.071, 0.102, 0.132, 0.16, 0.201, 0.233, 0.256, 0.283, 0.283, 0.337,
           0.357, 0.354, 0.353, 0.351),
    "+y": (0.0, 0.002, 0.016, 0.035, 0.058, 0.085, 0.113, 0.142, 0.174, 0.207, 0.26, 0.291, 0.337, 0.418,
           0.466, 0.488, 0.605, 0.605, 0.644),
    "-y": (0.0, 0.002, 0.016, 0.035, 0.058, 0.084, 0.109, 0.14, 0.174, 0.21, 0.259, 0.291, 0.33, 0.437, 0.482,
           0.458, 0.579, 0.607, 0.61),
}
FRICTION_DECELERATION = 0.99  # m/s^2, measured: a free puck at v stops after v^2 / (2 * 0.99)


def strike_strength(direction: str, distance: float) -> float:
    """Hit strength (action magnitude) that slides the puck `distance` metres in `direction`."""
    table = np.maximum.accumulate(np.asarray(STRIKE_TABLES[direction]) + np.arange(len(STRENGTHS)) * 1e-6)
    return float(np.interp(distance, table, STRENGTHS))


class SlideController:
    """Phase machine: plan a hit, approach behind the puck (lift, move, lower, settle), hit, back off."""

    def __init__(self) -> None:
        self.phase, self.timer = "plan", 0
        self.axis = np.zeros(2)
        self.strength = 0.0

    def act(self, raw: dict[str, np.ndarray]) -> tuple[np.ndarray, bool]:
        """(gripper displacement in metres (3,), whether the action may be perturbed by noise)."""
        observation, goal = raw["observation"], raw["desired_goal"]
        grip, puck = observation[:3], observation[3:6]
        velocity = (observation[14:16] + observation[20:22]) / DT  # puck velocity in the world frame
        if self.phase == "plan":
            self._plan(puck[:2] + velocity * np.linalg.norm(velocity) / (2 * FRICTION_DECELERATION), goal[:2])
        if self.phase == "approach":
            still = np.linalg.norm(observation[20:23]) < 0.001 and np.linalg.norm(velocity) < 0.01
            return self._approach(grip, puck, still)
        if self.phase == "strike":
            self.timer += 1
            if self.timer >= STRIKE_STEPS:
                self.phase, self.timer = "release", 0
            return np.append(self.axis * self.strength * STEP, 0.0), False
        if self.phase == "release":
            self.timer += 1
            if self.timer >= RELEASE_STEPS:
                self.phase = "plan"
            return np.append(-self.axis * 0.4 * STEP, 0.4 * STEP), False
        return np.zeros(3), True  # "done": hold still

    def _plan(self, rest: np.ndarray, goal: np.ndarray) -> None:
        """Choose the next hit from where the puck will come to rest."""
        error = goal - rest
        if np.linalg.norm(error) < 0.02:
            self.phase = "done"
            return
        if abs(error[1]) > ALIGN_TOLERANCE:
            index, distance = 1, abs(error[1])
        else:
            index, distance = 0, abs(error[0]) + OVERSHOOT
            if distance > MAX_SHOT:
                distance -= LAUNCH
        sign = 1.0 if error[index] >= 0 else -1.0
        if index == 0 and sign > 0:
            distance /= float(np.interp(rest[0], REACH_X, REACH_FRACTION))
        self.axis = np.zeros(2)
        self.axis[index] = sign
        self.strength = strike_strength(("+" if sign > 0 else "-") + "xy"[index], distance)
        self.phase, self.timer = "approach", 0

    def _approach(self, grip: np.ndarray, puck: np.ndarray, still: bool) -> tuple[np.ndarray, bool]:
        """Lift, move over to BACK behind the puck, lower, and wait until gripper and puck are still."""
        behind = puck.copy()
        behind[:2] -= self.axis * BACK
        if np.linalg.norm(grip[:2] - behind[:2]) > 0.004:
            if grip[2] < puck[2] + HOVER - 0.01:  # lift clear of the puck before moving sideways
                return np.array([0.0, 0.0, puck[2] + HOVER - grip[2]]), True
            return behind + np.array([0.0, 0.0, HOVER]) - grip, True
        if still and abs(grip[2] - behind[2]) < 0.002:
            self.phase, self.timer = "strike", 0
        return behind - grip, False


def calibrate_strikes(env: Any, direction: str, seeds: range,
                      strengths: np.ndarray = STRENGTHS) -> np.ndarray:
    """Measured slide distance (len(seeds), len(strengths)) of hits in `direction` ("+x", "-y", ...) on a
    raw gymnasium-robotics FetchSlide env (NaN where the puck moved before the hit)."""
    axis = {"+x": (1.0, 0.0), "-x": (-1.0, 0.0), "+y": (0.0, 1.0), "-y": (0.0, -1.0)}[direction]
    distances = np.full((len(seeds), len(strengths)), np.nan)
    for i, seed in enumerate(seeds):
        for j, strength in enumerate(strengths):
            raw, _ = env.reset(seed=int(seed))
            controller = SlideController()
            controller.axis, controller.strength = np.array(axis), float(strength)
            controller.phase = "approach"
            start = raw["observation"][3:5].copy()
            for _ in range(40):  # approach
                if controller.phase != "approach":
                    break
                move, _ = controller.act(raw)
                raw, *_ = env.step(np.append(np.clip(move / STEP, -1, 1), 0.0))
            if np.linalg.norm(raw["observation"][3:5] - start) > 1e-3:
                continue
            start = raw["observation"][3:5].copy()
            for _ in range(STRIKE_STEPS + RELEASE_STEPS + 60):
                move, _ = controller.act(raw) if controller.phase != "plan" else (np.zeros(3), True)
                raw, *_ = env.step(np.append(np.clip(move / STEP, -1, 1), 0.0))
            distances[i, j] = (raw["observation"][3:5] - start) @ np.array(axis)
    return distances
