"""Scripted experts for the Fetch tasks: Cartesian waypoints tracked by a proportional controller.

All four read privileged state from the env's raw gymnasium-robotics observation (gripper, object and
goal positions). Reach, push and pick-and-place are small phase machines over waypoints; slide is a
calibrated strike controller (embodied/worlds/fetch/slide.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from embodied.types import Subgoal
from embodied.worlds.expert import Expert
from embodied.worlds.fetch.slide import SlideController

STEP = 0.05  # metres of gripper displacement per unit action (gymnasium-robotics Fetch)
OPEN, CLOSE = 1.0, -1.0
LIFT = np.array([0.0, 0.0, 1.0])


class FetchExpert(Expert):
    """Reach, push, pick-and-place and slide from privileged state (gripper, object and goal positions).

    `noise` is the standard deviation of Gaussian noise added to the xyz action (units of the action,
    1 = 5 cm) while moving between waypoints; the precise parts (grasping, the slide strike) stay clean.
    """

    def __init__(self, env: Any, noise: float = 0.0, seed: int | None = None) -> None:
        super().__init__(env, noise, seed)
        self.fetch = env.unwrapped
        self.phase, self.timer = 0, 0
        self.slide = SlideController()

    def reset(self) -> None:
        self.start(None)

    def start(self, subgoal: Subgoal | None) -> None:
        self.phase, self.timer = 0, 0
        self.slide = SlideController()

    def act(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        raw = self.fetch.raw_observation
        obs, goal = raw["observation"], raw["desired_goal"]
        grip, skill = obs[:3], self.fetch.skill_name
        noisy = True
        if skill == "reach":
            move, finger = goal - grip, CLOSE
        elif skill == "pick_and_place":
            move, finger, noisy = self._pick_and_place(grip, obs[3:6], obs[9:11].sum(), goal)
        elif skill == "push":
            move, finger = self._push(grip, obs[3:6], goal), CLOSE
        else:
            (move, noisy), finger = self.slide.act(raw), 0.0
        command = move / STEP
        self.intended = np.append(np.clip(command, -1.0, 1.0), finger).astype(np.float32)
        if noisy and self.noise > 0:
            command = command + self.rng.normal(0.0, self.noise, 3)
        return np.append(np.clip(command, -1.0, 1.0), finger).astype(np.float32)

    # --- tasks ------------------------------------------------------------------------------------
    def _pick_and_place(self, grip: np.ndarray, block: np.ndarray, finger_width: float,
                        goal: np.ndarray) -> tuple[np.ndarray, float, bool]:
        """Over the block with open fingers, down, close, carry to the goal; start over if it drops."""
        above = block + 0.06 * LIFT
        if self.phase == 0:
            if np.linalg.norm(grip[:2] - block[:2]) < 0.006 and abs(grip[2] - above[2]) < 0.02:
                self.phase = 1
            return above - grip, OPEN, True
        if self.phase == 1:
            if np.linalg.norm(grip - block) < 0.008:
                self.phase, self.timer = 2, 0
            return block - grip, OPEN, False
        if self.phase == 2:
            self.timer += 1
            if self.timer > 3 and finger_width < 0.06:
                self.phase = 3
            return block - grip, CLOSE, False
        if np.linalg.norm(block - grip) > 0.04:  # dropped it: start over
            self.phase = 0
        return goal - grip, CLOSE, True

    def _push(self, grip: np.ndarray, block: np.ndarray, goal: np.ndarray) -> np.ndarray:
        """Go behind the block (away from the goal) over the top, lower, then push through it to the goal."""
        direction = goal[:2] - block[:2]
        direction = direction / max(float(np.linalg.norm(direction)), 1e-6)
        behind = block.copy()
        behind[:2] -= direction * 0.06
        if self.phase == 0:
            if np.linalg.norm(grip - behind) < 0.01:
                self.phase = 1
            if np.linalg.norm(grip[:2] - behind[:2]) > 0.01:
                return behind + 0.08 * LIFT - grip
            return behind - grip
        offset = grip[:2] - block[:2]
        lateral = abs(direction[0] * offset[1] - direction[1] * offset[0])
        if (lateral > 0.012 or offset @ direction > -0.02) and np.linalg.norm(offset) > 0.03:
            self.phase = 0  # the block slid off the line: approach again
        target = block.copy()
        target[:2] = goal[:2] - direction * 0.045
        return target - grip
