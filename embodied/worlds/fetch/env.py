"""The four gymnasium-robotics Fetch tasks behind the project's SubgoalEnv API (one subgoal per task).

The wrapper is thin on purpose (measured against the raw env in experiments/benchmarks/env_speed.py):
it holds the unwrapped MuJoCo env (no gymnasium wrappers), splits its observation into `state` /
`proprio`, checks the action and reports the env's own `is_success` for the current subgoal.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from embodied.types import OBS_PROPRIO, OBS_RGB, OBS_STATE
from embodied.worlds.base import SubgoalEnv
from embodied.worlds.fetch import vocab

# gymnasium-robotics observation layout (25 numbers with an object, 10 without):
# grip pos 0:3, object pos 3:6, object rel pos 6:9, finger state 9:11, object rot 11:14,
# object vel 14:17 (relative to the gripper), object angular vel 17:20, grip vel 20:23, finger vel 23:25
_PROPRIO_WITH_OBJECT = np.r_[0:3, 9:11, 20:25]  # grip pos, finger state, grip vel, finger vel
_PROPRIO_REACH = np.arange(10)  # the same four parts: FetchReach has no object


def _register() -> None:
    import gymnasium_robotics

    gym.register_envs(gymnasium_robotics)


class FetchEnv(SubgoalEnv):
    """A Fetch task with dict observations `state` (obs + desired goal), `proprio` and optional `rgb`.

    `state`: (28,) float32 for push / pick and place / slide ((13,) for reach): the gymnasium-robotics
    observation followed by the goal xyz. `proprio`: (10,) gripper position, finger state and their
    velocities. `rgb`: (image_size, image_size, 3) uint8 when built with render=True.
    Actions: (4,) in [-1, 1] = gripper displacement xyz (x 5 cm) and finger command (> 0 opens).
    One subgoal per task (e.g. "push the block to the target"); success is the env's own `is_success`
    (the object, or the gripper for reach, within 5 cm of the goal).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 25}

    def __init__(self, task: str, render: bool = False, image_size: int = 96,
                 render_mode: str | None = "rgb_array", max_subgoal_steps: int | None = None) -> None:
        super().__init__()
        self.task = vocab.task(task)
        _register()
        self.world = task
        self.vocabulary = vocab.VOCABULARIES[task]
        self.max_subgoal_steps = max_subgoal_steps or self.task.max_subgoal_steps
        self.render_mode, self.with_rgb, self.image_size = render_mode, render, image_size
        needs_renderer = render or render_mode == "rgb_array"
        self._env = gym.make(self.task.env_id, render_mode="rgb_array" if needs_renderer else None,
                             width=image_size, height=image_size).unwrapped
        quality = self._env.model.vis.quality
        quality.shadowsize, quality.offsamples = 0, 0  # ~2x faster offscreen rendering (before GL starts)
        self._proprio_index = _PROPRIO_REACH if task == "fetch_reach" else _PROPRIO_WITH_OBJECT
        self._raw: dict[str, np.ndarray] = self._env._get_obs()
        state_dim = self._raw["observation"].size + 3  # + desired goal xyz
        obs_spaces = {
            OBS_STATE: spaces.Box(-np.inf, np.inf, (state_dim,), np.float32),
            OBS_PROPRIO: spaces.Box(-np.inf, np.inf, (len(self._proprio_index),), np.float32),
        }
        if render:
            obs_spaces[OBS_RGB] = spaces.Box(0, 255, (image_size, image_size, 3), np.uint8)
        self.observation_space = spaces.Dict(obs_spaces)
        self.action_space = spaces.Box(-1.0, 1.0, (4,), np.float32)
        self._success = False

    # --- vocabulary -------------------------------------------------------------------------
    @property
    def skill_name(self) -> str:
        return self.task.skill

    @property
    def subgoal_text(self) -> str:
        return self.task.text

    # --- gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self._raw, _ = self._env.reset(seed=seed)
        self._success = False
        return self._observation(), self._info()

    def step(self, action: Any):
        action = np.asarray(action, dtype=np.float32).reshape(-1)
        if action.shape != (4,) or not np.isfinite(action).all():
            raise ValueError(f"{self.world}: action must be 4 finite numbers in [-1, 1], got {action}")
        self._raw, reward, terminated, truncated, info = self._env.step(action)  # it clips to [-1, 1]
        self._success = bool(info["is_success"])
        return self._observation(), float(reward), bool(terminated), bool(truncated), self._info()

    def render(self) -> np.ndarray:
        return self._env.render()

    def close(self) -> None:
        self._env.close()

    # --- subgoals / planner view ----------------------------------------------------------------
    def subgoal_success(self) -> bool:
        return self._subgoal is not None and self._success

    def task_done(self) -> bool:
        """Whether the object (gripper for reach) is within the success distance of the goal now."""
        return bool(self._env._is_success(self._raw["achieved_goal"], self._raw["desired_goal"]))

    def describe(self) -> dict[str, Any]:
        observation = self._raw["observation"]
        summary = {"world": self.world, "task": self.task.text,
                   "gripper": np.round(observation[:3], 3).tolist(),
                   "target": np.round(self._raw["desired_goal"], 3).tolist(), "done": self.task_done()}
        if self.world != "fetch_reach":
            summary["object"] = np.round(observation[3:6], 3).tolist()
        return summary

    # --- privileged state (experts) ---------------------------------------------------------------
    @property
    def raw_observation(self) -> dict[str, np.ndarray]:
        """The gymnasium-robotics observation dict (observation, achieved_goal, desired_goal)."""
        return self._raw

    def _observation(self) -> dict[str, np.ndarray]:
        observation = self._raw["observation"]
        obs = {
            OBS_STATE: np.concatenate([observation, self._raw["desired_goal"]]).astype(np.float32),
            OBS_PROPRIO: observation[self._proprio_index].astype(np.float32),
        }
        if self.with_rgb:
            obs[OBS_RGB] = self._env.render()
        return obs

    def _info(self) -> dict[str, Any]:
        return {"is_success": self.subgoal_success(), "subgoal": self.task.text if self._subgoal else None}
