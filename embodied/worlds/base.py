"""The contract every world implements: a gymnasium env with a settable subgoal and its detector."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

from embodied.types import Skill, Subgoal, UnknownSubgoalError


@dataclass(frozen=True)
class Vocabulary:
    """What can be said in one world: its skills, the canonical goal texts (index = goal id), every text a
    planner may write (`plan_texts`, e.g. counted variants) and `parse` (text or Subgoal -> canonical Subgoal,
    raising UnknownSubgoalError)."""

    world: str
    skills: tuple[Skill, ...]
    goal_texts: tuple[str, ...]
    parse: Callable[[str | Subgoal], Subgoal]
    plan_texts: tuple[str, ...] = ()

    @property
    def texts(self) -> tuple[str, ...]:
        """Every subgoal text a planner may write (constrained decoding's choices)."""
        return self.plan_texts or self.goal_texts


class SubgoalEnv(gym.Env):
    """A gymnasium env whose current subgoal is set from outside and detected inside.

    Subclasses set `vocabulary` (a `Vocabulary`, per class or per instance) and provide
    `subgoal_success()` and `describe()`; `info["is_success"]` in `step` reports it for the current subgoal.
    `goal_texts` is the finite list of canonical subgoal texts whose index is the skill-id a
    policy embeds (counted variants such as "collect 3 wood" map to their base "collect wood").
    """

    world: str = ""
    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self) -> None:
        self._subgoal: Subgoal | None = None

    # --- vocabulary -------------------------------------------------------------------------
    vocabulary: Vocabulary | None = None  # set per class, or per instance (one world class, several tasks)

    @property
    def skills(self) -> tuple[Skill, ...]:
        """Skills a planner may use in this world."""
        return self._vocabulary().skills

    @property
    def goal_texts(self) -> tuple[str, ...]:
        """Canonical subgoal texts; the index of a subgoal's base text is its goal id."""
        return self._vocabulary().goal_texts

    def parse_subgoal(self, subgoal: str | Subgoal) -> Subgoal:
        """Canonical Subgoal from text or a Subgoal; raises UnknownSubgoalError."""
        return self._vocabulary().parse(subgoal)

    def _vocabulary(self) -> Vocabulary:
        if self.vocabulary is None:
            raise NotImplementedError(f"{type(self).__name__} sets no `vocabulary`")
        return self.vocabulary

    def goal_id(self, subgoal: str | Subgoal) -> int:
        parsed = self.parse_subgoal(subgoal)
        base = self.base_text(parsed)
        try:
            return self.goal_texts.index(base)
        except ValueError:
            raise UnknownSubgoalError(f"subgoal {parsed.text!r} has no goal id in world {self.world!r}") from None

    def base_text(self, subgoal: Subgoal) -> str:
        """Text of the subgoal without counts; subclasses with counted subgoals override this."""
        return subgoal.text

    # --- current subgoal ----------------------------------------------------------------------
    @property
    def subgoal(self) -> Subgoal | None:
        return self._subgoal

    def set_subgoal(self, subgoal: str | Subgoal | None) -> Subgoal | None:
        """Set the subgoal whose success `step` reports; restarts its detector from now."""
        self._subgoal = None if subgoal is None else self.parse_subgoal(subgoal)
        if self._subgoal is not None:
            self._start_subgoal(self._subgoal)
        return self._subgoal

    def _start_subgoal(self, subgoal: Subgoal) -> None:
        """Hook: remember whatever the detector measures progress from (counters at start)."""

    @abstractmethod
    def subgoal_success(self) -> bool:
        """Whether the current subgoal has been achieved since it was set."""

    # --- planner view -------------------------------------------------------------------------
    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """A JSON-serialisable summary of the state that planners read (inventory, nearby objects)."""
