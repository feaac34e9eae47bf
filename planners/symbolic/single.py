"""Planner for single-task worlds (the Fetch tasks): the plan is the world's one skill, if asked for."""

from __future__ import annotations

import re
from typing import Any

from embodied.types import InvalidPlanError, Plan, Skill, Subgoal
from planners.base import Planner

_GENERIC = re.compile(r"\b(do|solve|complete|perform) (the|this) task\b")


class SingleTaskPlanner(Planner):
    """Plans [the only skill] when the instruction names it (a word of its description) or the task."""

    name = "symbolic"

    def plan(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...]) -> Plan:
        if len(skills) != 1:
            raise InvalidPlanError(f"single-task planner needs exactly one skill, got {[s.name for s in skills]}")
        skill = skills[0]
        words = set(re.findall(r"[a-z]+", instruction.lower()))
        keywords = set(skill.name.split("_")) | {w for w in skill.description.split() if len(w) > 3}
        if not (_GENERIC.search(instruction.lower()) or words & keywords):
            raise InvalidPlanError(
                f"instruction {instruction!r} does not ask for this world's task ({skill.description!r})"
            )
        if observation.get("done"):
            return Plan(instruction, [], self.name, "already done")
        return Plan(instruction, [Subgoal(skill.name, (), skill.description)], self.name)
