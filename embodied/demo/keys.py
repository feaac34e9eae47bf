"""Take over keys: the page maps a key to one of the world's discrete actions by name (embodied/demo/static/app.js);
a world without named discrete actions gets no keys and a line saying why."""

from __future__ import annotations

# take over: the page maps these keys to the world's discrete actions by name (a world not listed: no take over)
KEYS: dict[str, dict[str, str]] = {
    "crafter": {"w": "move_up", "a": "move_left", "s": "move_down", "d": "move_right", " ": "do", "q": "noop",
                "z": "sleep", "1": "place_stone", "2": "place_table", "3": "place_furnace", "4": "place_plant",
                "5": "make_wood_pickaxe", "6": "make_stone_pickaxe", "7": "make_iron_pickaxe",
                "8": "make_wood_sword", "9": "make_stone_sword", "0": "make_iron_sword"},
    # each is one MineDojo MultiDiscrete vector (embodied/worlds/minetest/env.py's table; slots from the inventory)
    "minetest": {"w": "forward", "s": "back", "a": "left", "d": "right", "j": "jump_forward", "q": "turn_left",
                 "e": "turn_right", "r": "look_up", "f": "look_down", " ": "attack", "z": "noop",
                 "1": "craft_planks", "2": "craft_stick", "3": "craft_crafting_table", "4": "craft_wooden_pickaxe",
                 "5": "craft_stone_pickaxe", "6": "place_crafting_table", "7": "equip_pickaxe"},
}
KEYS_HELP = {
    "crafter": "Take over keys: W A S D move, Space do (hit / collect / interact), Q noop, Z sleep, 1-4 place "
               "stone / table / furnace / plant, 5-7 make wood / stone / iron pickaxe, 8-0 make wood / stone / iron "
               "sword. Click the camera first so it has the keyboard.",
    "minetest": "Take over keys (each one MineDojo action): W S forward / back, A D strafe, J jump forward, Q E turn "
                "15°, R F look up / down, Space attack (dig), Z noop, 1-5 craft planks / stick / crafting table / "
                "wooden pickaxe / stone pickaxe, 6 place crafting table, 7 equip pickaxe. Click the camera first.",
}


def keys_for(world_name: str) -> tuple[dict[str, str], str]:
    """(key -> action name, help line) for take over in `world_name`; ({}, why not) where it has none."""
    if world_name in KEYS:
        return KEYS[world_name], KEYS_HELP[world_name]
    return {}, f"Take over is not available in {world_name}: its actions are continuous (no keys to map)."
