"""Symbolic planner for the tabletop world: stacking orders, pushes and grasps from an instruction."""

from __future__ import annotations

import re
from typing import Any

from embodied.envs.mujoco.tabletop_vocab import COLOR_PATTERN, COLORS, STACK_PATTERN, make_subgoal, parse
from embodied.types import InvalidPlanError, Plan, Skill, Subgoal, UnknownSubgoalError
from planners.base import Planner

_SPLIT = re.compile(r"\s*(?:,\s*(?:and\s+)?then\b|\bthen\b|,|;|\band then\b|\band\b)\s*")
_TOWER = re.compile(r"^(?:build|make) (?:a )?tower (?:of )?(.+)$")
_STACK = re.compile(STACK_PATTERN)


class TabletopPlanner(Planner):
    """Instruction -> pick/place/push/open subgoals, skipping what the observation says is already true."""

    name = "symbolic"

    def plan(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...] = ()) -> Plan:
        text = " ".join(instruction.lower().replace(".", " ").split())
        if not text:
            raise InvalidPlanError("empty instruction")
        steps: list[Subgoal] = []
        tower = _TOWER.match(text)
        clauses = [text] if tower else [c for c in _SPLIT.split(text) if c]
        for clause in clauses:
            steps.extend(self._clause(clause, observation))
        return Plan(instruction, steps, self.name)

    def _clause(self, clause: str, observation: dict[str, Any]) -> list[Subgoal]:
        on = observation.get("on", {})
        tower = _TOWER.match(clause)
        if tower:
            order = re.findall(COLOR_PATTERN, tower.group(1))
            if len(order) < 2 or len(set(order)) != len(order):
                raise InvalidPlanError(f"a tower needs two or three different colours, got {clause!r}")
            pairs = list(zip(order[:-1], order[1:], strict=True))[::-1]  # bottom-up
            return [s for top, below in pairs for s in self._stack(top, below, on)]
        stack = _STACK.match(clause)
        if stack:
            return self._stack(stack.group(1), stack.group(2), on)
        try:
            subgoal = parse(clause if "region" in clause or "push" not in clause else clause + " region")
        except UnknownSubgoalError:
            raise InvalidPlanError(
                f"tabletop planner does not understand {clause!r}; say e.g. 'stack the red block on the blue one', "
                f"'push the green block to the left', 'pick up the red block', 'open the gripper' "
                f"(colours: {', '.join(COLORS)})"
            ) from None
        if subgoal.skill == "push_to" and observation.get("regions", {}).get(subgoal.arg("object")) == subgoal.arg(
                "region"):
            return []
        if subgoal.skill == "place_on":
            return self._stack(subgoal.arg("object"), subgoal.arg("target"), on)
        return [subgoal]

    @staticmethod
    def _stack(top: str, below: str, on: dict[str, str]) -> list[Subgoal]:
        if on.get(top) == below:
            return []
        return [make_subgoal("pick_up", object=top), make_subgoal("place_on", object=top, target=below)]
