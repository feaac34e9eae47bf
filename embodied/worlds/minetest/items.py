"""Names: Minetest items and nodes <-> MineDojo (Minecraft 1.11) names, and MineDojo's craft argument list."""

from __future__ import annotations

import json
from pathlib import Path

# Minetest name -> MineDojo name (the items and blocks this world can hold or show)
MINEDOJO_NAMES: dict[str, str] = {
    "air": "air",
    "default:tree": "log",
    "default:wood": "planks",
    "default:stick": "stick",
    "embodied:crafting_table": "crafting_table",
    "default:pick_wood": "wooden_pickaxe",
    "default:pick_stone": "stone_pickaxe",
    "default:axe_wood": "wooden_axe",
    "default:sword_wood": "wooden_sword",
    "default:shovel_wood": "wooden_shovel",
    "default:cobble": "cobblestone",
    "default:stone": "stone",
    "default:dirt": "dirt",
    "default:dirt_with_grass": "grass",
    "default:leaves": "leaves",
    "default:apple": "apple",
    "default:sapling": "sapling",
    "default:furnace": "furnace",
    "default:chest": "chest",
    "embodied:barrier": "barrier",
}
MINETEST_NAMES: dict[str, str] = {mc: mt for mt, mc in MINEDOJO_NAMES.items()}
# The platform env's inventory vector (order = index)
INVENTORY: tuple[str, ...] = ("log", "planks", "stick", "crafting_table", "wooden_pickaxe", "cobblestone",
                              "stone_pickaxe", "dirt", "sapling", "apple")
COLLIDABLE = frozenset({"log", "planks", "crafting_table", "cobblestone", "stone", "dirt", "grass", "leaves",
                        "furnace", "chest", "barrier"})
TOOLS = frozenset({"wooden_pickaxe", "stone_pickaxe", "wooden_axe", "wooden_sword", "wooden_shovel"})


def minedojo_name(minetest_name: str) -> str:
    """MineDojo's name for a Minetest item ("" -> "air"); unknown ones keep their name without the mod prefix."""
    if not minetest_name:
        return "air"
    return MINEDOJO_NAMES.get(minetest_name, minetest_name.rpartition(":")[2])


def _craft_items() -> tuple[str, ...]:
    """MineDojo's ALL_CRAFT_SMELT_ITEMS (244 names, the craft argument), copied from minedojo 0.1."""
    return tuple(json.loads((Path(__file__).parent / "craft_items.json").read_text()))


CRAFT_ITEMS: tuple[str, ...] = _craft_items()
