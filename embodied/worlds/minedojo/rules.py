"""Minecraft 1.11's recipes for the tech-tree items (sticks: 2 planks -> 4), planned by the minetest rules."""

from embodied.worlds.minetest.rules import CraftingRules, Recipe

RECIPES: dict[str, Recipe] = {
    "planks": Recipe((("log", 1),), 4, False),
    "stick": Recipe((("planks", 2),), 4, False),
    "crafting_table": Recipe((("planks", 4),), 1, False),
    "wooden_pickaxe": Recipe((("planks", 3), ("stick", 2)), 1, True),
    "stone_pickaxe": Recipe((("cobblestone", 3), ("stick", 2)), 1, True),
}
RULES = CraftingRules(RECIPES)
