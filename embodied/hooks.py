"""Step hooks on the agent loop (as MineStudio's callbacks): features around the loop subscribe here.

Video recording, achievement tracking, the web demo's live stream and progress reporting are hooks; the
loop itself (embodied/agent.py) only plans, acts, detects and records the trajectory.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from embodied.overlay import Caption, captioned
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


class CaptionTracker(AgentHooks):
    """Follows the instruction, the current subgoal and its status (`caption`, an embodied.overlay.Caption):
    what the videos' strip shows. A subgoal retried by the takeover expert keeps its place in the plan."""

    def __init__(self) -> None:
        self.caption = Caption()

    def on_episode_start(self, agent: Agent, instruction: str, seed: int) -> None:
        self.caption = Caption(instruction)

    def on_plan(self, agent: Agent, plan: Plan, why: str) -> None:
        first = plan.subgoals[0].text if plan.subgoals else ""
        self.caption = Caption(plan.instruction, first, "pending", 0, len(plan.subgoals))

    def on_subgoal_start(self, agent: Agent, subgoal: Subgoal, actor: str) -> None:
        caption = self.caption
        retry = caption.status == "failed" and caption.subgoal == subgoal.text and caption.index > 0
        self.caption = replace(caption, subgoal=subgoal.text, status="running",
                               index=caption.index if retry else caption.index + 1)

    def on_subgoal_end(self, agent: Agent, result: SubgoalResult) -> None:
        self.caption = replace(self.caption, status="done" if result.success else "failed")


class FrameRecorder(CaptionTracker):
    """Keeps `env.render()` after the reset and after every step, each with its caption; `video_frames()` are
    the frames with the caption strip drawn (embodied.overlay.captioned), what every episode video shows."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[np.ndarray] = []
        self.captions: list[Caption] = []

    def on_episode_start(self, agent: Agent, instruction: str, seed: int) -> None:
        super().on_episode_start(agent, instruction, seed)
        self.frames, self.captions = [agent.env.render()], [self.caption]

    def on_plan(self, agent: Agent, plan: Plan, why: str) -> None:
        super().on_plan(agent, plan, why)
        if self.captions and self.captions[-1].status == "pending":  # the frame after the reset: what comes first
            self.captions[-1] = self.caption

    def on_step(self, agent: Agent, step: Step) -> None:
        self.frames.append(agent.env.render())
        self.captions.append(self.caption)

    def on_subgoal_end(self, agent: Agent, result: SubgoalResult) -> None:
        super().on_subgoal_end(agent, result)
        if self.captions and self.captions[-1].status == "running":  # the step that ended the subgoal
            self.captions[-1] = self.caption
        elif self.frames:  # ended before any step (unknown subgoal, a stuck expert): show the outcome still
            self.frames.append(self.frames[-1])
            self.captions.append(self.caption)

    def video_frames(self, hold: int = 4) -> list[np.ndarray]:
        return captioned(self.frames, self.captions, hold)


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
