"""A long-horizon tabletop world of the project's own: a Cartesian gripper arm, three blocks, two regions.

MJCF in assets/tabletop.xml (plain mujoco, no gymnasium-robotics). Subgoals in language ("pick up the red
block", "place the red block on the blue block", "place the red block in the left region", "push the green
block to the left region", "open the gripper"); success detectors read the simulated object poses.
"""

from __future__ import annotations

import os
from typing import Any

import mujoco
import numpy as np
from gymnasium import spaces

from embodied.types import OBS_PROPRIO, OBS_RGB, OBS_STATE, Subgoal
from embodied.worlds.base import SubgoalEnv
from embodied.worlds.tabletop import vocab

ASSET = os.path.join(os.path.dirname(__file__), "assets", "tabletop.xml")
TABLE_TOP = 0.40
HALF_BLOCK = 0.02
GRIP_HOME = np.array([0.0, 0.0, 0.65])  # grip site (5 cm below the carriage) when the arm joints are at zero
MOVE_PER_STEP = 0.02  # metres of target displacement per unit action
N_SUBSTEPS = 20  # 20 x 2 ms: 25 env steps per simulated second
FINGER_TRAVEL = 0.036  # finger joint range; 0 = open
OPEN_GAP = 0.074  # distance between the finger pads when open; each finger joint closes it by its value
GAP_OPEN_ENOUGH = 0.066  # "open the gripper" succeeds above this gap
HOLD_GAP = (0.03, 0.06)  # finger gap while closed on a block (0.04 square on, 0.057 across a diagonal)
REGION_HALF = np.array([0.09, 0.14])  # half extents of the marked rectangles
IN_REGION = (REGION_HALF - HALF_BLOCK).tolist()  # a block is in a region when its whole footprint is
STATE_DIM = 10 * len(vocab.COLORS) + 2 * len(vocab.REGIONS)
PROPRIO_DIM = 8
# the web demo's keyboard take over (embodied/demo): the page's keys -> named actions -> action vectors
KEY_MOVES = {"move_left": (-1, 0, 0), "move_right": (1, 0, 0), "move_away": (0, 1, 0), "move_closer": (0, -1, 0),
             "raise": (0, 0, 1), "lower": (0, 0, -1), "toggle_gripper": (0, 0, 0), "noop": (0, 0, 0)}
KEYS = {"arrowleft": "move_left", "arrowright": "move_right", "arrowup": "move_away", "arrowdown": "move_closer",
        "w": "raise", "s": "lower", " ": "toggle_gripper", "g": "toggle_gripper", "q": "noop"}


class TabletopEnv(SubgoalEnv):
    """Blocks on a table with a gantry gripper; subgoals in language, detected from object poses.

    Observation: `state` (34,) float32 = per block (red, green, blue) position xyz + quaternion wxyz, then
    the left and right region centres xy, then each block's position relative to the grip site (as
    robosuite's object observations give it: policies need not learn the subtraction);
    `proprio` (8,) float32 = grip position xyz, finger-pad gap (m),
    carriage velocity xyz, finger gap rate; `rgb` (image_size, image_size, 3) uint8 when render=True.
    Action (4,) in [-1, 1]: grip target displacement xyz (x 2 cm per step), finger command (< 0 closes).
    Block starts are random per seed (>= 9 cm apart, between the regions, yaw within +-0.3 rad).
    """

    world = "tabletop"
    vocabulary = vocab.VOCABULARY
    metadata = {"render_modes": ["rgb_array"], "render_fps": 25}
    keyboard_actions = tuple(KEY_MOVES)  # what a take over can do (keyboard_action makes the vector)
    keys = KEYS

    def __init__(self, render: bool = False, image_size: int = 96, render_mode: str | None = "rgb_array",
                 max_subgoal_steps: int = 150, camera: str = "front") -> None:
        super().__init__()
        self.model = mujoco.MjModel.from_xml_path(ASSET)
        self.data = mujoco.MjData(self.model)
        self.with_rgb, self.image_size, self.camera = render, image_size, camera
        self.render_mode = render_mode
        self.max_subgoal_steps = max_subgoal_steps
        self.n_substeps = N_SUBSTEPS
        self._renderer: mujoco.Renderer | None = None
        self._block_qpos = {c: int(self.model.joint(f"{c}_block").qposadr[0]) for c in vocab.COLORS}
        self._block_qvel = {c: int(self.model.joint(f"{c}_block").dofadr[0]) for c in vocab.COLORS}
        self._pose_index = np.concatenate([np.arange(a, a + 7) for a in self._block_qpos.values()])
        self._region_centre = {r: self.model.geom(f"{r}_region").pos[:2].copy() for r in vocab.REGIONS}
        self._region_xy = {r: tuple(c.tolist()) for r, c in self._region_centre.items()}
        self._regions_flat = np.concatenate(list(self._region_centre.values()))
        self._args: dict[str, str] = {}
        self._low, self._high = self.model.actuator_ctrlrange[:3].T.copy()
        self._target = np.zeros(3)
        obs_spaces = {
            OBS_STATE: spaces.Box(-np.inf, np.inf, (STATE_DIM,), np.float32),
            OBS_PROPRIO: spaces.Box(-np.inf, np.inf, (PROPRIO_DIM,), np.float32),
        }
        if render:
            obs_spaces[OBS_RGB] = spaces.Box(0, 255, (image_size, image_size, 3), np.uint8)
        self.observation_space = spaces.Dict(obs_spaces)
        self.action_space = spaces.Box(-1.0, 1.0, (4,), np.float32)

    # --- gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        mujoco.mj_resetData(self.model, self.data)
        for color, xy in zip(vocab.COLORS, self._sample_positions(), strict=True):
            address = self._block_qpos[color]
            yaw = self.np_random.uniform(-0.3, 0.3)
            quat = [np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)]
            self.data.qpos[address:address + 7] = [*xy, TABLE_TOP + HALF_BLOCK, *quat]
        self._target = self.np_random.uniform([-0.08, 0.12, -0.08], [0.08, 0.18, -0.02])  # arm: back, high
        self.data.qpos[:3] = self._target
        self.data.ctrl[:] = [*self._target, 0.0, 0.0]
        mujoco.mj_forward(self.model, self.data)
        for _ in range(5):  # let the blocks settle on the table
            mujoco.mj_step(self.model, self.data, N_SUBSTEPS)
        return self._observation(), self._info()

    def step(self, action: Any):
        action = np.asarray(action, dtype=np.float64)
        if action.shape != (4,) or not np.isfinite(action).all():
            raise ValueError(f"TabletopEnv (world 'tabletop'): action must be 4 finite numbers in [-1, 1], "
                             f"got {action.tolist()}")
        move = np.minimum(np.maximum(action[:3], -1.0), 1.0) * MOVE_PER_STEP
        self._target = np.minimum(np.maximum(self._target + move, self._low), self._high)
        ctrl = self.data.ctrl
        ctrl[:3] = self._target
        ctrl[3] = ctrl[4] = FINGER_TRAVEL if action[3] < 0 else 0.0
        mujoco.mj_step(self.model, self.data, N_SUBSTEPS)
        success = self.subgoal_success()
        info = {"is_success": success, "subgoal": self._subgoal.text if self._subgoal is not None else None}
        return self._observation(), float(success), False, False, info

    def keyboard_action(self, name: str) -> np.ndarray:
        """A take-over key's action: the grip target moved 2 cm (x right, y away from the front camera, z up)
        or the gripper flipped; otherwise the gripper stays as the last command left it."""
        closed = self.data.ctrl[3] > 0
        if name == "toggle_gripper":
            closed = not closed
        return np.array([*KEY_MOVES[name], -1.0 if closed else 1.0], np.float32)

    def render(self) -> np.ndarray:
        if self._renderer is None:
            self._renderer = mujoco.Renderer(self.model, self.image_size, self.image_size)
        self._renderer.update_scene(self.data, self.camera)
        return self._renderer.render()

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    # --- privileged state (read from qpos: current after mj_step) ---------------------------------
    def block_position(self, color: str) -> np.ndarray:
        address = self._block_qpos[color]
        return self.data.qpos[address:address + 3].copy()

    def _xyz(self, color: str) -> list[float]:
        address = self._block_qpos[color]
        return self.data.qpos[address:address + 3].tolist()

    def block_velocity(self, color: str) -> np.ndarray:
        address = self._block_qvel[color]
        return self.data.qvel[address:address + 3].copy()

    @property
    def grip_position(self) -> np.ndarray:
        return self.data.qpos[:3] + GRIP_HOME

    @property
    def finger_gap(self) -> float:
        """Distance between the finger pads in metres: 0.074 open, about 0.04 closed on a block."""
        return OPEN_GAP - float(self.data.qpos[3]) - float(self.data.qpos[4])

    @property
    def finger_gap_rate(self) -> float:
        """Rate of change of the finger-pad gap (m/s; the observation's proprio[7]): ~0 once closed on a block."""
        return -float(self.data.qvel[3]) - float(self.data.qvel[4])

    def region_centre(self, region: str) -> np.ndarray:
        return self._region_centre[region].copy()

    def region_of(self, color: str) -> str | None:
        """The region whose rectangle holds the block's whole footprint, if any."""
        x, y, _ = self._xyz(color)
        for region, (cx, cy) in self._region_xy.items():
            if abs(x - cx) <= IN_REGION[0] and abs(y - cy) <= IN_REGION[1]:
                return region
        return None

    def holding(self) -> str | None:
        """The block between the fingers with the fingers closed on it, if any."""
        if not HOLD_GAP[0] < self.finger_gap < HOLD_GAP[1]:
            return None
        gx, gy, gz = self.grip_position.tolist()
        for color in vocab.COLORS:
            x, y, z = self._xyz(color)
            if (x - gx) ** 2 + (y - gy) ** 2 < 0.02 ** 2 and abs(z - gz) < 0.025:
                return color
        return None

    def on_top_of(self, color: str, target: str) -> bool:
        """Within half a block of the target's centre in xy and one block higher (+- 1 cm)."""
        (x, y, z), (tx, ty, tz) = self._xyz(color), self._xyz(target)
        return (x - tx) ** 2 + (y - ty) ** 2 < HALF_BLOCK ** 2 and abs(z - tz - 2 * HALF_BLOCK) < 0.01

    def on_table(self, color: str) -> bool:
        return self._xyz(color)[2] < TABLE_TOP + HALF_BLOCK + 0.01

    def resting(self, color: str) -> bool:
        """Block speed below 5 cm/s."""
        address = self._block_qvel[color]
        vx, vy, vz = self.data.qvel[address:address + 3].tolist()
        return vx * vx + vy * vy + vz * vz < 0.05 ** 2

    def released(self, color: str) -> bool:
        """The block is at rest, the fingers open wider than it and the pads above its top face."""
        clear = float(self.data.qpos[2]) + GRIP_HOME[2] > self._xyz(color)[2] + 2 * HALF_BLOCK
        return clear and self.finger_gap > 2 * HALF_BLOCK + 0.008 and self.resting(color)

    # --- subgoals / planner view ----------------------------------------------------------------
    def _start_subgoal(self, subgoal: Subgoal) -> None:
        self._args = subgoal.kwargs

    def subgoal_success(self) -> bool:
        if self._subgoal is None:
            return False
        skill, args = self._subgoal.skill, self._args
        if skill == "open_gripper":
            return self.finger_gap > GAP_OPEN_ENOUGH
        color = args["object"]
        if skill == "pick_up":
            return self._xyz(color)[2] > TABLE_TOP + HALF_BLOCK + 0.05 and self.holding() == color
        if skill == "place_on":
            return self.on_top_of(color, args["target"]) and self.released(color)
        if not (self.on_table(color) and self.region_of(color) == args["region"]):
            return False
        if skill == "place_in":
            return self.released(color)
        return self.resting(color) and self.holding() != color  # push_to: at rest, not held

    def describe(self) -> dict[str, Any]:
        """Block positions, what is on what, each block's region, what the gripper holds."""
        on = {a: b for a in vocab.COLORS for b in vocab.COLORS if a != b and self.on_top_of(a, b)}
        return {
            "world": self.world,
            "blocks": {c: np.round(self.block_position(c), 3).tolist() for c in vocab.COLORS},
            "on": on,
            "on_table": [c for c in vocab.COLORS if self.on_table(c)],
            "regions": {c: self.region_of(c) for c in vocab.COLORS},
            "holding": self.holding(),
            "gripper_open": self.finger_gap > GAP_OPEN_ENOUGH,
            "gripper": np.round(self.grip_position, 3).tolist(),
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
        qpos, qvel = self.data.qpos, self.data.qvel
        grip = qpos[:3] + GRIP_HOME
        relative = [qpos[a:a + 3] - grip for a in self._block_qpos.values()]
        state = np.concatenate([qpos[self._pose_index], self._regions_flat, *relative]).astype(np.float32)
        proprio = np.empty(PROPRIO_DIM, np.float32)
        proprio[:3] = grip
        proprio[3] = OPEN_GAP - qpos[3] - qpos[4]
        proprio[4:7] = qvel[:3]
        proprio[7] = -qvel[3] - qvel[4]
        obs = {OBS_STATE: state, OBS_PROPRIO: proprio}
        if self.with_rgb:
            obs[OBS_RGB] = self.render()
        return obs

    def _info(self) -> dict[str, Any]:
        subgoal = self._subgoal.text if self._subgoal is not None else None
        return {"is_success": self.subgoal_success(), "subgoal": subgoal}
