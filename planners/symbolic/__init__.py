"""The symbolic planner: a world's rules (its knowledge graph, embodied/worlds/<name>/rules.py) as a Planner."""

from __future__ import annotations

from typing import Any

from embodied.registry import world as world_spec
from embodied.types import InvalidPlanError, Plan, Skill, Subgoal
from embodied.worlds.rules import Rules
from planners.base import Planner


class SymbolicPlanner(Planner):
    """Plans and checks with the rules of `world` (default: the world the observation names)."""

    name = "symbolic"

    def __init__(self, world: str = "") -> None:
        self.world = world

    def rules(self, observation: dict[str, Any]) -> Rules:
        return world_spec(self.world or str(observation.get("world", ""))).load_rules()

    def plan(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...] = ()) -> Plan:
        rules = self.rules(observation)
        never = rules.refuse(instruction)
        if never:
            where = self.world or observation.get("world", "")
            raise InvalidPlanError(f"symbolic planner: {instruction!r} is outside the {where} world: {never}")
        plan = rules.plan(instruction, observation, skills)
        plan.planner = self.name
        return plan

    def check(self, subgoals: list[Subgoal], observation: dict[str, Any], instruction: str = "") -> None:
        self.rules(observation).check(subgoals, observation, instruction)
