"""FrankaKitchen (gymnasium-robotics FrankaKitchen-v1) with its seven tasks as language subgoals.

All seven tasks stay enabled and completing them never ends the episode. A task counts as done while
the env's own check holds (its joints within BONUS_THRESH of the task goal, `step_task_completions`
with `remove_task_when_completed=False`); the current subgoal succeeds when its task is done.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import mujoco
import numpy as np
from gymnasium import spaces

from embodied.types import OBS_HAND, OBS_PROPRIO, OBS_RGB, OBS_STATE
from embodied.worlds.base import SubgoalEnv
from embodied.worlds.kitchen import vocab

ROBOT_JOINTS = 9  # 7 arm joints + 2 fingers (qpos[:9])
ARM_JOINTS = 7
# the site each task's hand works at (handles, knobs, the switch lever, the kettle's handle bar)
TASK_SITES = ("microhandle_site", "kettle_site", "light_site", "slide_site", "hinge_site2", "knob2_site",
              "knob4_site")
HAND_DIM = 3 + 6 + 3 * len(TASK_SITES)


def _register() -> None:
    import gymnasium_robotics

    gym.register_envs(gymnasium_robotics)


class KitchenEnv(SubgoalEnv):
    """FrankaKitchen-v1 with dict observations and the 7 kitchen tasks as subgoals.

    Observations: `state` (41,) float32 = object qpos (21) and qvel (20) as the env observes them;
    `proprio` (18,) float32 = robot joint positions (9) and velocities (9); `hand` (30,) float32 = the
    end-effector's position (3), its x and z axes (6) and the vector from it to each task's site (7 x 3), as
    robosuite gives object-to-gripper vectors (the policy need not learn the arm's kinematics); `rgb`
    (S, S, 3) uint8 when `render=True`. Actions: (9,) in [-1, 1], the env's joint velocity commands (x 2 rad/s, fingers
    last: +1 opens). `reset(seed=s)` perturbs the arm's 7 start joint angles by up to `start_noise` rad.
    """

    world = "kitchen"
    vocabulary = vocab.VOCABULARY
    metadata = {"render_modes": ["rgb_array"], "render_fps": 12}

    def __init__(self, render: bool = False, image_size: int = 96, render_mode: str | None = "rgb_array",
                 max_subgoal_steps: int = 250, start_noise: float = 0.05) -> None:
        super().__init__()
        _register()
        self.with_rgb, self.image_size, self.render_mode = render, image_size, render_mode
        self.max_subgoal_steps, self.start_noise = max_subgoal_steps, start_noise
        self._env = gym.make(
            "FrankaKitchen-v1", tasks_to_complete=list(vocab.TASK_TEXTS), terminate_on_tasks_completed=False,
            remove_task_when_completed=False, render_mode="rgb_array" if (render or render_mode) else None,
            width=image_size, height=image_size,
        ).unwrapped
        quality = self._env.model.vis.quality
        quality.shadowsize, quality.offsamples = 0, 0  # ~2 -> ~26 frames/s offscreen
        observation_dim = self._env.observation_space["observation"].shape[0]  # 59
        obs_spaces = {
            OBS_STATE: spaces.Box(-np.inf, np.inf, (observation_dim - 2 * ROBOT_JOINTS,), np.float32),
            OBS_PROPRIO: spaces.Box(-np.inf, np.inf, (2 * ROBOT_JOINTS,), np.float32),
            OBS_HAND: spaces.Box(-np.inf, np.inf, (HAND_DIM,), np.float32),
        }
        if render:
            obs_spaces[OBS_RGB] = spaces.Box(0, 255, (image_size, image_size, 3), np.uint8)
        self.observation_space = spaces.Dict(obs_spaces)
        self.action_space = spaces.Box(-1.0, 1.0, (ROBOT_JOINTS,), np.float32)
        self._vector = np.zeros(observation_dim)
        self.done_tasks: list[str] = []  # task keys whose goal holds now, in the env's order

    # --- gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self._env.reset(seed=seed)
        self._perturb_arm()
        raw = self._env._get_obs(self._env.robot_env._get_obs())  # re-observe (and re-anchor control)
        self._update(raw)
        return self._observation(), self._info()

    def step(self, action: Any):
        action = np.asarray(action, dtype=np.float64).reshape(-1)
        if action.shape != (ROBOT_JOINTS,) or not np.isfinite(action).all():
            raise ValueError(
                f"kitchen: action must be {ROBOT_JOINTS} finite numbers in [-1, 1], got {action!r}")
        raw, _, _, truncated, _ = self._env.step(np.clip(action, -1.0, 1.0))
        self._update(raw)
        reward = float(self.subgoal_success())
        return self._observation(), reward, False, bool(truncated), self._info()

    def render(self) -> np.ndarray:
        return self._env.render()

    def close(self) -> None:
        self._env.close()

    # --- privileged state (experts) ---------------------------------------------------------------
    @property
    def model(self) -> mujoco.MjModel:
        return self._env.model

    @property
    def data(self) -> mujoco.MjData:
        return self._env.data

    @property
    def control_dt(self) -> float:
        """Seconds per env step (frame_skip x timestep = 0.08)."""
        return float(self._env.robot_env.dt)

    def is_done(self, task: str) -> bool:
        """Whether a task (key such as "microwave" or skill name "light_switch") holds now."""
        return task.replace("_", " ") in self.done_tasks

    # --- subgoals / planner view ----------------------------------------------------------------
    def subgoal_success(self) -> bool:
        return self._subgoal is not None and self.is_done(self._subgoal.skill)

    def describe(self) -> dict[str, Any]:
        site = self.data.site("end_effector").xpos
        return {
            "world": self.world,
            "done": [vocab.TASK_TEXTS[key] for key in self.done_tasks],
            "remaining": [text for key, text in vocab.TASK_TEXTS.items() if key not in self.done_tasks],
            "end_effector": np.round(site, 3).tolist(),
            "kettle": np.round(self.data.qpos[23:26], 3).tolist(),
        }

    def _perturb_arm(self) -> None:
        """Seeded uniform noise on the arm's start joint angles (the env itself always starts the same)."""
        if self.start_noise <= 0:
            return
        data, model = self.data, self.model
        noise = self.np_random.uniform(-self.start_noise, self.start_noise, ARM_JOINTS)
        low, high = model.jnt_range[:ARM_JOINTS].T
        data.qpos[:ARM_JOINTS] = np.clip(data.qpos[:ARM_JOINTS] + noise, low + 0.05, high - 0.05)
        data.ctrl[:ROBOT_JOINTS] = data.qpos[:ROBOT_JOINTS]
        mujoco.mj_forward(model, data)

    def _update(self, raw: dict[str, Any]) -> None:
        self._vector = raw["observation"]
        self._env.compute_reward(raw["achieved_goal"], self._env.goal, {})  # fills step_task_completions
        done = set(self._env.step_task_completions)
        self.done_tasks = [key for key in vocab.TASK_TEXTS if key in done]

    def _observation(self) -> dict[str, np.ndarray]:
        vector = self._vector.astype(np.float32)
        obs = {OBS_STATE: vector[2 * ROBOT_JOINTS:], OBS_PROPRIO: vector[: 2 * ROBOT_JOINTS],
               OBS_HAND: self._hand()}
        if self.with_rgb:
            obs[OBS_RGB] = self._env.render()
        return obs

    def _hand(self) -> np.ndarray:
        hand = self.data.site("end_effector")
        axes = hand.xmat.reshape(3, 3)[:, [0, 2]].T.reshape(-1)
        to_sites = [self.data.site(name).xpos - hand.xpos for name in TASK_SITES]
        return np.concatenate([hand.xpos, axes, *to_sites]).astype(np.float32)

    def _info(self) -> dict[str, Any]:
        return {"is_success": self.subgoal_success(),
                "subgoal": self._subgoal.text if self._subgoal else None,
                "tasks_done": [vocab.TASK_TEXTS[key] for key in self.done_tasks]}
