"""Step hooks on the agent loop (as MineStudio's callbacks): features around the loop subscribe here.

Video recording, achievement tracking, the web demo's live stream and progress reporting are hooks; the
loop itself (embodied/agent.py) only plans, acts, detects and records the trajectory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from embodied.types import Plan, Subgoal

if TYPE_CHECKING:
    from embodied.agent import Agent, SubgoalResult, Trajectory


@dataclass
class Step:
    """One env step inside a subgoal: the observation acted on, the action, what came back."""

    index: int  # step of the episode, from 0
    subgoal: Subgoal
    actor: str  # "policy", "expert" or another actor's name
    observation: dict[str, np.ndarray]
    action: Any
    reward: float
    next_observation: dict[str, np.ndarray]
    info: dict[str, Any]
    terminated: bool
    truncated: bool


class AgentHooks:
    """Callbacks of the agent loop; override the ones you need. Called in the agent's thread, in order."""

    def on_episode_start(self, agent: Agent, instruction: str, seed: int) -> None:
        """After the reset, before the first plan."""

    def on_plan(self, agent: Agent, plan: Plan, why: str) -> None:
        """A new plan: `why` is "plan" (the first), "replan" (after a failed subgoal) or "switch" (a new
        instruction from `Agent.instruct`)."""

    def on_subgoal_start(self, agent: Agent, subgoal: Subgoal, actor: str) -> None:
        """An actor starts on a subgoal."""

    def on_step(self, agent: Agent, step: Step) -> None:
        """After each env step."""

    def on_subgoal_end(self, agent: Agent, result: SubgoalResult) -> None:
        """A subgoal attempt ended (success, failure, budget spent, episode over)."""

    def on_episode_end(self, agent: Agent, trajectory: Trajectory) -> None:
        """The loop ended; `trajectory.success` is set."""


class FrameRecorder(AgentHooks):
    """Keeps `env.render()` after the reset and after every step (for a video of the episode)."""

    def __init__(self) -> None:
        self.frames: list[np.ndarray] = []

    def on_episode_start(self, agent: Agent, instruction: str, seed: int) -> None:
        self.frames = [agent.env.render()]

    def on_step(self, agent: Agent, step: Step) -> None:
        self.frames.append(agent.env.render())


class AchievementTracker(AgentHooks):
    """What a world that reports `info["achievements"]` (Crafter) unlocked in the episode (count > 0), read
    from the env's latest info when the episode starts and when it ends (nothing per step)."""

    def __init__(self) -> None:
        self.unlocked: dict[str, bool] = {}

    def on_episode_start(self, agent: Agent, instruction: str, seed: int) -> None:
        self._read(agent.info)

    def on_episode_end(self, agent: Agent, trajectory: Trajectory) -> None:
        self._read(agent.info)

    def _read(self, info: dict[str, Any]) -> None:
        achievements = info.get("achievements")
        self.unlocked = {name: count > 0 for name, count in (achievements or {}).items()}


class ConsoleReporter(AgentHooks):
    """Prints plans and subgoal outcomes as they happen (`embodied run`)."""

    def __init__(self, write: Any = print) -> None:
        self.write = write
        self._total = 0

    def on_plan(self, agent: Agent, plan: Plan, why: str) -> None:
        self._total = len(plan.subgoals)
        steps = " -> ".join(s.text for s in plan.subgoals) or "nothing to do (already satisfied)"
        prefix = {"plan": "plan", "replan": "re-plan", "switch": "switched task, plan"}.get(why, why)
        self.write(f"{prefix} ({plan.planner}): {steps}" + (f"  [{plan.explanation}]" if plan.explanation else ""))

    def on_subgoal_start(self, agent: Agent, subgoal: Subgoal, actor: str) -> None:
        self.write(f"  -> {subgoal.text}" + ("" if actor == "policy" else f" ({actor})"))

    def on_subgoal_end(self, agent: Agent, result: SubgoalResult) -> None:
        self.write(f"     {'done' if result.success else 'FAILED'} in {result.steps} steps {result.reason}".rstrip())
