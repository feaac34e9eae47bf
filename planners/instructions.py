"""Seeded instruction generator for scoring planners: templates with paraphrases, random start states.

Each case carries the paraphrased instruction, its canonical targets (which the symbolic oracle plans
for, so the ground truth never depends on the oracle understanding the paraphrase) and a start
observation. The few-shot examples' instructions (planners/prompts.py) are never generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from planners.prompts import PROMPTS

TOOLS = ("wood pickaxe", "stone pickaxe", "iron pickaxe", "wood sword", "stone sword", "iron sword")
MATERIALS = ("wood", "stone", "coal", "iron", "diamond", "sapling")
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}
MAKE = ("make a {x}", "craft a {x}", "build a {x}", "create a {x}", "I need a {x}", "get me a {x}",
        "please make a {x}", "can you craft a {x}", "obtain a {x}", "your goal is a {x}")
PLACE = {
    "table": ("place a table", "put down a table", "set up a crafting table", "build a table", "place a table here"),
    "furnace": ("place a furnace", "put down a furnace", "build a furnace", "set up a furnace"),
    "plant": ("place a plant", "plant a sapling", "put a sapling in the ground"),
    "stone": ("place a stone", "put down a stone block", "place stone"),
}
COLLECT_ONE = ("collect {x}", "gather some {x}", "get {x}", "collect one {x}", "fetch some {x}")
COLLECT_MANY = ("collect {n} {x}", "gather {n} {x}", "get {n} {x}", "bring me {n} {x}", "collect {w} {x}",
                "gather {w} {x}")
MINED = ("mine {n} {x}", "dig up {n} {x}")  # stone, coal, iron, diamond
CHOPPED = ("chop {n} wood", "cut {n} wood from trees")
OTHER = {
    "collect drink": ("drink water", "drink some water", "have a drink", "quench your thirst"),
    "eat cow": ("eat a cow", "hunt a cow and eat it", "eat some beef"),
    "defeat zombie": ("defeat a zombie", "kill a zombie", "fight off a zombie"),
    "defeat skeleton": ("defeat a skeleton", "kill a skeleton"),
    "wake up": ("sleep and wake up", "go to sleep until you wake up", "take a nap"),
    "eat plant": ("eat a plant", "grow a sapling and eat it"),
}
CHAINS = ("{a}, then {b}", "{a} and then {b}", "first {a}, then {b}", "{a}; after that {b}")


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


def generate(n: int, seed: int = 0, world: str = "crafter") -> list[InstructionCase]:
    """`n` cases with distinct instruction texts (none of them a few-shot example's)."""
    if world != "crafter":
        raise ValueError(f"no instruction templates for world {world!r} yet; available: crafter")
    rng = np.random.default_rng(seed)
    examples = {example.instruction for prompt in PROMPTS.values() for example in prompt.examples}
    cases: dict[str, InstructionCase] = {}
    for _ in range(200 * n):
        if len(cases) >= n:
            break
        parts = [_target(rng) for _ in range(1 if rng.random() < 0.75 else 2)]
        if len(parts) == 2 and parts[0][1] == parts[1][1]:
            continue
        if len(parts) == 1:
            text = parts[0][0]
        else:
            text = str(rng.choice(CHAINS)).format(a=parts[0][0], b=parts[1][0])
        if text in examples or text in cases:
            continue
        cases[text] = InstructionCase(text, tuple(target for _, target in parts), _observation(rng))
    if len(cases) < n:
        raise ValueError(f"the templates give only {len(cases)} distinct instructions, fewer than n={n}")
    return list(cases.values())


def _target(rng: np.random.Generator) -> tuple[str, str]:
    """(paraphrase, canonical target text) for one target."""
    kind = rng.choice(["make", "place", "collect", "other"], p=[0.35, 0.2, 0.3, 0.15])
    if kind == "make":
        tool = str(rng.choice(TOOLS))
        return str(rng.choice(MAKE)).format(x=tool), f"make {tool}"
    if kind == "place":
        station = str(rng.choice(list(PLACE)))
        return str(rng.choice(PLACE[station])), f"place {station}"
    if kind == "other":
        target = str(rng.choice(list(OTHER)))
        return str(rng.choice(OTHER[target])), target
    item = str(rng.choice(MATERIALS))
    count = int(rng.choice([1, 1, 2, 3, 4, 5]))
    if count == 1:
        return str(rng.choice(COLLECT_ONE)).format(x=item), f"collect {item}"
    templates = COLLECT_MANY + (MINED if item in ("stone", "coal", "iron", "diamond") else ()) + (
        CHOPPED if item == "wood" else ())
    text = str(rng.choice(templates)).format(n=count, w=NUMBER_WORDS[count], x=item)
    return text, f"collect {count} {item}"


def _observation(rng: np.random.Generator) -> dict[str, Any]:
    """A random but plausible start: a few materials and tools, some things in view."""
    odds = {"wood": (0.5, 4), "stone": (0.3, 3), "coal": (0.2, 2), "iron": (0.1, 1), "sapling": (0.2, 1),
            "wood_pickaxe": (0.3, 1), "stone_pickaxe": (0.1, 1), "wood_sword": (0.1, 1)}
    inventory = {item: int(rng.integers(1, most + 1)) for item, (p, most) in odds.items() if rng.random() < p}
    nearby = sorted({"grass"} | {str(x) for x in rng.choice(["tree", "stone", "water", "sand", "coal"],
                                                             size=int(rng.integers(0, 3)), replace=False)})
    if rng.random() < 0.2:
        nearby = sorted([*nearby, "table"] + (["furnace"] if rng.random() < 0.3 else []))
    return {"world": "crafter", "inventory": inventory, "nearby": nearby}
