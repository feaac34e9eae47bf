"""The Minetest world's subgoals: collect log / cobblestone (optionally N), craft the tech-tree items, place a
crafting table. Item names are MineDojo's ("log", "planks", "crafting_table", "wooden_pickaxe")."""

from __future__ import annotations

import re

from embodied.types import Skill, Subgoal, UnknownSubgoalError
from embodied.worlds.base import Vocabulary

COLLECTED: tuple[str, ...] = ("log", "cobblestone")
CRAFTED: tuple[str, ...] = ("planks", "stick", "crafting_table", "wooden_pickaxe", "stone_pickaxe")
SKILL_NAMES: tuple[str, ...] = (*(f"collect_{i}" for i in COLLECTED), *(f"craft_{i}" for i in CRAFTED),
                                "place_crafting_table")
GOAL_TEXTS: tuple[str, ...] = tuple(name.replace("_", " ") for name in SKILL_NAMES)
SKILLS: tuple[Skill, ...] = tuple(
    Skill(name, ("count",), f"{text} (optionally N times)") if name.startswith("collect_") else Skill(name, (), text)
    for name, text in zip(SKILL_NAMES, GOAL_TEXTS, strict=True))
PLAN_TEXTS: tuple[str, ...] = GOAL_TEXTS + tuple(f"collect {n} {item}" for item in COLLECTED for n in range(2, 10))
_ARTICLES = re.compile(r"\b(a|an|the|some)\b")
_COUNTED = re.compile(r"^collect (\d+) (\w+)$")


def make_subgoal(skill: str, count: int = 1) -> Subgoal:
    """Canonical Subgoal of a skill name ("collect_log", count 3 -> "collect 3 log")."""
    if skill not in SKILL_NAMES:
        raise UnknownSubgoalError(f"unknown minetest skill {skill!r}; expected one of {', '.join(SKILL_NAMES)}")
    if count < 1:
        raise UnknownSubgoalError(f"count must be >= 1 for {skill!r}, got {count}")
    item = skill.partition("_")[2].replace("_", " ")
    verb = skill.partition("_")[0]
    if verb == "collect" and count > 1:
        return Subgoal(skill, (("count", count),), f"collect {count} {item}")
    return Subgoal(skill, (), f"{verb} {item}")


def parse(subgoal: str | Subgoal) -> Subgoal:
    """Subgoal from text ("collect 3 log", "craft a wooden pickaxe"), skill name or Subgoal."""
    if isinstance(subgoal, Subgoal):
        return make_subgoal(subgoal.skill, int(subgoal.arg("count", 1)))
    text = " ".join(_ARTICLES.sub(" ", str(subgoal).strip().lower().replace("_", " ")).split())
    counted = _COUNTED.match(text)
    if counted and counted.group(2) in COLLECTED:
        return make_subgoal(f"collect_{counted.group(2)}", int(counted.group(1)))
    verb, _, item = text.partition(" ")
    skill = f"{verb}_{item.replace(' ', '_')}"
    if skill not in SKILL_NAMES:
        raise UnknownSubgoalError(f"unknown minetest subgoal {subgoal!r}; expected one of: {', '.join(GOAL_TEXTS)} "
                                  f"(or 'collect N log')")
    return make_subgoal(skill)


VOCABULARY = Vocabulary("minetest", SKILLS, GOAL_TEXTS, parse, PLAN_TEXTS)
