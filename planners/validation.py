"""Reading and checking a language model's plan: pure functions, testable without a model.

A reply is parsed into Subgoals of the world's vocabulary (`World.vocabulary`, an
embodied.worlds.base.Vocabulary) and validated: known skills, arguments the skill
declares, and an order the world's rules allow (the world's symbolic planner's `check`, which for Crafter
simulates the plan against `crafter.constants` from the observed inventory). Every failure is an
InvalidPlanError whose message says precisely what is wrong, so it can be sent back to the model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from embodied.registry import world as world_spec
from embodied.types import InvalidPlanError, Skill, Subgoal, UnknownSubgoalError
from embodied.worlds.base import Vocabulary

_NUMBERED = re.compile(r"^\s*(?:\d+\s*[.):]|[-*\u2022])\s*(.+?)\s*$")
_LIST_KEYS = ("subgoals", "plan", "steps")


def vocabulary(world: str) -> Vocabulary:
    """The vocabulary of a world in the registry (World.vocabulary)."""
    return world_spec(world).load_vocabulary()


def parse_reply(reply: str, vocab: Vocabulary) -> list[Subgoal]:
    """Subgoals from a reply: a JSON list (of texts or {"skill", "args"} objects), an object holding one
    under "subgoals" / "plan" / "steps", or numbered / bulleted lines. Raises InvalidPlanError."""
    items = _json_items(reply)
    if items is None:
        items = [m.group(1) for line in reply.splitlines() if (m := _NUMBERED.match(line))]
    if not items:
        shown = " ".join(reply.split())[:120]
        raise InvalidPlanError(f"reply is neither a JSON list of subgoals nor numbered lines: {shown!r}")
    subgoals = []
    for number, item in enumerate(items, 1):
        subgoal = _subgoal_of(item)
        if isinstance(subgoal, Subgoal):  # arguments are checked before `parse` normalises them
            _check_skill(number, subgoal, {skill.name: skill for skill in vocab.skills})
        try:
            subgoals.append(vocab.parse(subgoal))
        except (UnknownSubgoalError, InvalidPlanError, KeyError, TypeError, ValueError) as error:
            raise InvalidPlanError(f"subgoal {number} {_short(item)} is not in the vocabulary: {error}") from None
    return subgoals


def validate(subgoals: list[Subgoal], observation: dict[str, Any], skills: tuple[Skill, ...],
             check: Callable[..., None] | None = None, instruction: str = "", max_subgoals: int = 0) -> None:
    """Raise InvalidPlanError for an unknown skill, an argument the skill does not take, too many steps, or
    (through `check(subgoals, observation, instruction)`) an order the world's rules do not allow."""
    if max_subgoals and len(subgoals) > max_subgoals:
        raise InvalidPlanError(f"plan has {len(subgoals)} subgoals; at most {max_subgoals} are allowed")
    by_name = {skill.name: skill for skill in skills}
    for number, subgoal in enumerate(subgoals, 1):
        _check_skill(number, subgoal, by_name)
    if check is not None:
        check(subgoals, observation, instruction)


def _check_skill(number: int, subgoal: Subgoal, skills: dict[str, Skill]) -> None:
    skill = skills.get(subgoal.skill)
    if skill is None:
        raise InvalidPlanError(f"subgoal {number} {str(subgoal)!r}: unknown skill {subgoal.skill!r}; "
                               f"expected one of {sorted(skills)}")
    extra = sorted(set(subgoal.kwargs) - set(skill.params))
    if extra:
        raise InvalidPlanError(f"subgoal {number} {str(subgoal)!r}: bad arguments {extra}; skill "
                               f"{skill.name!r} takes {list(skill.params)}")


def _json_items(reply: str) -> list[Any] | None:
    """The list in the first JSON value of a reply (code fences and prose around it allowed), or None."""
    start = min((i for i in (reply.find("["), reply.find("{")) if i >= 0), default=-1)
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(reply[start:])
    except json.JSONDecodeError:
        return None
    if isinstance(value, dict):
        value = next((value[key] for key in _LIST_KEYS if isinstance(value.get(key), list)), None)
    return value if isinstance(value, list) else None


def _subgoal_of(item: Any) -> str | Subgoal:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and "skill" in item:
        return Subgoal.from_json(item)
    if isinstance(item, dict) and "text" in item:
        return str(item["text"])
    raise InvalidPlanError(f"expected a subgoal text or an object with 'skill', got {_short(item)}")


def _short(item: Any) -> str:
    text = json.dumps(item) if not isinstance(item, str) else repr(item)
    return text if len(text) <= 80 else text[:77] + "..."
