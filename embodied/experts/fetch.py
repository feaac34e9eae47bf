"""Scripted experts for the Fetch tasks: Cartesian waypoints tracked by a proportional controller."""

from __future__ import annotations

from typing import Any

import numpy as np

from embodied.experts.base import Expert
from embodied.types import Subgoal

STEP = 0.05  # metres of gripper displacement per unit action (gymnasium-robotics Fetch)
OPEN, CLOSE = 1.0, -1.0


class FetchExpert(Expert):
    """Reach, push, pick-and-place and slide from privileged state (gripper, object and goal positions).

    Each task is a small phase machine over waypoints; `noise` adds Gaussian noise of that standard
    deviation to the xyz command so demonstrations differ from one another.
    """

    def __init__(self, env: Any, noise: float = 0.0, seed: int | None = None) -> None:
        super().__init__(env, noise, seed)
        self.fetch = env.unwrapped
        self.phase = 0
        self.timer = 0

    def reset(self) -> None:
        self.phase, self.timer = 0, 0

    def start(self, subgoal: Subgoal) -> None:
        self.phase, self.timer = 0, 0

    def act(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        raw = self.fetch.raw_observation
        obs, goal = raw["observation"], raw["desired_goal"]
        grip = obs[:3]
        skill = self.fetch.skill_name
        if skill == "reach":
            move, finger = goal - grip, CLOSE
        elif skill == "pick_and_place":
            move, finger = self._pick_and_place(grip, obs[3:6], obs[9:11].sum(), goal)
        elif skill == "push":
            move, finger = self._push(grip, obs[3:6], goal, contact_height=0.0, overshoot=0.0)
        else:
            move, finger = self._slide(grip, obs[3:6], obs[14:17], goal)
        precise = skill == "slide" and self.phase >= 1  # the strike's speed decides where the puck stops
        command = move / STEP + (self.rng.normal(0, self.noise, 3) if self.noise > 0 and not precise else 0)
        return np.append(np.clip(command, -1, 1), finger).astype(np.float32)

    # --- tasks ------------------------------------------------------------------------------------
    def _pick_and_place(self, grip, block, finger_width, goal) -> tuple[np.ndarray, float]:
        above = block + np.array([0, 0, 0.06])
        if self.phase == 0:  # over the block, fingers open
            if np.linalg.norm(grip[:2] - block[:2]) < 0.006 and abs(grip[2] - above[2]) < 0.02:
                self.phase = 1
            return above - grip, OPEN
        if self.phase == 1:  # down around it
            if np.linalg.norm(grip - block) < 0.008:
                self.phase, self.timer = 2, 0
            return block - grip, OPEN
        if self.phase == 2:  # close the fingers
            self.timer += 1
            if self.timer > 3 and finger_width < 0.06:
                self.phase = 3
            return block - grip, CLOSE
        if np.linalg.norm(block - grip) > 0.04:  # dropped it: start over
            self.phase = 0
        return goal - grip, CLOSE

    def _push(self, grip, block, goal, contact_height: float, overshoot: float) -> tuple[np.ndarray, float]:
        direction = goal[:2] - block[:2]
        distance = np.linalg.norm(direction)
        direction = direction / max(distance, 1e-6)
        behind = block.copy()
        behind[:2] -= direction * 0.06
        behind[2] = block[2] + contact_height
        lateral = np.cross(np.append(direction, 0), np.append(grip[:2] - block[:2], 0))[2]
        aligned = abs(lateral) < 0.012 and np.dot(grip[:2] - block[:2], direction) < -0.02
        if self.phase == 0:  # lift, go behind the block (away from the goal), lower
            hover = behind + np.array([0, 0, 0.08])
            target = hover if np.linalg.norm(grip[:2] - behind[:2]) > 0.01 else behind
            if np.linalg.norm(grip - behind) < 0.01:
                self.phase = 1
            return target - grip, CLOSE
        if not aligned and np.linalg.norm(grip[:2] - block[:2]) > 0.03:
            self.phase = 0  # the block slid off the line: re-approach
        target = block.copy()
        target[:2] = goal[:2] - direction * (0.045 - overshoot)
        target[2] = block[2] + contact_height
        return target - grip, CLOSE

    def _slide(self, grip, puck, puck_velocity, goal) -> tuple[np.ndarray, float]:
        """Approach behind the puck, then strike towards the goal with a speed set by the distance."""
        direction = goal[:2] - puck[:2]
        distance = np.linalg.norm(direction)
        direction = direction / max(distance, 1e-6)
        if self.phase == 0:
            behind = puck.copy()
            behind[:2] -= direction * 0.05
            hover = behind + np.array([0, 0, 0.06])
            target = hover if np.linalg.norm(grip[:2] - behind[:2]) > 0.008 else behind
            if np.linalg.norm(grip - behind) < 0.008:
                self.phase, self.timer = 1, 0
            return target - grip, CLOSE
        if self.phase == 1:  # strike: friction stops the puck after v^2 / (2 mu g), so v ~ sqrt(distance)
            self.timer += 1
            speed = np.clip(0.1 + 1.1 * np.sqrt(distance), 0.1, 1.0) * STEP  # tuned on seeds 0-29
            if self.timer >= 3:
                self.phase = 2
            return np.append(direction * speed, 0.0), CLOSE
        # follow through then back off upwards, let the puck slide
        return np.array([0.0, 0.0, 0.03]), CLOSE
