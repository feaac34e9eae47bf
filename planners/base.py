"""The Planner interface: instruction + observation -> Plan; re-planning from feedback (embodied.types.Feedback)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from embodied.types import Feedback, Plan, Skill, Subgoal


class Planner(ABC):
    """Turns an instruction plus the current observation summary into subgoals from `skills`.

    `observation` is the env's `describe()` dict (plus optionally an `rgb` image for multimodal
    backends). Re-planning by default plans again from the new observation.
    """

    name: str = "planner"
    wants_image: bool = False  # multimodal backends get the camera image as observation["rgb"]

    @abstractmethod
    def plan(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...]) -> Plan:
        """Ordered subgoals that achieve `instruction` from the state in `observation`."""

    def replan(self, plan: Plan, feedback: Feedback, skills: tuple[Skill, ...]) -> Plan:
        new_plan = self.plan(plan.instruction, feedback.observation, skills)
        if feedback.failed_subgoal is not None:
            new_plan.explanation = (
                f"subgoal {feedback.failed_subgoal.text!r} failed ({feedback.reason or 'no reason given'}); "
                f"re-planned from the current state. {new_plan.explanation}"
            ).strip()
        return new_plan

    def check(self, subgoals: list[Subgoal], observation: dict[str, Any], instruction: str = "") -> None:
        """Raise InvalidPlanError if `subgoals` cannot run in this order from `observation` (or miss a target
        named by `instruction`). Worlds whose planner knows their rules override this; default: no check."""
