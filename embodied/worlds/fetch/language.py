"""The Fetch worlds' language: each task's phrasings for recording, a one-line rule for prompts."""

from __future__ import annotations

import numpy as np

from embodied.worlds.fetch.vocab import TASKS, task
from embodied.worlds.language import LanguageAssets

GENERIC_INSTRUCTIONS = ("do the task", "complete the task", "solve the task", "perform the task")


def sample_generic_instruction(rng: np.random.Generator) -> str:
    """An instruction that names no task ("do the task"): the rules map it to the world's one task."""
    return GENERIC_INSTRUCTIONS[int(rng.integers(len(GENERIC_INSTRUCTIONS)))]


def sample_task_instruction(world: str, rng: np.random.Generator) -> str:
    """One phrasing of a Fetch world's task, e.g. "push the cube onto the red target"."""
    phrasings = task(world).instructions
    return phrasings[int(rng.integers(len(phrasings)))]


def _assets(world: str) -> LanguageAssets:
    spec = task(world)
    return LanguageAssets(
        rules=f"one task, one subgoal: {spec.text}; an instruction naming it or 'do the task' asks for it",
        examples=(),
        record=lambda rng: sample_task_instruction(world, rng),
        skip="Skip the task if it is already done.",
    )


REACH, PUSH, PICK_AND_PLACE, SLIDE = (_assets(name) for name in TASKS)
