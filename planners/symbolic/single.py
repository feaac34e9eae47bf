"""Planner for single-task worlds (the Fetch tasks): the plan is the world's one subgoal, if asked for."""

from __future__ import annotations

import re
from typing import Any

from embodied.envs.mujoco import fetch_vocab
from embodied.types import InvalidPlanError, Plan, Skill, Subgoal
from planners.base import Planner

_GENERIC = re.compile(r"\b(do|solve|complete|perform|carry out|finish) (the|this|your) task\b")
_STOPWORDS = {"and", "the", "to", "at", "a", "an", "of", "on", "in"}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower().replace("_", " ")))


def task_words(skill: Skill) -> set[str]:
    """Words that name a skill's task: its name's parts ("pick", "place") and its description's verb."""
    verbs = set(skill.name.split("_"))
    if skill.description:
        verbs.add(skill.description.split()[0].lower())
    return verbs - _STOPWORDS


class SingleTaskPlanner(Planner):
    """Plans [the only skill] when the instruction names it ("push the block to the target", "push it",
    "do the task"); nothing when the observation says the task is done; InvalidPlanError otherwise.

    For a Fetch world (`observation["world"]`, from describe()) the words and the Subgoal come from its
    vocabulary (embodied/envs/mujoco/fetch_vocab.py: "put the block on the target" is pick and place); for
    any other single-skill world, from the skill: its name's parts and its description (the canonical text).
    """

    name = "symbolic"

    def plan(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...]) -> Plan:
        if len(skills) != 1:
            names = [s.name for s in skills]
            raise InvalidPlanError(f"the single-task planner needs exactly one skill, got {names}")
        skill, name = skills[0], observation.get("world")
        task = observation.get("task") or skill.description or skill.name
        if name in fetch_vocab.TASKS and fetch_vocab.task(name).skill == skill.name:
            asked, subgoal = fetch_vocab.names_task(name, instruction), fetch_vocab.make_subgoal(name)
        else:
            generic = _GENERIC.search(" ".join(re.findall(r"[a-z]+", instruction.lower())))
            asked = bool(generic or _words(instruction) & task_words(skill))
            subgoal = Subgoal(skill.name, (), skill.description or skill.name)
        if not asked:
            raise InvalidPlanError(
                f"instruction {instruction!r} does not ask for this world's task ({task!r}); "
                f"say e.g. {skill.description or skill.name!r} or 'do the task'"
            )
        if observation.get("done"):
            return Plan(instruction, [], self.name, f"already done: {task}")
        return Plan(instruction, [subgoal], self.name)
