"""Vocabulary of the four Fetch worlds: one task each, its canonical subgoal text and its phrasings.

Shared by the env (parsing subgoals), the single-task planner and the instruction sampler, so a subgoal
written anywhere is the same Subgoal the env detects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from embodied.types import Skill, Subgoal, UnknownSubgoalError
from embodied.worlds.base import Vocabulary


@dataclass(frozen=True)
class FetchTask:
    """One gymnasium-robotics Fetch task as a single-subgoal world."""

    world: str  # registry name, e.g. "fetch_push"
    env_id: str  # gymnasium id, e.g. "FetchPush-v4"
    skill: str  # skill name, e.g. "push"
    text: str  # canonical subgoal text
    verbs: tuple[str, ...]  # words that name the task in an instruction or a subgoal variant
    max_subgoal_steps: int
    instructions: tuple[str, ...]  # phrasings recorded with demonstrations


TASKS: dict[str, FetchTask] = {
    task.world: task
    for task in (
        FetchTask("fetch_reach", "FetchReach-v4", "reach", "reach the target", ("reach", "touch"), 50,
                  ("reach the target", "reach the red target with the gripper", "reach for the goal",
                   "touch the target with the gripper")),
        FetchTask("fetch_push", "FetchPush-v4", "push", "push the block to the target", ("push",), 50,
                  ("push the block to the target", "push the cube onto the red target",
                   "push the block to the goal", "push the block across the table to the target")),
        FetchTask("fetch_pick_and_place", "FetchPickAndPlace-v4", "pick_and_place",
                  "pick and place the block at the target", ("pick", "place", "lift", "put"), 50,
                  ("pick and place the block at the target", "pick up the block and place it at the target",
                   "put the block on the red target", "lift the block to the target")),
        # 100 steps, not 50: the expert lines the puck up with a sideways tap before the strike and the puck
        # then slides for up to ~30 steps (see embodied/worlds/fetch/slide.py)
        FetchTask("fetch_slide", "FetchSlide-v4", "slide", "slide the puck to the target", ("slide", "shoot"),
                  100, ("slide the puck to the target", "slide the puck onto the red target",
                        "shoot the puck to the target", "slide the puck to the goal")),
    )
}
_GENERIC = re.compile(r"\b(do|solve|complete|perform|carry out|finish) (the|this|your) task\b")
_ARTICLES = re.compile(r"\b(the|a|an)\b")


def task(world: str) -> FetchTask:
    if world not in TASKS:
        raise UnknownSubgoalError(f"unknown Fetch world {world!r}; expected one of {sorted(TASKS)}")
    return TASKS[world]


def skill(world: str) -> Skill:
    spec = task(world)
    return Skill(spec.skill, (), spec.text)


def make_subgoal(world: str) -> Subgoal:
    """The one canonical Subgoal of a Fetch world."""
    spec = task(world)
    return Subgoal(spec.skill, (), spec.text)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower().replace("_", " "))


def names_task(world: str, text: str) -> bool:
    """Whether an instruction or subgoal text asks for this world's task (a verb of it, or 'do the task')."""
    lowered = " ".join(_words(text))
    return bool(_GENERIC.search(lowered)) or bool(set(_words(text)) & set(task(world).verbs))


def parse(world: str, subgoal: str | Subgoal) -> Subgoal:
    """Canonical Subgoal from its text, skill name, a variant naming the task, or a Subgoal."""
    spec = task(world)
    if isinstance(subgoal, Subgoal):
        if subgoal.skill == spec.skill:
            return make_subgoal(world)
        text = subgoal.text or subgoal.skill
    else:
        text = str(subgoal)
    plain = " ".join(_ARTICLES.sub(" ", " ".join(_words(text))).split())
    canonical = " ".join(_ARTICLES.sub(" ", spec.text).split())
    if plain in (canonical, spec.skill.replace("_", " ")) or names_task(world, text):
        return make_subgoal(world)
    raise UnknownSubgoalError(
        f"unknown subgoal {text!r} for {world}; its only skill is {spec.skill!r} ({spec.text!r})"
    )


def vocabulary(world: str) -> Vocabulary:
    """The one-skill Vocabulary of a Fetch world."""
    spec = task(world)
    return Vocabulary(world, (skill(world),), (spec.text,), lambda subgoal: parse(world, subgoal))


VOCABULARIES: dict[str, Vocabulary] = {name: vocabulary(name) for name in TASKS}
REACH, PUSH, PICK_AND_PLACE, SLIDE = VOCABULARIES.values()
