"""Rules of a Fetch world: its one task, asked for by naming it ("push it", "do the task"), done once."""

from __future__ import annotations

from typing import Any

from embodied.types import InvalidPlanError, Plan, Skill, Subgoal
from embodied.worlds.fetch import vocab
from embodied.worlds.rules import Rules


class FetchRules(Rules):
    """The plan is [the task] when the instruction names it and it is not done yet (`describe()["done"]`)."""

    def __init__(self, world: str) -> None:
        self.world, self.task = world, vocab.task(world)

    def parse(self, instruction: str) -> list[Subgoal]:
        if not vocab.names_task(self.world, instruction):
            raise InvalidPlanError(
                f"instruction {instruction!r} does not ask for this world's task ({self.task.text!r}); "
                f"say e.g. {self.task.text!r} or 'do the task'"
            )
        return [vocab.make_subgoal(self.world)]

    def expand(self, goals: list[Subgoal], observation: dict[str, Any]) -> list[Subgoal]:
        for goal in goals:
            self._own(goal)
        return [] if observation.get("done") or not goals else [vocab.make_subgoal(self.world)]

    def check(self, subgoals: list[Subgoal], observation: dict[str, Any], instruction: str = "") -> None:
        for subgoal in subgoals:
            self._own(subgoal)
        if len(subgoals) > 1:
            raise InvalidPlanError(f"the plan does {self.task.text!r} {len(subgoals)} times; once is enough")
        if subgoals and observation.get("done"):
            raise InvalidPlanError(f"{self.task.text!r} is already done: skip it")
        if instruction and vocab.names_task(self.world, instruction) and not observation.get("done") \
                and not subgoals:
            raise InvalidPlanError(f"the plan never does {self.task.text!r}, which the instruction asks for")

    def plan(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...] = ()) -> Plan:
        steps = self.expand(self.parse(instruction), observation)
        return Plan(instruction, steps, "symbolic", "" if steps else f"already done: {self.task.text}")

    def _own(self, subgoal: Subgoal) -> None:
        if subgoal.skill != self.task.skill:
            raise InvalidPlanError(f"{subgoal.text or subgoal.skill!r} is not this world's task "
                                   f"({self.task.text!r})")


REACH, PUSH, PICK_AND_PLACE, SLIDE = (FetchRules(name) for name in vocab.TASKS)
