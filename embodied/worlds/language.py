"""The contract of a world's language assets: what language planners are told about it (rules, worked
examples, a state summary) and its instruction templates (for recording and for scoring planners).

Each world package has a `language.py` with one `LanguageAssets`; planners/prompts.py and
planners/instructions.py read it and hold no per-world code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embodied.types import OBS_RGB

_SKIPPED_KEYS = {"world", "inventory", "achievements", "subgoal", OBS_RGB}
# A drawn evaluation case before its start state: (instruction, canonical targets, draws the start observation)
Draft = tuple[str, tuple[str, ...], Callable[[], dict[str, Any]]]


@dataclass(frozen=True)
class Example:
    """One worked example: the state, the instruction and the plan an expert would write."""

    instruction: str
    inventory: dict[str, int]
    nearby: tuple[str, ...]
    plan: tuple[str, ...]
    state: dict[str, Any] = field(default_factory=dict)  # worlds without an inventory: the describe() dict
    goals: tuple[str, ...] = ()  # what the instruction asks for, where `example_goals` would find less

    def observation(self) -> dict[str, Any]:
        if self.state:
            return json.loads(json.dumps(self.state))  # a deep copy
        return {"inventory": dict(self.inventory), "nearby": list(self.nearby)}


@dataclass(frozen=True)
class InstructionCase:
    """A generated instruction with its canonical targets and the start observation."""

    instruction: str
    targets: tuple[str, ...]
    observation: dict[str, Any]

    @property
    def canonical(self) -> str:
        """The targets as an instruction every symbolic planner reads ("collect 3 wood, then place table")."""
        return ", then ".join(self.targets)


def always_feasible(targets: tuple[str, ...], observation: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True)
class LanguageAssets:
    """A world's language: `rules` and `examples` for prompts, inventory / observation keys to `hide` (or
    its own one-line `summary`), what to say about skipping; `record(rng)` draws an instruction to record a
    demonstration for; `draft(rng)` draws a planner-evaluation case (None: rejected) that `feasible` keeps."""

    rules: str
    examples: tuple[Example, ...]
    record: Callable[[np.random.Generator], str]
    draft: Callable[[np.random.Generator], Draft | None] | None = None
    feasible: Callable[[tuple[str, ...], dict[str, Any]], bool] = always_feasible
    hidden: frozenset[str] = frozenset()
    summary: Callable[[dict[str, Any]], str] | None = None
    skip: str = "Skip what the inventory already has."
    related_words: frozenset[str] = frozenset()  # words naming the world's things beyond its subgoal texts

    def state(self, observation: dict[str, Any]) -> str:
        return self.summary(observation) if self.summary else describe_state(observation, self.hidden)


def describe_state(observation: dict[str, Any], hidden: frozenset[str] = frozenset()) -> str:
    """One line summarising an env's `describe()`: non-zero inventory, then every other listed fact."""
    inventory = observation.get("inventory") or {}
    items = [f"{count} {name.replace('_', ' ')}" for name, count in inventory.items() if count and name not in hidden]
    parts = [f"inventory: {', '.join(items) or 'empty'}"]
    for key, value in observation.items():
        if key in _SKIPPED_KEYS or key in hidden or value in (None, [], {}, ""):
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else json.dumps(value, default=str)
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts)


def choose(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    """One of `options`, by one `rng.integers` draw (the templates' shared way to pick a wording)."""
    return str(options[int(rng.integers(len(options)))])


def eager(case: Callable[[np.random.Generator], tuple[str, tuple[str, ...], dict[str, Any]]]):
    """A draft from a sampler that draws its start state together with the text."""
    def draft(rng: np.random.Generator) -> Draft:
        text, targets, start = case(rng)
        return text, targets, lambda: start
    return draft
