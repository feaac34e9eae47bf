"""Scripted privileged expert for the Minetest world: it reads node positions from the bridge mod, walks to
the nearest tree trunk or stone, aims, digs, crafts by recipe and places the crafting table."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from embodied.types import Subgoal
from embodied.worlds.expert import Expert, ExpertStuck
from embodied.worlds.minetest import items
from embodied.worlds.minetest.env import ACTIONS, MinetestEnv
from embodied.worlds.minetest.rules import RECIPES

EYE = 1.47
TOLERANCE = math.radians(8)
NODE_OF = {"log": "default:tree", "cobblestone": "default:stone"}
RANDOM_MOVES = ("forward", "left", "right", "turn_left", "turn_right")


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


class MinetestExpert(Expert):
    """Solves collect / craft / place subgoals from the mod's state (privileged: node positions, pose)."""

    def __init__(self, env: Any, noise: float = 0.0, seed: int | None = None) -> None:
        super().__init__(env, noise, seed)
        self.minetest: MinetestEnv = env.unwrapped
        self._last_pos: np.ndarray | None = None
        self._unstick: list[str] = []  # moves left of a detour around an obstacle
        self._detours = 0

    def reset(self) -> None:
        self._last_pos, self._unstick, self._detours = None, [], 0

    def act(self, observation: dict[str, np.ndarray]) -> int:
        subgoal = self.minetest.subgoal
        if subgoal is None:
            return ACTIONS.index("noop")
        action = self._action_for(subgoal)
        self.intended = ACTIONS.index(action)
        if self.noise > 0 and self.rng.random() < self.noise:
            return ACTIONS.index(str(self.rng.choice(RANDOM_MOVES)))
        return self.intended

    def _action_for(self, subgoal: Subgoal) -> str:
        verb, _, item = subgoal.skill.partition("_")
        if verb == "collect":
            if item == "cobblestone" and "pickaxe" not in self._wielded():
                if not any(self.minetest.inventory_dict()[p] for p in ("wooden_pickaxe", "stone_pickaxe")):
                    raise ExpertStuck("collect cobblestone needs a pickaxe in the inventory")
                return "equip_pickaxe"
            return self._dig(NODE_OF[item])
        if verb == "place":
            return self._place_table()
        if RECIPES[item].table and not self.minetest.minedojo.table_near():
            tables = self.minetest.minedojo.nodes("embodied:crafting_table")
            if not len(tables):
                raise ExpertStuck(f"craft {item} needs a placed crafting table and there is none")
            return self._walk_to(tables, stop=2.0) or "noop"
        return f"craft_{item}"

    def _wielded(self) -> str:
        state = self.minetest.state
        name, count, _ = state["inventory"][int(state.get("wield", 1)) - 1]
        return items.minedojo_name(name) if count else "air"

    # --- moving and aiming ------------------------------------------------------------------------
    def _dig(self, node: str) -> str:
        state = self.minetest.state
        pointed = state.get("pointed")
        eye = np.asarray(state["pos"]) + [0, EYE, 0]
        if pointed and pointed[3] == node and np.linalg.norm(np.asarray(pointed[:3]) - eye) <= 4.0:
            return "attack"
        targets = self.minetest.minedojo.nodes(node)
        targets = targets[targets[:, 1] <= 2]  # below the leaves, within reach of the feet's level
        if not len(targets):
            raise ExpertStuck(f"no reachable {node} left in the arena")
        move = self._walk_to(targets, stop=1.5)
        if move:
            return move
        target = self._nearest(targets)
        distance = float(np.hypot(*(target[[0, 2]] - np.asarray(state["pos"])[[0, 2]])))
        pitch_error = math.atan2(eye[1] - target[1], max(distance, 0.3)) - float(state["pitch"])
        if abs(pitch_error) > math.radians(7.5):
            return "look_down" if pitch_error > 0 else "look_up"
        return "attack"

    def _nearest(self, targets: np.ndarray) -> np.ndarray:
        pos = np.asarray(self.minetest.state["pos"])
        horizontal = np.hypot(targets[:, 0] - pos[0], targets[:, 2] - pos[2])
        return targets[int(np.argmin(horizontal + 0.01 * targets[:, 1]))]

    def _walk_to(self, targets: np.ndarray, stop: float) -> str | None:
        """Turn towards the nearest target and walk until within `stop` nodes; None when there and facing it."""
        state = self.minetest.state
        pos = np.asarray(state["pos"])
        target = self._nearest(targets)
        dx, dz = target[0] - pos[0], target[2] - pos[2]
        error = _wrap(math.atan2(-dx, dz) - float(state["yaw"]))
        if abs(error) > TOLERANCE:
            return "turn_left" if error > 0 else "turn_right"
        if math.hypot(dx, dz) <= stop:
            return None
        if self._unstick:
            return self._unstick.pop()
        if self._last_pos is not None and np.linalg.norm(pos - self._last_pos) < 0.05:
            side = ("left", "right")[self._detours % 2]  # blocked: back off, sidestep (alternating sides)
            self._detours += 1
            self._unstick = [side] * (3 + self._detours % 3) + ["back", "back"]
            self._last_pos = None
            return self._unstick.pop()
        self._last_pos = pos
        return "forward"

    def _place_table(self) -> str:
        if not self.minetest.inventory_dict()["crafting_table"]:
            raise ExpertStuck("place crafting table needs a crafting table in the inventory")
        state = self.minetest.state
        if float(state["pitch"]) < math.radians(40):
            return "look_down"
        pointed = state.get("pointed")
        if pointed and pointed[1] == 0:
            return "place_crafting_table"
        return "turn_left"
