"""The Minetest world's language: the recipe rules and worked examples for planner prompts, and the
instructions recorded by default (the wooden-pickaxe chain, MineDojo's harvest and tech-tree prompts)."""

from __future__ import annotations

import numpy as np

from embodied.worlds.language import Example, LanguageAssets, choose

RULES_TEXT = (
    "Minetest (Minecraft-like). collect log: dig a tree trunk by hand. craft planks: 1 log -> 4 planks. "
    "craft stick: 1 planks -> 4 sticks. craft crafting table: 4 planks. place crafting table: needs one in the "
    "inventory. craft wooden pickaxe: 3 planks + 2 sticks, a placed crafting table in reach. collect cobblestone: "
    "dig stone, needs a pickaxe. craft stone pickaxe: 3 cobblestone + 2 sticks, a crafting table in reach."
)
EXAMPLES = (
    Example("make a wooden pickaxe", {}, ("tree",),
            ("collect 2 log", "craft planks", "craft crafting table", "place crafting table", "craft planks",
             "craft stick", "craft wooden pickaxe")),
    Example("craft some sticks", {"log": 1}, ("tree",), ("craft planks", "craft stick")),
    Example("get 3 cobblestone", {"wooden_pickaxe": 1}, ("stone",), ("collect 3 cobblestone",)),
)
RECORDED = ("make a wooden pickaxe", "obtain log", "collect 2 log", "craft planks", "make a crafting table")


def sample_instruction(rng: np.random.Generator) -> str:
    """Mostly the wooden-pickaxe chain, sometimes one of its prefixes."""
    return RECORDED[0] if rng.random() < 0.6 else choose(rng, RECORDED[1:])


LANGUAGE = LanguageAssets(RULES_TEXT, EXAMPLES, sample_instruction,
                          skip="Skip what the inventory already has; a placed table in reach need not be placed again.")
