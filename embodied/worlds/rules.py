"""The contract of a world's rules (its knowledge graph): read an instruction, plan, check, expand goals."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from embodied.types import Plan, Skill, Subgoal


class Rules(ABC):
    """A world's knowledge graph. Every world implements all four: the generic symbolic planner
    (planners/symbolic) plans with them, language planners validate and ground replies with `check` and
    write steps with `expand`, and evaluation scores what an agent achieved with `check`.

    Observations are the env's `describe()` dicts.
    """

    @abstractmethod
    def parse(self, instruction: str) -> list[Subgoal]:
        """The goals an instruction names, in the order they are to be done; InvalidPlanError if unreadable."""

    @abstractmethod
    def expand(self, goals: list[Subgoal], observation: dict[str, Any]) -> list[Subgoal]:
        """The steps that achieve `goals` in order from `observation` (what is already true is skipped)."""

    @abstractmethod
    def check(self, subgoals: list[Subgoal], observation: dict[str, Any], instruction: str = "") -> None:
        """Raise InvalidPlanError if `subgoals` cannot run in this order from `observation`, or, given an
        instruction these rules can read, if they leave out a goal it asks for (and that is not already true)."""

    def refuse(self, instruction: str) -> str | None:
        """Why this world can never do what `instruction` asks although its words name things the world has
        (Crafter has diamonds and swords but no diamond sword); None when it may. Language planners refuse
        such an instruction before asking their model."""
        return None

    def plan(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...] = ()) -> Plan:
        """`expand(parse(instruction))`; worlds may add an explanation (what was skipped and why)."""
        return Plan(instruction, self.expand(self.parse(instruction), observation), "symbolic")
