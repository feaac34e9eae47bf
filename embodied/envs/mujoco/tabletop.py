"""A long-horizon tabletop world of the project's own: a Cartesian gripper arm, three blocks, two regions.

MJCF in assets/tabletop.xml. Subgoals in language ("pick up the red block", "place the red block on the
blue block", "push the green block to the left region", "open the gripper"); success detectors read the
simulated object poses.
"""

from __future__ import annotations

import os
from typing import Any

import mujoco
import numpy as np
from gymnasium import spaces

from embodied.envs.base import SubgoalEnv
from embodied.envs.mujoco import tabletop_vocab as vocab
from embodied.types import OBS_PROPRIO, OBS_RGB, OBS_STATE, Skill, Subgoal

ASSET = os.path.join(os.path.dirname(__file__), "assets", "tabletop.xml")
TABLE_TOP = 0.40
HALF_BLOCK = 0.02
CARRIAGE_HOME = np.array([0.0, 0.0, 0.7])  # carriage body position at joint zero
GRIP_OFFSET = np.array([0.0, 0.0, -0.05])  # grip site below the carriage
MOVE_PER_STEP = 0.02  # metres of target displacement per unit action
FINGER_CLOSED, FINGER_OPEN = 0.035, 0.0
N_SUBSTEPS = 20
REGION_HALF = np.array([0.09, 0.14])


class TabletopEnv(SubgoalEnv):
    """Blocks on a table with a gripper: `state` (block poses, region centres), `proprio`, optional `rgb`.

    Actions (4,) in [-1, 1]: gripper target displacement xyz (x 2 cm) and finger command (< 0 closes).
    Block start positions are random per seed, at least 9 cm apart, between the two regions.
    """

    world = "tabletop"
    metadata = {"render_modes": ["rgb_array"], "render_fps": 25}

    def __init__(self, render: bool = False, image_size: int = 96, render_mode: str | None = "rgb_array",
                 max_subgoal_steps: int = 150) -> None:
        super().__init__()
        self.model = mujoco.MjModel.from_xml_path(ASSET)
        self.data = mujoco.MjData(self.model)
        self.with_rgb, self.image_size, self.render_mode = render, image_size, render_mode
        self.max_subgoal_steps = max_subgoal_steps
        self._renderer: mujoco.Renderer | None = None
        self._block_qpos = {c: self.model.joint(f"{c}_block").qposadr[0] for c in vocab.COLORS}
        self._block_body = {c: self.model.body(f"{c}_block").id for c in vocab.COLORS}
        self._grip_site = self.model.site("grip").id
        self._region_centre = {r: self.model.geom(f"{r}_region").pos[:2].copy() for r in vocab.REGIONS}
        self._target = np.zeros(3)
        self._finger = FINGER_OPEN
        obs_spaces = {
            OBS_STATE: spaces.Box(-np.inf, np.inf, (3 * 7 + 2 * len(vocab.REGIONS),), np.float32),
            OBS_PROPRIO: spaces.Box(-np.inf, np.inf, (7,), np.float32),
        }
        if render:
            obs_spaces[OBS_RGB] = spaces.Box(0, 255, (image_size, image_size, 3), np.uint8)
        self.observation_space = spaces.Dict(obs_spaces)
        self.action_space = spaces.Box(-1.0, 1.0, (4,), np.float32)

    # --- vocabulary -------------------------------------------------------------------------
    @property
    def skills(self) -> tuple[Skill, ...]:
        return vocab.SKILLS

    @property
    def goal_texts(self) -> tuple[str, ...]:
        return vocab.GOAL_TEXTS

    def parse_subgoal(self, subgoal: str | Subgoal) -> Subgoal:
        return vocab.parse(subgoal)

    # --- gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        mujoco.mj_resetData(self.model, self.data)
        for color, xy in zip(vocab.COLORS, self._sample_positions(), strict=True):
            address = self._block_qpos[color]
            yaw = self.np_random.uniform(-0.3, 0.3)
            self.data.qpos[address:address + 7] = [*xy, TABLE_TOP + HALF_BLOCK, np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)]
        self._target = np.zeros(3)
        self._finger = FINGER_OPEN
        self.data.ctrl[:] = [*self._target, self._finger]
        mujoco.mj_forward(self.model, self.data)
        for _ in range(5):  # let the blocks settle on the table
            mujoco.mj_step(self.model, self.data, N_SUBSTEPS)
        return self._observation(), self._info()

    def step(self, action: Any):
        action = np.asarray(action, dtype=np.float64).reshape(-1)
        if action.shape != (4,) or not np.isfinite(action).all():
            raise ValueError(f"tabletop: action must be 4 finite numbers in [-1, 1], got {action}")
        action = np.clip(action, -1.0, 1.0)
        low, high = self.model.actuator_ctrlrange[:3].T
        self._target = np.clip(self._target + action[:3] * MOVE_PER_STEP, low, high)
        self._finger = FINGER_CLOSED if action[3] < 0 else FINGER_OPEN
        self.data.ctrl[:] = [*self._target, self._finger]
        mujoco.mj_step(self.model, self.data, N_SUBSTEPS)
        success = self.subgoal_success()
        return self._observation(), float(success), False, False, self._info(success)

    def render(self) -> np.ndarray:
        if self._renderer is None:
            self._renderer = mujoco.Renderer(self.model, self.image_size, self.image_size)
        self._renderer.update_scene(self.data, "front")
        return self._renderer.render()

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    # --- privileged state -----------------------------------------------------------------------
    def block_position(self, color: str) -> np.ndarray:
        return self.data.xpos[self._block_body[color]].copy()

    def block_velocity(self, color: str) -> np.ndarray:
        address = self.model.joint(f"{color}_block").dofadr[0]
        return self.data.qvel[address:address + 3].copy()

    @property
    def grip_position(self) -> np.ndarray:
        return self.data.site_xpos[self._grip_site].copy()

    @property
    def finger_opening(self) -> float:
        """0 when fully open, FINGER_CLOSED when fully closed (finger joint position)."""
        return float(self.data.joint("finger_left").qpos[0])

    def region_of(self, color: str) -> str | None:
        xy = self.block_position(color)[:2]
        for region, centre in self._region_centre.items():
            if np.all(np.abs(xy - centre) <= REGION_HALF):
                return region
        return None

    def holding(self) -> str | None:
        """The block between the fingers (closed on it), if any."""
        grip = self.grip_position
        for color in vocab.COLORS:
            offset = self.block_position(color) - grip
            if np.linalg.norm(offset[:2]) < 0.02 and abs(offset[2]) < 0.025 and 0.006 < self.finger_opening < 0.03:
                return color
        return None

    def on_top_of(self, color: str, target: str) -> bool:
        offset = self.block_position(color) - self.block_position(target)
        return bool(np.linalg.norm(offset[:2]) < 0.02 and abs(offset[2] - 2 * HALF_BLOCK) < 0.01)

    # --- subgoals / planner view ----------------------------------------------------------------
    def subgoal_success(self) -> bool:
        if self._subgoal is None:
            return False
        args = self._subgoal.kwargs
        skill = self._subgoal.skill
        if skill == "pick_up":
            lifted = self.block_position(args["object"])[2] > TABLE_TOP + HALF_BLOCK + 0.05
            return bool(lifted and self.holding() == args["object"])
        if skill == "place_on":  # on the target, at rest, and the fingers clear of it (released and lifted)
            resting = np.linalg.norm(self.block_velocity(args["object"])) < 0.05
            clear = self.grip_position[2] > self.block_position(args["object"])[2] + 0.04
            return bool(self.on_top_of(args["object"], args["target"]) and resting and clear)
        if skill == "push_to":
            on_table = self.block_position(args["object"])[2] < TABLE_TOP + 2 * HALF_BLOCK
            return bool(on_table and self.region_of(args["object"]) == args["region"])
        return self.finger_opening < 0.004  # open_gripper

    def describe(self) -> dict[str, Any]:
        on = {a: b for a in vocab.COLORS for b in vocab.COLORS if a != b and self.on_top_of(a, b)}
        return {
            "world": self.world,
            "blocks": {c: np.round(self.block_position(c), 3).tolist() for c in vocab.COLORS},
            "on": on,
            "regions": {c: self.region_of(c) for c in vocab.COLORS},
            "holding": self.holding(),
            "gripper_open": self.finger_opening < 0.004,
        }

    # --- helpers ------------------------------------------------------------------------------
    def _sample_positions(self) -> list[np.ndarray]:
        positions: list[np.ndarray] = []
        while len(positions) < len(vocab.COLORS):
            xy = self.np_random.uniform([-0.11, -0.13], [0.11, 0.13])
            if all(np.linalg.norm(xy - other) > 0.09 for other in positions):  # room for the fingers
                positions.append(xy)
        return positions

    def _observation(self) -> dict[str, np.ndarray]:
        blocks = [np.concatenate([self.block_position(c), self.data.xquat[self._block_body[c]]]) for c in vocab.COLORS]
        regions = [self._region_centre[r] for r in vocab.REGIONS]
        proprio = [self.grip_position, [self.finger_opening], self.data.qvel[:3]]  # carriage velocity
        obs = {
            OBS_STATE: np.concatenate(blocks + regions).astype(np.float32),
            OBS_PROPRIO: np.concatenate(proprio).astype(np.float32),
        }
        if self.with_rgb:
            obs[OBS_RGB] = self.render()
        return obs

    def _info(self, success: bool | None = None) -> dict[str, Any]:
        return {"is_success": self.subgoal_success() if success is None else success,
                "subgoal": self._subgoal.text if self._subgoal else None}


def sample_instruction(rng: np.random.Generator) -> str:
    """Chains of 1-3 steps over random colours, in varied wording."""
    colors = list(rng.permutation(vocab.COLORS))
    region = str(rng.choice(vocab.REGIONS))
    stack = f"stack the {colors[0]} block on the {colors[1]} one"
    push = f"push the {colors[2]} block to the {region}"
    options = [
        stack, push, f"pick up the {colors[0]} block",
        f"{stack}, then {push}",
        f"{push}, then {stack}",
        f"build a tower of {colors[0]} on {colors[1]} on {colors[2]}",
        f"put the {colors[0]} block on the {colors[1]} block and then open the gripper",
    ]
    return str(rng.choice(options))
