"""Rules of FrankaKitchen: the tasks an instruction names, in the order it asks for them.

"open the microwave and then turn on the light" -> [open the microwave, turn on the light switch].
Clauses run in the order written except around "after" ("turn on the light after opening the
microwave" opens the microwave first). "everything" / "all tasks" means all seven. Tasks the
observation (KitchenEnv.describe()) lists as done are skipped.
"""

from __future__ import annotations

import re
from typing import Any

from embodied.types import InvalidPlanError, Plan, Skill, Subgoal
from embodied.worlds.kitchen.vocab import (
    AMBIGUOUS_PATTERNS,
    GOAL_TEXTS,
    TASK_TEXTS,
    make_subgoal,
    mentioned_tasks,
)
from embodied.worlds.rules import Rules

_CLAUSES = re.compile(r"\s*(?:[,;.]|\band then\b|\bthen\b|\band\b|\bafterwards\b|\bfinally\b|\bfirst\b)\s*")
_AFTER = re.compile(r"\s+after\s+(?!that\b)(?!this\b)")
_EVERYTHING = re.compile(r"\b(everything|all (the )?tasks|all (seven|7)( tasks)?|every task)\b")


class KitchenRules(Rules):
    """Keyword rules over the 7 kitchen tasks (see module docstring); unknown instructions are invalid."""

    def parse(self, instruction: str) -> list[Subgoal]:
        return [make_subgoal(task) for task in ordered_tasks(instruction)]

    def expand(self, goals: list[Subgoal], observation: dict[str, Any]) -> list[Subgoal]:
        done = set(observation.get("done", ()))
        return [goal for goal in dict.fromkeys(goals) if goal.text not in done]

    def plan(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...] = ()) -> Plan:
        tasks = ordered_tasks(instruction)
        allowed = {skill.name for skill in skills}
        missing = [TASK_TEXTS[t] for t in tasks if allowed and t.replace(" ", "_") not in allowed]
        if missing:
            raise InvalidPlanError(f"kitchen planner: no skill for {missing} among {sorted(allowed)}")
        done = set(observation.get("done", ()))
        subgoals = [make_subgoal(task) for task in tasks if TASK_TEXTS[task] not in done]
        skipped = [TASK_TEXTS[task] for task in tasks if TASK_TEXTS[task] in done]
        explanation = f"already done: {', '.join(skipped)}" if skipped else ""
        return Plan(instruction, subgoals, "symbolic", explanation)

    def check(self, subgoals: list[Subgoal], observation: dict[str, Any], instruction: str = "") -> None:
        """Raise InvalidPlanError for a task done twice or already done at the start, or (given an instruction
        the keyword rules can read) a task it names that the plan never does."""
        done = set(observation.get("done", ()))
        seen: set[str] = set()
        for number, subgoal in enumerate(subgoals, 1):
            if subgoal.text in seen:
                raise InvalidPlanError(f"subgoal {number} {subgoal.text!r} repeats a task the plan already does")
            if subgoal.text in done:
                raise InvalidPlanError(f"subgoal {number} {subgoal.text!r} is already done: skip it")
            seen.add(subgoal.text)
        if not instruction:
            return
        try:
            tasks = ordered_tasks(instruction)
        except InvalidPlanError:
            return  # an instruction the keyword rules cannot read: nothing to hold the plan to
        for task in tasks:
            if TASK_TEXTS[task] not in seen | done:
                raise InvalidPlanError(f"the plan never does {TASK_TEXTS[task]!r}, which the instruction asks for")
        asked = [TASK_TEXTS[task] for task in tasks if TASK_TEXTS[task] in seen]
        planned = [s.text for s in subgoals if s.text in asked]
        for first, then in zip(asked, asked[1:], strict=False):
            if planned.index(then) < planned.index(first):
                raise InvalidPlanError(f"the instruction asks for {first!r} before {then!r}; the plan does them the "
                                       f"other way round")


def ordered_tasks(instruction: str) -> list[str]:
    """Task keys asked for by `instruction`, in execution order, without repeats; InvalidPlanError if none."""
    text = " ".join(instruction.lower().replace("_", " ").split())
    if _EVERYTHING.search(text):
        return list(TASK_TEXTS)
    tasks: list[str] = []
    for clause in _CLAUSES.split(text):
        # "A after B" does B first
        for part in reversed(_AFTER.split(clause)):
            tasks.extend(_clause_tasks(part, instruction))
    tasks = list(dict.fromkeys(tasks))
    if not tasks:
        raise InvalidPlanError(
            f"kitchen planner found no task in {instruction!r}; it knows: {', '.join(GOAL_TEXTS)}"
        )
    return tasks


def _clause_tasks(clause: str, instruction: str) -> list[str]:
    tasks = mentioned_tasks(clause)
    for pattern, candidates in AMBIGUOUS_PATTERNS.items():
        if re.search(pattern, clause) and not set(candidates) & set(tasks):
            options = " or ".join(repr(TASK_TEXTS[c]) for c in candidates)
            raise InvalidPlanError(f"kitchen planner: {clause!r} in {instruction!r} is ambiguous: {options}?")
    return tasks


RULES = KitchenRules()
