"""The Minetest world behind the platform's gymnasium API: a Discrete table of MineDojo action vectors, a
dict observation (`rgb` (S, S, 3) uint8, `inventory` (10,) uint8) and subgoals read from inventory deltas.

The MineDojo-API env it drives (`self.minedojo`, minedojo_api.py) keeps MineDojo's own layout for agent code
written against MineDojo.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from PIL import Image

from embodied.types import OBS_INVENTORY, OBS_RGB, Subgoal
from embodied.worlds.base import SubgoalEnv
from embodied.worlds.minetest import items, vocab
from embodied.worlds.minetest.minedojo_api import NOOP, MinetestMineDojoEnv

# name -> (index into MineDojo's action vector, value) edits of the no-op vector
_EDITS: dict[str, tuple[tuple[int, int], ...]] = {
    "noop": (), "forward": ((0, 1),), "back": ((0, 2),), "left": ((1, 1),), "right": ((1, 2),),
    "jump_forward": ((0, 1), (2, 1)), "turn_left": ((4, 11),), "turn_right": ((4, 13),),
    "look_up": ((3, 11),), "look_down": ((3, 13),), "attack": ((5, 3),),
    **{f"craft_{item}": ((5, 4), (6, items.CRAFT_ITEMS.index(item))) for item in vocab.CRAFTED},
    "place_crafting_table": ((5, 6),), "equip_pickaxe": ((5, 5),),
}
ACTIONS: tuple[str, ...] = tuple(_EDITS)
# the web demo's take over: the page's keys -> action names (each one MineDojo action vector above)
KEYS = {"w": "forward", "s": "back", "a": "left", "d": "right", "j": "jump_forward", "q": "turn_left",
        "e": "turn_right", "r": "look_up", "f": "look_down", " ": "attack", "z": "noop", "1": "craft_planks",
        "2": "craft_stick", "3": "craft_crafting_table", "4": "craft_wooden_pickaxe", "5": "craft_stone_pickaxe",
        "6": "place_crafting_table", "7": "equip_pickaxe"}
REACH = 4.0


class MinetestEnv(SubgoalEnv):
    """Minetest (real client under Xvfb, lock-step bridge mod) with subgoals; `reset(seed=s)` rebuilds the
    same arena (trees, stone outcrops, spawn) for the same `s`."""

    world = "minetest"
    vocabulary = vocab.VOCABULARY
    action_names = ACTIONS  # the discrete actions by name (the web demo's keyboard take over)
    keys = KEYS
    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self, size: int = 64, max_steps: int = 3000, max_subgoal_steps: int = 400,
                 frame_wait: float = 0.03, settle: bool = True, render_mode: str | None = "rgb_array") -> None:
        super().__init__()
        self.size, self.max_steps, self.max_subgoal_steps = size, max_steps, max_subgoal_steps
        self.render_mode = render_mode
        self.minedojo = MinetestMineDojoEnv("harvest_1_log", seed=0, max_steps=max_steps, frame_wait=frame_wait,
                                            settle=settle)
        self.observation_space = spaces.Dict({
            OBS_RGB: spaces.Box(0, 255, (size, size, 3), np.uint8),
            OBS_INVENTORY: spaces.Box(0, 255, (len(items.INVENTORY),), np.uint8),
        })
        self.action_space = spaces.Discrete(len(ACTIONS))
        self._at_start: dict[str, int] = {}
        self._tables_at_start = 0
        self._frame: np.ndarray | None = None
        self.steps = 0

    def base_text(self, subgoal: Subgoal) -> str:
        return vocab.make_subgoal(subgoal.skill).text

    @property
    def state(self) -> dict[str, Any]:
        """The mod's privileged reply: pos, yaw, pitch, inventory slots, pointed node, arena nodes."""
        return self.minedojo.state

    def inventory_dict(self) -> dict[str, int]:
        counts = self.minedojo.inventory_counts()
        return {name: counts.get(name, 0) for name in items.INVENTORY}

    # --- gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        observation = self.minedojo.reset(seed=int(self.np_random.integers(2**31)) if seed is None else seed)
        self.steps = 0
        if self._subgoal is not None:
            self._start_subgoal(self._subgoal)
        return self._observation(observation), self._info()

    def step(self, action: Any):
        observation, _, _, _ = self.minedojo.step(self.action_vector(action))
        self.steps += 1
        success = self.subgoal_success()
        truncated = self.steps >= self.max_steps
        return self._observation(observation), float(success), False, truncated, self._info()

    def action_vector(self, action: Any) -> np.ndarray:
        """MineDojo's 8-integer action for a Discrete index (slot arguments read from the inventory)."""
        value = np.asarray(action).reshape(-1)
        if value.size != 1 or not np.isfinite(value[0]) or value[0] != int(value[0]) \
                or not 0 <= int(value[0]) < len(ACTIONS):
            raise ValueError(f"minetest: action must be one integer in [0, {len(ACTIONS)}), got {action!r}")
        name = ACTIONS[int(value[0])]
        vector = NOOP.copy()
        for index, entry in _EDITS[name]:
            vector[index] = entry
        if name == "place_crafting_table":
            vector[7] = self._slot("crafting_table")
        elif name == "equip_pickaxe":
            vector[7] = self._slot("stone_pickaxe", "wooden_pickaxe")
        return vector

    def _slot(self, *names: str) -> int:
        slots = [items.minedojo_name(name) if count else "" for name, count, _ in self.state.get("inventory", [])]
        for name in names:
            if name in slots:
                return slots.index(name)
        return int(self.state.get("wield", 1)) - 1

    def render(self) -> np.ndarray:
        return self._frame if self._frame is not None else np.zeros((160, 256, 3), np.uint8)

    def close(self) -> None:
        if self.minedojo is not None:
            self.minedojo.close()
            self.minedojo = None

    # --- subgoals -----------------------------------------------------------------------------
    def _start_subgoal(self, subgoal: Subgoal) -> None:
        if self.state:
            self._at_start = self.inventory_dict()
            self._tables_at_start = len(self.minedojo.nodes("embodied:crafting_table"))

    def subgoal_success(self) -> bool:
        if self._subgoal is None or not self.state:
            return False
        verb, _, item = self._subgoal.skill.partition("_")
        if verb == "place":
            return len(self.minedojo.nodes("embodied:crafting_table")) > self._tables_at_start
        gained = self.inventory_dict().get(item, 0) - self._at_start.get(item, 0)
        return gained >= int(self._subgoal.arg("count", 1))

    def describe(self) -> dict[str, Any]:
        """Inventory, the kinds of nodes within 8 nodes, whether a crafting table is within reach."""
        pos = np.asarray(self.state["pos"])
        nearby = [kind for name, kind in (("default:tree", "tree"), ("default:stone", "stone"),
                                          ("embodied:crafting_table", "crafting_table"))
                  if len(nodes := self.minedojo.nodes(name)) and np.min(np.linalg.norm(nodes - pos, axis=1)) <= 8]
        return {"world": self.world, "inventory": {k: v for k, v in self.inventory_dict().items() if v},
                "nearby": nearby, "table_in_reach": self.minedojo.table_near(),
                "subgoal": self._subgoal.text if self._subgoal else None}

    # --- helpers ------------------------------------------------------------------------------
    def _observation(self, observation: dict[str, Any]) -> dict[str, np.ndarray]:
        self._frame = observation["rgb"].transpose(1, 2, 0)
        small = np.asarray(Image.fromarray(self._frame).resize((self.size, self.size), Image.BILINEAR))
        counts = np.clip([self.inventory_dict()[name] for name in items.INVENTORY], 0, 255).astype(np.uint8)
        return {OBS_RGB: small.astype(np.uint8), OBS_INVENTORY: counts}

    def _info(self) -> dict[str, Any]:
        return {"is_success": self.subgoal_success(), "subgoal": self._subgoal.text if self._subgoal else None,
                "inventory": self.inventory_dict()}
