"""MineDojo's API on Minetest: `make(task_id)` gives an env with MineDojo's observation keys, shapes and dtypes
(minedojo_spaces.json, read off `minedojo.make("harvest_1_log")`), its MultiDiscrete([3, 3, 4, 25, 25, 8, 244,
36]) actions and its gym-0.21 calls (`reset() -> obs`, `step(a) -> obs, reward, done, info`), so agent code
written for MineDojo runs here unchanged."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from gymnasium import spaces

from embodied.worlds.minetest import items
from embodied.worlds.minetest.engine import MinetestProcess
from embodied.worlds.minetest.tasks import Task, task

ACTION_NVEC = (3, 3, 4, 25, 25, 8, 244, 36)
NOOP = np.array([0, 0, 0, 12, 12, 0, 0, 0], dtype=np.int64)
FUNCTIONAL = ("no-op", "use", "drop", "attack", "craft", "equip", "place", "destroy")
ARENA = 20  # the mod's arena half size (nodes)
MAX_DURABILITY = {"wooden_pickaxe": 59.0, "stone_pickaxe": 131.0, "wooden_axe": 59.0, "wooden_sword": 59.0,
                  "wooden_shovel": 59.0}


def layout(seed: int, trees: tuple[int, int] = (5, 9), stones: int = 4) -> dict[str, Any]:
    """The arena drawn from `seed`: trees (x, z, height), 2x2x2 stone outcrops (x, z), spawn (x, z, yaw)."""
    rng = np.random.default_rng(seed)
    taken: list[tuple[int, int]] = [(0, 0)]
    placed: dict[str, list[list[float]]] = {"trees": [], "stones": []}
    wanted = {"trees": int(rng.integers(*trees)), "stones": stones}
    for kind, count in wanted.items():
        while len(placed[kind]) < count:
            x, z = (int(v) for v in rng.integers(-ARENA + 3, ARENA - 3, size=2))
            if all(max(abs(x - a), abs(z - b)) >= 4 for a, b in taken):
                taken.append((x, z))
                placed[kind].append([x, z, int(rng.integers(4, 6))] if kind == "trees" else [x, z])
    yaw = float(rng.integers(0, 24)) * math.pi / 12
    return {**placed, "spawn": [0.5, 0.5, yaw]}


class MinetestMineDojoEnv:
    """One Minetest task behind MineDojo's API; `state` is the mod's last privileged reply (nodes, pose)."""

    def __init__(self, task_id: str = "harvest_1_log", image_size: tuple[int, int] = (160, 256), seed: int = 0,
                 max_steps: int = 1000, frame_wait: float = 0.03, reset_wait: float = 0.3, settle: bool = True) -> None:
        self.task: Task = task(task_id)
        self.task_id, self.task_prompt = task_id, self.task.prompt
        self.task_guidance = f"obtain {self.task.quantity} {self.task.target.replace('_', ' ')}"
        self.image_size, self.max_steps, self._seed = image_size, max_steps, seed
        self.action_space = spaces.MultiDiscrete(ACTION_NVEC)
        self.engine = MinetestProcess(width=image_size[1], height=image_size[0], frame_wait=frame_wait,
                                      settle_timeout=0.5 if settle else 0.0)
        self.state: dict[str, Any] = {}
        self.steps, self.reset_wait, self._first_reset = 0, reset_wait, True
        self._inventory: dict[str, int] = {}

    def seed(self, seed: int | None = None) -> None:
        """Seed of the next reset's arena (MineDojo's `env.seed`)."""
        self._seed = int(seed or 0)

    def reset(self, seed: int | None = None) -> dict[str, Any]:
        if seed is not None:
            self._seed = int(seed)
        start = [f"{items.MINETEST_NAMES[name]} {count}" for name, count in self.task.start]
        self.state = self.engine.command(op="reset", inventory=start, timeofday=0.5, **layout(self._seed))
        self.steps = 0
        self._inventory = self.inventory_counts()
        time.sleep(self.reset_wait * (4 if self._first_reset else 1))  # the client meshes the rebuilt arena
        self._first_reset = False
        return self._observation({})

    def step(self, action: Any) -> tuple[dict[str, Any], float, bool, dict[str, Any]]:
        vector = np.asarray(action, dtype=np.int64).reshape(-1)
        if vector.shape != (8,) or np.any(vector < 0) or np.any(vector >= np.asarray(ACTION_NVEC)):
            raise ValueError(f"minetest: action must be 8 integers below {list(ACTION_NVEC)}, got {action!r}")
        fields: dict[str, Any] = {"op": "step", "action": [int(v) for v in vector]}
        if vector[5] == 4:
            fields["craft"] = items.MINETEST_NAMES.get(items.CRAFT_ITEMS[vector[6]], "")
        before = self._inventory
        self.state = self.engine.command(**fields)
        self.steps += 1
        self._inventory = self.inventory_counts()
        crafted = vector[5] == 4
        success = self._inventory.get(self.task.target, 0) >= self.task.quantity
        done = success or self.steps >= self.max_steps
        info = {"success": success, "is_success": success, "steps": self.steps}
        return self._observation(before, crafted), float(success), bool(done), info

    def close(self) -> None:
        self.engine.close()

    # --- privileged reads -------------------------------------------------------------------------
    def inventory_counts(self) -> dict[str, int]:
        """MineDojo item name -> count held."""
        counts: dict[str, int] = {}
        for name, count, _ in self.state.get("inventory", []):
            if name:
                mc = items.minedojo_name(name)
                counts[mc] = counts.get(mc, 0) + int(count)
        return counts

    def nodes(self, name: str) -> np.ndarray:
        """(N, 3) integer positions of the arena's nodes of a Minetest `name` ("default:tree")."""
        found = self.state.get("nodes") or {}
        return np.asarray(found.get(name, []) if isinstance(found, dict) else [], dtype=np.int64).reshape(-1, 3)

    def table_near(self, radius: float = 3.0) -> bool:
        pos = np.asarray(self.state["pos"])
        tables = self.nodes("embodied:crafting_table")
        return bool(len(tables) and np.min(np.abs(tables - np.round(pos)).max(axis=1)) <= radius)

    # --- observation in MineDojo's layout ---------------------------------------------------------------
    def _observation(self, before: dict[str, int], crafted: bool = False) -> dict[str, Any]:
        rgb = self.engine.grab().transpose(2, 0, 1).copy()
        return {"rgb": rgb, "inventory": self._slots(), "equipment": self._equipment(), "voxels": self._voxels(),
                "life_stats": self._life(), "location_stats": self._location(), "masks": self._masks(),
                "nearby_tools": {"table": np.bool_(self.table_near()), "furnace": np.bool_(False)},
                "delta_inv": _delta(before, self._inventory, crafted), "damage_source": _no_damage()}

    def _slots(self) -> dict[str, np.ndarray]:
        names = [items.minedojo_name(name) if count else "air" for name, count, _ in self.state["inventory"]]
        names = (names + ["air"] * 36)[:36]
        quantity = np.array([count for _, count, _ in self.state["inventory"]][:36] + [0] * 36, np.float32)[:36]
        wear = np.array([w for _, _, w in self.state["inventory"]][:36] + [0] * 36, np.float32)[:36]
        top = np.array([MAX_DURABILITY.get(name, -1.0) for name in names], np.float32)
        current = np.where(top > 0, np.round(top * (1 - wear / 65535.0)), -1.0).astype(np.float32)
        return {"name": np.array(names), "quantity": quantity, "variant": np.zeros(36, np.int64),
                "cur_durability": current, "max_durability": top}

    def _equipment(self) -> dict[str, np.ndarray]:
        slots = self._slots()
        held = int(self.state.get("wield", 1)) - 1
        names = np.array([slots["name"][held]] + ["air"] * 5)
        pick = lambda key: np.concatenate([slots[key][held:held + 1], np.zeros(5, slots[key].dtype)])  # noqa: E731
        return {"name": names, "quantity": pick("quantity"), "variant": np.zeros(6, np.int64),
                "cur_durability": pick("cur_durability"), "max_durability": pick("max_durability")}

    def _voxels(self) -> dict[str, np.ndarray]:
        names = np.array([items.minedojo_name(n) for n in self.state["voxels"]]).reshape(3, 3, 3)
        solid = np.isin(names, list(items.COLLIDABLE))
        offsets = np.stack(np.meshgrid(*[np.arange(-1, 2)] * 3, indexing="ij"), -1).astype(np.float32)
        base = np.round(np.asarray(self.state["pos"], np.float32))
        eye = np.asarray(self.state["pos"], np.float32) + [0, 1.47, 0]
        to_voxel = base + offsets - eye
        cos = to_voxel @ self._look() / np.maximum(np.linalg.norm(to_voxel, axis=-1), 1e-6)
        return {"block_meta": np.zeros((3, 3, 3), np.int64), "block_name": names, "blocks_light": solid,
                "blocks_movement": solid, "can_burn": np.isin(names, ["log", "planks", "leaves", "crafting_table"]),
                "cos_look_vec_angle": cos.astype(np.float32), "is_collidable": solid,
                "is_liquid": np.zeros((3, 3, 3), bool), "is_solid": solid,
                "is_tool_not_required": np.isin(names, ["log", "planks", "dirt", "grass", "leaves", "crafting_table"])}

    def _look(self) -> np.ndarray:
        yaw, pitch = float(self.state["yaw"]), float(self.state["pitch"])
        return np.array([-math.sin(yaw) * math.cos(pitch), -math.sin(pitch), math.cos(yaw) * math.cos(pitch)])

    def _life(self) -> dict[str, Any]:
        one = lambda value: np.array([value], np.float32)  # noqa: E731
        return {"armor": one(0), "food": one(20), "is_sleeping": 0, "life": one(self.state["hp"]),
                "oxygen": one(30 * float(self.state["breath"])), "saturation": one(5), "xp": one(0)}

    def _location(self) -> dict[str, Any]:
        one = lambda value: np.array([value], np.float32)  # noqa: E731
        yaw = (-math.degrees(float(self.state["yaw"])) + 180) % 360 - 180  # MineDojo: turning right adds yaw
        light = float(self.state.get("light", 15))
        return {"biome_id": np.int64(1), "can_see_sky": np.int64(1), "is_raining": np.int64(0),
                "light_level": one(light), "pitch": one(math.degrees(float(self.state["pitch"]))),
                "pos": np.asarray(self.state["pos"], np.float32), "rainfall": one(0.4), "sea_level": one(0),
                "sky_light_level": one(light), "sun_brightness": one(1.0), "temperature": one(0.8),
                "yaw": one(yaw)}

    def _masks(self) -> dict[str, np.ndarray]:
        names = self._slots()["name"]
        held = names != "air"
        blocks = np.isin(names, ["log", "planks", "crafting_table", "cobblestone", "dirt", "furnace"])
        from embodied.worlds.minetest.rules import craftable

        craft = np.array([craftable(name, self._inventory, self.table_near()) for name in items.CRAFT_ITEMS])
        return {"action_arg": np.ones((8, 1), bool), "action_type": np.ones(8, bool), "craft_smelt": craft,
                "destroy": held, "equip": held, "place": blocks}


def _delta(before: dict[str, int], after: dict[str, int], crafted: bool) -> dict[str, np.ndarray]:
    """MineDojo's delta_inv: up to 1 increased and 4 decreased item names and quantities, by craft or other."""
    gained = [(n, after[n] - before.get(n, 0)) for n in after if after[n] > before.get(n, 0)]
    lost = [(n, before[n] - after.get(n, 0)) for n in before if before[n] > after.get(n, 0)]
    out: dict[str, np.ndarray] = {}
    for how in ("craft", "other"):
        mine = crafted == (how == "craft")
        for kind, pairs, size in (("inc", gained, 1), ("dec", lost, 4)):
            chosen = (pairs if mine else [])[:size]
            out[f"{kind}_name_by_{how}"] = np.array([n for n, _ in chosen] + ["none"] * (size - len(chosen)))
            out[f"{kind}_quantity_by_{how}"] = np.array([q for _, q in chosen] + [0] * (size - len(chosen)),
                                                        np.float32)
    return out


def _no_damage() -> dict[str, Any]:
    zero = np.zeros(1, np.float32)
    return {"damage_amount": zero, "damage_distance": zero.copy(), "damage_pitch": zero.copy(),
            "damage_yaw": zero.copy(), "hunger_damage": zero.copy(), "is_explosion": np.bool_(False),
            "is_fire_damage": np.bool_(False), "is_magic_damage": np.bool_(False),
            "is_projectile": np.bool_(False), "is_unblockable": np.bool_(False)}


def make(task_id: str = "harvest_1_log", **kwargs: Any) -> MinetestMineDojoEnv:
    """`minedojo.make` for the tasks this world has (tasks.TASKS)."""
    return MinetestMineDojoEnv(task_id, **kwargs)
