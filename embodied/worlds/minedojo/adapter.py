"""Pure mapping between real MineDojo (0.1) and the platform: its nested observation to the platform's dict,
the platform's Discrete action names to MineDojo's 8-integer vectors.

Numpy only and Python 3.9-compatible, so the tests can load this file inside MineDojo's own venv and check it
against the real `minedojo.make()` spaces (tests/worlds/minedojo_world).
"""

from __future__ import annotations

from typing import Any

import numpy as np

ACTION_NVEC = (3, 3, 4, 25, 25, 8, 244, 36)
NOOP = (0, 0, 0, 12, 12, 0, 0, 0)
# the platform's inventory vector (the same as the minetest world's, so policies move between the two)
INVENTORY = ("log", "planks", "stick", "crafting_table", "wooden_pickaxe", "cobblestone", "stone_pickaxe",
             "dirt", "sapling", "apple")
CRAFTED = ("planks", "stick", "crafting_table", "wooden_pickaxe", "stone_pickaxe")
# Discrete action name -> (index, value) edits of the no-op vector; "craft_*" also set the craft argument
EDITS: dict[str, tuple[tuple[int, int], ...]] = {
    "noop": (), "forward": ((0, 1),), "back": ((0, 2),), "left": ((1, 1),), "right": ((1, 2),),
    "jump_forward": ((0, 1), (2, 1)), "turn_left": ((4, 11),), "turn_right": ((4, 13),),
    "look_up": ((3, 11),), "look_down": ((3, 13),), "attack": ((5, 3),),
    **{"craft_" + item: ((5, 4),) for item in CRAFTED},
    "place_crafting_table": ((5, 6),), "equip_pickaxe": ((5, 5),),
}
ACTIONS = tuple(EDITS)
SLOT_ITEMS = {"place_crafting_table": ("crafting_table",), "equip_pickaxe": ("stone_pickaxe", "wooden_pickaxe")}


def _name(value: Any) -> str:
    return str(value).replace("minecraft:", "").replace(" ", "_")


def inventory_counts(observation: dict[str, Any]) -> dict[str, int]:
    """MineDojo item name -> count, summed over the 36 inventory slots."""
    counts: dict[str, int] = {}
    inventory = observation["inventory"]
    for name, quantity in zip(inventory["name"], inventory["quantity"]):  # noqa: B905 (Python 3.9: no strict)
        name = _name(name)
        if name not in ("air", "none") and quantity > 0:
            counts[name] = counts.get(name, 0) + int(quantity)
    return counts


def action_vector(action: str, observation: dict[str, Any], craft_items: list[str]) -> np.ndarray:
    """MineDojo's action for a platform action name; slot arguments are read from the observation."""
    vector = np.array(NOOP, dtype=np.int64)
    for index, value in EDITS[action]:
        vector[index] = value
    if action.startswith("craft_"):
        vector[6] = craft_items.index(action[len("craft_"):])
    if action in SLOT_ITEMS:
        names = [_name(n) for n in observation["inventory"]["name"]]
        vector[7] = next((names.index(item) for item in SLOT_ITEMS[action] if item in names), 0)
    return vector


def resize(rgb: np.ndarray, size: int) -> np.ndarray:
    """(3, H, W) uint8 -> (size, size, 3) uint8 by nearest-neighbour sampling."""
    channels_last = np.asarray(rgb).transpose(1, 2, 0)
    rows = (np.arange(size) * channels_last.shape[0] // size).astype(int)
    cols = (np.arange(size) * channels_last.shape[1] // size).astype(int)
    return np.ascontiguousarray(channels_last[rows][:, cols]).astype(np.uint8)


def platform_observation(observation: dict[str, Any], size: int) -> dict[str, np.ndarray]:
    """The platform's dict: `rgb` (size, size, 3) uint8 and `inventory` (10,) uint8 counts of INVENTORY."""
    counts = inventory_counts(observation)
    inventory = np.clip([counts.get(name, 0) for name in INVENTORY], 0, 255).astype(np.uint8)
    return {"rgb": resize(observation["rgb"], size), "inventory": inventory}


def nearby(observation: dict[str, Any]) -> list[str]:
    """Kinds of blocks around the player (MineDojo's 3x3x3 voxels), in the platform's describe() words."""
    names = {_name(n) for n in np.asarray(observation["voxels"]["block_name"]).reshape(-1)}
    kinds = {"log": "tree", "log2": "tree", "stone": "stone", "crafting_table": "crafting_table"}
    return sorted({kinds[n] for n in names if n in kinds})


def table_in_reach(observation: dict[str, Any]) -> bool:
    return bool(np.asarray(observation.get("nearby_tools", {}).get("table", False)).any())
