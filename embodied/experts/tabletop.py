"""Scripted expert for the tabletop world: Cartesian waypoints for pick, place-on, push and open."""

from __future__ import annotations

from typing import Any

import numpy as np

from embodied.envs.mujoco.tabletop import HALF_BLOCK, MOVE_PER_STEP, TABLE_TOP
from embodied.experts.base import Expert
from embodied.types import Subgoal

OPEN, CLOSE = 1.0, -1.0
GRASP_HEIGHT = 0.008  # grip site above the block centre when grasping (keeps fingers off the table)
CARRY_HEIGHT = TABLE_TOP + 0.16
TRAVEL_HEIGHT = TABLE_TOP + 0.14  # fingers clear a two-block stack when moving sideways


class TabletopExpert(Expert):
    """Phase machines over waypoints; `noise` is the std of Gaussian noise on the xyz command."""

    def __init__(self, env: Any, noise: float = 0.0, seed: int | None = None) -> None:
        super().__init__(env, noise, seed)
        self.table = env.unwrapped
        self.phase, self.timer = 0, 0

    def reset(self) -> None:
        self.phase, self.timer = 0, 0

    def start(self, subgoal: Subgoal) -> None:
        self.phase, self.timer = 0, 0

    def _rise_first(self, grip: np.ndarray, waypoint: np.ndarray) -> np.ndarray:
        """Move straight up before travelling sideways, so the fingers never sweep through blocks."""
        if np.linalg.norm(grip[:2] - waypoint[:2]) > 0.02 and grip[2] < TRAVEL_HEIGHT - 0.01:
            return np.array([0.0, 0.0, TRAVEL_HEIGHT - grip[2]])
        return waypoint - grip

    def act(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        subgoal = self.table.subgoal
        grip = self.table.grip_position
        if subgoal is None or subgoal.skill == "open_gripper":
            move, finger = np.zeros(3), OPEN
        elif subgoal.skill == "pick_up":
            move, finger = self._pick(grip, subgoal.arg("object"))
        elif subgoal.skill == "place_on":
            move, finger = self._place_on(grip, subgoal.arg("object"), subgoal.arg("target"))
        else:
            move, finger = self._push(grip, subgoal.arg("object"), subgoal.arg("region"))
        command = move / MOVE_PER_STEP
        if self.noise > 0:
            command = command + self.rng.normal(0, self.noise, 3)
        return np.append(np.clip(command, -1, 1), finger).astype(np.float32)

    def _pick(self, grip: np.ndarray, color: str) -> tuple[np.ndarray, float]:
        block = self.table.block_position(color)
        grasp = block + np.array([0, 0, GRASP_HEIGHT])
        if self.phase == 0:  # above the block, open
            above = grasp + np.array([0, 0, 0.08])
            if np.linalg.norm(grip[:2] - block[:2]) < 0.008 and abs(grip[2] - above[2]) < 0.03:
                self.phase = 1
            return self._rise_first(grip, above), OPEN
        if self.phase == 1:  # descend around it
            if np.linalg.norm(grip - grasp) < 0.008:
                self.phase, self.timer = 2, 0
            return grasp - grip, OPEN
        if self.phase == 2:  # close
            self.timer += 1
            if self.timer >= 6:
                self.phase = 3
            return grasp - grip, CLOSE
        if self.table.holding() != color:  # slipped: start over
            self.phase = 0
            return np.array([0, 0, 0.02]), OPEN
        lift = np.array([grip[0], grip[1], CARRY_HEIGHT])
        return lift - grip, CLOSE

    def _place_on(self, grip: np.ndarray, color: str, target: str) -> tuple[np.ndarray, float]:
        if self.phase < 10:
            if self.table.holding() == color and grip[2] > CARRY_HEIGHT - 0.03:
                self.phase = 10
            else:
                return self._pick(grip, color)
        goal = self.table.block_position(target) + np.array([0, 0, 2 * HALF_BLOCK + GRASP_HEIGHT])
        if self.phase == 10:  # carry above the target
            above = np.array([goal[0], goal[1], CARRY_HEIGHT])
            if np.linalg.norm(grip[:2] - goal[:2]) < 0.006:
                self.phase = 11
            return above - grip, CLOSE
        if self.phase == 11:  # lower onto it
            if np.linalg.norm(grip - goal) < 0.006:
                self.phase, self.timer = 12, 0
            return goal - grip, CLOSE
        if self.phase == 12:  # release
            self.timer += 1
            if self.timer >= 6:
                self.phase = 13
            return goal - grip, OPEN
        return np.array([0, 0, 0.02]), OPEN  # back off upwards

    def _push(self, grip: np.ndarray, color: str, region: str) -> tuple[np.ndarray, float]:
        """Push along the line from the block to a point well inside the region (re-approach if off it)."""
        block = self.table.block_position(color)
        goal = self.table._region_centre[region].copy()
        goal[1] = np.clip(block[1], goal[1] - 0.08, goal[1] + 0.08)
        direction = (goal - block[:2]) / max(np.linalg.norm(goal - block[:2]), 1e-6)
        behind = np.append(block[:2] - direction * 0.05, block[2] + 0.004)
        if self.phase == 0:  # over the start point behind the block
            hover = np.append(behind[:2], TRAVEL_HEIGHT)
            if np.linalg.norm(grip[:2] - hover[:2]) < 0.008:
                self.phase = 1
            return self._rise_first(grip, hover), CLOSE
        if self.phase == 1:  # down behind it
            if np.linalg.norm(grip - behind) < 0.008:
                self.phase = 2
            return behind - grip, CLOSE
        offset = block[:2] - grip[:2]
        lateral = abs(direction[0] * offset[1] - direction[1] * offset[0])
        if lateral > 0.015 or offset @ direction < 0.02:
            self.phase = 0  # lost contact or alignment: lift and approach again
            return np.array([0, 0, 0.02]), CLOSE
        target = np.append(goal - direction * 0.045, behind[2])
        return target - grip, CLOSE
