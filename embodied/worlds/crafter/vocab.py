"""Crafter's subgoal vocabulary: its 22 achievements plus counted collection ("collect 3 wood").

Texts are canonical lower-case English ("collect wood", "make wood pickaxe", "place table");
`parse` also accepts the achievement names ("make_wood_pickaxe") and articles ("make a wood pickaxe").
"""

from __future__ import annotations

import re

import crafter

from embodied.types import Skill, Subgoal, UnknownSubgoalError
from embodied.worlds.base import Vocabulary

ACHIEVEMENTS: tuple[str, ...] = tuple(crafter.constants.achievements)
ITEMS: tuple[str, ...] = tuple(crafter.constants.items)  # inventory order
COUNTABLE = ("wood", "stone", "coal", "iron", "diamond", "sapling", "drink")
_ARTICLES = re.compile(r"\b(a|an|the|some)\b")
_COUNTED = re.compile(r"^collect (\d+) (\w+)$")

SKILLS: tuple[Skill, ...] = tuple(
    Skill(
        name,
        ("count",) if name.startswith("collect_") else (),
        f"{name.replace('_', ' ')}" + (" (optionally N times)" if name.startswith("collect_") else ""),
    )
    for name in ACHIEVEMENTS
)
GOAL_TEXTS: tuple[str, ...] = tuple(name.replace("_", " ") for name in ACHIEVEMENTS)
# Every subgoal text a planner may write: the goal texts plus counted collection ("collect 2..9 wood").
PLAN_TEXTS: tuple[str, ...] = GOAL_TEXTS + tuple(
    f"collect {count} {item}" for item in COUNTABLE for count in range(2, 10)
)


def make_subgoal(skill: str, count: int = 1) -> Subgoal:
    """Canonical Subgoal for an achievement name, with a count for collection skills."""
    if skill not in ACHIEVEMENTS:
        raise UnknownSubgoalError(
            f"unknown Crafter skill {skill!r}; expected one of {', '.join(ACHIEVEMENTS)}"
        )
    if count < 1:
        raise UnknownSubgoalError(f"count must be >= 1 for {skill!r}, got {count}")
    if skill.startswith("collect_") and count > 1:
        item = skill.removeprefix("collect_")
        return Subgoal(skill, (("count", count),), f"collect {count} {item}")
    return Subgoal(skill, (), skill.replace("_", " "))


def parse(subgoal: str | Subgoal) -> Subgoal:
    """Subgoal from text / achievement name / Subgoal; raises UnknownSubgoalError."""
    if isinstance(subgoal, Subgoal):
        return make_subgoal(subgoal.skill, int(subgoal.arg("count", 1)))
    text = _ARTICLES.sub(" ", str(subgoal).strip().lower().replace("_", " "))
    text = " ".join(text.split())
    counted = _COUNTED.match(text)
    if counted:
        count, item = int(counted.group(1)), counted.group(2)
        if item not in COUNTABLE:
            raise UnknownSubgoalError(
                f"Crafter cannot count {item!r} in {subgoal!r}; countable: {', '.join(COUNTABLE)}"
            )
        return make_subgoal(f"collect_{item}", count)
    skill = text.replace(" ", "_")
    if skill not in ACHIEVEMENTS:
        raise UnknownSubgoalError(
            f"unknown Crafter subgoal {subgoal!r}; expected one of: {', '.join(GOAL_TEXTS)} "
            f"(or 'collect N <item>')"
        )
    return make_subgoal(skill)

VOCABULARY = Vocabulary("crafter", SKILLS, GOAL_TEXTS, parse, PLAN_TEXTS)
