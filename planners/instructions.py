"""Seeded instruction generator for scoring planners: each world's templates with paraphrases and random
start states (its language assets' `draft` and `feasible`, embodied/worlds/<name>/language.py).

Each case carries the paraphrased instruction, its canonical targets (which the symbolic oracle plans
for, so the ground truth never depends on the oracle understanding the paraphrase) and a start
observation. The worked examples' instructions are never generated.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from embodied.registry import WORLDS
from embodied.registry import world as world_spec
from embodied.worlds.language import InstructionCase

__all__ = ["InstructionCase", "generate", "sample_case"]


def generate(n: int, seed: int = 0, world: str = "crafter") -> list[InstructionCase]:
    """`n` cases with distinct instruction texts (none of them a few-shot example's)."""
    rng = np.random.default_rng(seed)
    seen = {example.instruction for name in WORLDS for example in world_spec(name).load_language().examples}
    cases: dict[str, InstructionCase] = {}
    for _ in range(200 * n):
        if len(cases) >= n:
            break
        case = sample_case(rng, world, skip=seen)
        if case is not None:
            cases[case.instruction] = case
            seen.add(case.instruction)
    if len(cases) < n:
        raise ValueError(f"the {world} templates give only {len(cases)} distinct instructions, fewer than n={n}")
    return list(cases.values())


def sample_case(rng: np.random.Generator, world: str = "crafter",
                skip: Collection[str] = ()) -> InstructionCase | None:
    """One case of `world` (what `generate` collects; training data for planners/mllm); None for a rejected
    draw: a chain that repeats its target, a text in `skip`, a start state with nothing left to do."""
    language = world_spec(world).load_language()
    if language.draft is None:
        raise ValueError(f"no instruction templates for world {world!r} yet (its language assets have no `draft`)")
    drawn = language.draft(rng)
    if drawn is None or drawn[0] in skip:
        return None
    text, targets, start = drawn
    observation = start()  # drawn only for a new text (Crafter draws its start state after the text)
    return InstructionCase(text, targets, observation) if language.feasible(targets, observation) else None
