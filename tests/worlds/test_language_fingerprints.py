"""The planner-evaluation sets and the recorded instructions stay identical across refactors: their hashes
were saved from the layout before the world packages (tests/fixtures/language_fingerprints.json)."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from embodied.registry import world
from planners.instructions import generate

SAVED = json.loads((Path(__file__).parents[1] / "fixtures" / "language_fingerprints.json").read_text())


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


@pytest.mark.parametrize("key", sorted(k for k in SAVED if k.startswith("eval/")))
def test_planner_evaluation_sets_are_unchanged(key):
    _, name, seed = key.split("/")
    cases = [[c.instruction, list(c.targets), c.observation] for c in generate(200, int(seed), name)]
    assert _digest(cases) == SAVED[key]


@pytest.mark.parametrize("key", sorted(k for k in SAVED if k.startswith("record/")))
def test_recorded_instructions_are_unchanged(key):
    name = key.split("/")[1]
    texts = [world(name).sample_instruction(np.random.default_rng(seed)) for seed in range(300)]
    assert hashlib.sha256(json.dumps(texts).encode()).hexdigest() == SAVED[key]
