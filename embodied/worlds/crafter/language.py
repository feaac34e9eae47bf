"""Crafter's language: rules and worked examples for planner prompts, instruction templates for recording
and for scoring planners (paraphrases with random start inventories)."""

from __future__ import annotations

from typing import Any

import crafter
import numpy as np

from embodied.worlds.language import Draft, Example, LanguageAssets


def sample_instruction(rng: np.random.Generator) -> str:
    """Instructions recorded by default: the stone-pickaxe chain and its prefixes."""
    return str(rng.choice(["make a stone pickaxe", "make a wood pickaxe", "collect stone", "place a table"],
                          p=[0.7, 0.1, 0.1, 0.1]))


# --- planner evaluation: 1-2 paraphrased targets, a random start inventory ----------------------------------
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


def _crafter_instruction(rng: np.random.Generator) -> tuple[str, tuple[str, ...]] | None:
    """(paraphrased instruction, canonical targets) of 1-2 targets; None for a chain that repeats its target."""
    parts = [_target(rng) for _ in range(1 if rng.random() < 0.75 else 2)]
    if len(parts) == 2 and parts[0][1] == parts[1][1]:
        return None
    text = parts[0][0] if len(parts) == 1 else str(rng.choice(CHAINS)).format(a=parts[0][0], b=parts[1][0])
    return text, tuple(target for _, target in parts)


def draft_case(rng: np.random.Generator) -> Draft | None:
    drawn = _crafter_instruction(rng)
    return None if drawn is None else (*drawn, lambda: _start_observation(rng))


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


def _start_observation(rng: np.random.Generator) -> dict[str, Any]:
    """A random but plausible start: a few materials and tools, some things in view."""
    odds = {"wood": (0.5, 4), "stone": (0.3, 3), "coal": (0.2, 2), "iron": (0.1, 1), "sapling": (0.2, 1),
            "wood_pickaxe": (0.3, 1), "stone_pickaxe": (0.1, 1), "wood_sword": (0.1, 1)}
    inventory = {item: int(rng.integers(1, most + 1)) for item, (p, most) in odds.items() if rng.random() < p}
    nearby = sorted({"grass"} | {str(x) for x in rng.choice(["tree", "stone", "water", "sand", "coal"],
                                                             size=int(rng.integers(0, 3)), replace=False)})
    if rng.random() < 0.2:
        nearby = sorted([*nearby, "table"] + (["furnace"] if rng.random() < 0.3 else []))
    return {"world": "crafter", "inventory": inventory, "nearby": nearby}


# --- prompts ---------------------------------------------------------------------------------------
def _crafter_rules() -> str:
    rules = crafter.constants
    tools = {next(iter(info["receive"])): list(info["require"]) for info in rules.collect.values()}
    lines = [f"collect {item}: needs {' and '.join(need).replace('_', ' ') or 'nothing'}"
             for item, need in tools.items() if item not in ("drink", "sapling")]
    lines += [f"place {name}: uses {_amounts(info['uses'])}" for name, info in rules.place.items()]
    lines += [f"make {name.replace('_', ' ')}: uses {_amounts(info['uses'])}, near a {' and a '.join(info['nearby'])}"
              for name, info in rules.make.items()]
    return "\n".join(lines)


def _amounts(uses: dict[str, int]) -> str:
    return ", ".join(f"{n} {item}" for item, n in uses.items())


LANGUAGE = LanguageAssets(
    rules=_crafter_rules(),
    # what a player says for sleeping, drinking and eating, which the subgoal texts name otherwise
    related_words=frozenset({"sleep", "nap", "rest", "bed", "thirst", "thirsty", "water", "hungry", "hunger", "food",
                             "beef", "meat", "hunt", "kill", "fight", "health", "energy", "tired"}),
    record=sample_instruction,
    draft=draft_case,
    examples=(
        Example("make a wood pickaxe", {}, ("grass", "tree"), ("collect 3 wood", "place table", "make wood pickaxe")),
        Example("craft a stone sword", {"wood": 1, "wood_pickaxe": 1}, ("grass", "stone", "table"),
                ("collect stone", "make stone sword")),
        Example("collect 2 coal", {"wood_pickaxe": 1}, ("coal", "stone"), ("collect 2 coal",)),
        Example("place a furnace", {"stone": 1, "wood_pickaxe": 1}, ("stone", "table"),
                ("collect 3 stone", "place furnace")),
        Example("drink water", {}, ("grass", "water"), ("collect drink",)),
        Example("make a stone pickaxe", {}, ("grass", "tree"),
                ("collect 4 wood", "place table", "make wood pickaxe", "collect stone", "make stone pickaxe")),
        Example("collect 2 wood, then place a table", {"sapling": 1}, ("tree",), ("collect 2 wood", "place table"),
                goals=("collect 2 wood", "place table")),
        Example("eat a cow", {"wood": 2}, ("grass",), ("eat cow",)),
        Example("mine 3 stone", {"wood_pickaxe": 1}, ("grass", "stone"), ("collect 3 stone",)),
        Example("get some iron", {"wood": 1, "stone_pickaxe": 1}, ("iron", "table"), ("collect iron",)),
        Example("build a wood sword", {"wood": 2}, ("table", "tree"), ("make wood sword",)),
        Example("gather 5 wood", {}, ("tree",), ("collect 5 wood",)),
        Example("plant a sapling", {"sapling": 1}, ("grass",), ("place plant",)),
        Example("kill a zombie", {"wood_sword": 1}, ("grass",), ("defeat zombie",)),
        Example("go to sleep", {}, ("grass",), ("wake up",)),
        Example("craft an iron sword", {"wood": 1, "coal": 1, "iron": 1}, ("furnace", "table"), ("make iron sword",)),
        Example("collect a diamond", {"iron_pickaxe": 1}, ("diamond", "stone"), ("collect diamond",)),
        Example("put a stone down", {"stone": 2}, ("grass",), ("place stone",)),
        Example("make a table, then a wood pickaxe", {"wood": 1}, ("tree",),
                ("collect 2 wood", "place table", "make wood pickaxe"), goals=("place table", "make wood pickaxe")),
        Example("get 2 saplings", {}, ("grass",), ("collect 2 sapling",)),
        Example("make an iron pickaxe", {"wood": 2, "wood_pickaxe": 1, "stone_pickaxe": 1, "coal": 1}, ("table",),
                ("collect iron", "collect 4 stone", "place furnace", "make iron pickaxe")),
        Example("fetch stone for a furnace", {"wood_pickaxe": 1}, ("stone",), ("collect 4 stone", "place furnace")),
        Example("I want to eat a plant", {}, ("grass",), ("collect sapling", "place plant", "eat plant")),
        Example("collect three coal and then make a stone pickaxe", {"wood": 1, "wood_pickaxe": 1}, ("coal", "table"),
                ("collect stone", "collect 3 coal", "make stone pickaxe")),
    ),
    hidden=frozenset({"health", "food", "drink", "energy"}),
)
