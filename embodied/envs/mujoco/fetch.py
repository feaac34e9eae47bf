"""The four gymnasium-robotics Fetch tasks behind the project's SubgoalEnv API (one subgoal per task).

The wrapper is thin on purpose (benchmarked against the raw env in experiments/benchmarks/env_speed.py):
it builds the unwrapped MuJoCo env, splits its observation into `state` / `proprio`, checks the action
and reads success from the env's own `is_success`.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from embodied.envs.base import SubgoalEnv
from embodied.types import OBS_PROPRIO, OBS_RGB, OBS_STATE, Skill, Subgoal, UnknownSubgoalError

# task name -> (gymnasium id, subgoal text, skill, subgoal step budget)
TASKS: dict[str, tuple[str, str, str, int]] = {
    "fetch_reach": ("FetchReach-v4", "reach the target", "reach", 50),
    "fetch_push": ("FetchPush-v4", "push the block to the target", "push", 100),
    "fetch_pick_and_place": ("FetchPickAndPlace-v4", "pick and place the block at the target", "pick_and_place", 100),
    "fetch_slide": ("FetchSlide-v4", "slide the puck to the target", "slide", 100),
}
# proprio = gripper position (3), finger state (2), gripper linear velocity (3), finger velocity (2)
_PROPRIO_WITH_OBJECT = np.r_[0:3, 9:11, 20:25]
_PROPRIO_REACH = np.arange(10)
_SYNONYMS = {"reach": ("reach",), "push": ("push",), "pick_and_place": ("pick", "place", "lift"),
             "slide": ("slide",)}


def _register() -> None:
    import gymnasium_robotics

    gym.register_envs(gymnasium_robotics)


class FetchEnv(SubgoalEnv):
    """A Fetch task with dict observations `state` (obs + desired goal), `proprio` and optional `rgb`.

    Actions: (4,) in [-1, 1] = gripper displacement xyz (x 5 cm) and finger command. One subgoal per
    task (e.g. "push the block to the target"); success is the env's own `is_success` (goal within 5 cm).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 25}

    def __init__(self, task: str, render: bool = False, image_size: int = 96,
                 render_mode: str | None = "rgb_array", max_subgoal_steps: int | None = None) -> None:
        super().__init__()
        if task not in TASKS:
            raise UnknownSubgoalError(f"unknown Fetch task {task!r}; expected one of {sorted(TASKS)}")
        _register()
        env_id, self.subgoal_text, self.skill_name, budget = TASKS[task]
        self.world = task
        self.max_subgoal_steps = max_subgoal_steps or budget
        self.render_mode, self.with_rgb, self.image_size = render_mode, render, image_size
        self._env = gym.make(env_id, render_mode=render_mode if (render or render_mode) else None,
                             width=image_size, height=image_size).unwrapped
        quality = self._env.model.vis.quality
        quality.shadowsize, quality.offsamples = 0, 0  # ~2x faster offscreen rendering
        self._proprio_index = _PROPRIO_REACH if task == "fetch_reach" else _PROPRIO_WITH_OBJECT
        sample = self._env._get_obs()
        state_dim = sample["observation"].size + 3  # + desired goal xyz (empty before the first reset)
        obs_spaces = {
            OBS_STATE: spaces.Box(-np.inf, np.inf, (state_dim,), np.float32),
            OBS_PROPRIO: spaces.Box(-np.inf, np.inf, (len(self._proprio_index),), np.float32),
        }
        if render:
            obs_spaces[OBS_RGB] = spaces.Box(0, 255, (image_size, image_size, 3), np.uint8)
        self.observation_space = spaces.Dict(obs_spaces)
        self.action_space = spaces.Box(-1.0, 1.0, (4,), np.float32)
        self._raw: dict[str, np.ndarray] = sample
        self._success = False

    # --- vocabulary -------------------------------------------------------------------------
    @property
    def skills(self) -> tuple[Skill, ...]:
        return (Skill(self.skill_name, (), self.subgoal_text),)

    @property
    def goal_texts(self) -> tuple[str, ...]:
        return (self.subgoal_text,)

    def parse_subgoal(self, subgoal: str | Subgoal) -> Subgoal:
        text = subgoal.text or subgoal.skill if isinstance(subgoal, Subgoal) else str(subgoal)
        words = text.lower().replace("_", " ")
        if words == self.subgoal_text or words == self.skill_name or any(
                w in words.split() for w in _SYNONYMS[self.skill_name]):
            return Subgoal(self.skill_name, (), self.subgoal_text)
        raise UnknownSubgoalError(
            f"unknown subgoal {text!r} for {self.world}; its only skill is {self.skill_name!r} ({self.subgoal_text!r})"
        )

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
        self._raw, reward, terminated, truncated, info = self._env.step(np.clip(action, -1.0, 1.0))
        self._success = bool(info["is_success"])
        return self._observation(), float(reward), bool(terminated), bool(truncated), self._info()

    def render(self) -> np.ndarray:
        return self._env.render()

    def close(self) -> None:
        self._env.close()

    # --- subgoals / planner view ----------------------------------------------------------------
    def subgoal_success(self) -> bool:
        return self._subgoal is not None and self._success

    def describe(self) -> dict[str, Any]:
        observation = self._raw["observation"]
        summary = {"world": self.world, "task": self.subgoal_text,
                   "gripper": np.round(observation[:3], 3).tolist(),
                   "target": np.round(self._raw["desired_goal"], 3).tolist(), "done": self._success}
        if self.world != "fetch_reach":
            summary["object"] = np.round(observation[3:6], 3).tolist()
        return summary

    # --- privileged state (experts) ---------------------------------------------------------------
    @property
    def raw_observation(self) -> dict[str, np.ndarray]:
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
        return {"is_success": self.subgoal_success(), "subgoal": self.subgoal_text if self._subgoal else None}


def make_fetch_reach(**kwargs: Any) -> FetchEnv:
    return FetchEnv("fetch_reach", **kwargs)


def make_fetch_push(**kwargs: Any) -> FetchEnv:
    return FetchEnv("fetch_push", **kwargs)


def make_fetch_pick_and_place(**kwargs: Any) -> FetchEnv:
    return FetchEnv("fetch_pick_and_place", **kwargs)


def make_fetch_slide(**kwargs: Any) -> FetchEnv:
    return FetchEnv("fetch_slide", **kwargs)


def sample_instruction(rng: np.random.Generator) -> str:
    """Fetch worlds have one task each; the single-task planner maps any mention of it to its subgoal."""
    return "do the task"
