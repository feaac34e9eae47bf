"""Crafter (the embedded default Minecraft-style world) behind the gymnasium API with subgoals."""

from __future__ import annotations

import collections
from typing import Any

import crafter
import numpy as np
from gymnasium import spaces

from embodied.types import OBS_FRONTIER, OBS_INVENTORY, OBS_MEMORY, OBS_RGB, OBS_ROUTE, OBS_SEMANTIC, Subgoal
from embodied.worlds.base import SubgoalEnv
from embodied.worlds.crafter import views, vocab, worldgen
from embodied.worlds.crafter.route import ROUTE_DIM, RouteFinder

ACTIONS: tuple[str, ...] = tuple(crafter.constants.actions)
# the web demo's take over: the page's keys -> action names (the tabletop world has its own)
KEYS = {"w": "move_up", "a": "move_left", "s": "move_down", "d": "move_right", " ": "do", "q": "noop",
        "z": "sleep", "1": "place_stone", "2": "place_table", "3": "place_furnace", "4": "place_plant",
        "5": "make_wood_pickaxe", "6": "make_stone_pickaxe", "7": "make_iron_pickaxe", "8": "make_wood_sword",
        "9": "make_stone_sword", "0": "make_iron_sword"}
NEAR_RADIUS = 4  # the 9x7 local view reaches 4 cells left/right of the player


class _OrderedSet(dict):
    """The set interface crafter's world uses for its per-chunk objects (add, remove, iteration), iterated in
    insertion order. crafter keeps plain sets of objects, which iterate in memory-address order, and draws its
    creature spawns / despawns from lists built from them: the same seed then plays out differently from one
    run to the next. In insertion order it does not."""

    def add(self, item: Any) -> None:
        self[item] = None

    def remove(self, item: Any) -> None:
        del self[item]


def _reproducible_reset(world: Any) -> Any:
    """crafter's World.reset, then per-chunk objects in insertion order (see _OrderedSet)."""
    original = world.reset

    def reset(seed: int | None = None) -> None:
        original(seed=seed)
        world._chunks = collections.defaultdict(_OrderedSet)

    return reset


class CrafterEnv(SubgoalEnv):
    """Crafter with a dict observation (`rgb` (S, S, 3) uint8, `inventory` (16,) uint8) and subgoals.

    Success of the current subgoal is read from Crafter's own achievement counters: the subgoal
    "collect 3 wood" succeeds once `collect_wood` has been unlocked 3 more times since it was set.
    `reset(seed=s)` regenerates the same world for the same `s`; `fast_reset` builds it with the vectorised
    generator (the same world bit for bit, the reset some 50x faster than with crafter's own).
    Observation options (embodied/worlds/crafter/views.py): `semantic=True` adds the local view as one-hot
    materials and creatures, `memory=True` the offsets to the nearest landmark of each kind seen so far,
    `frontier=True` the offset to the nearest remembered rock next to never-seen cells (where to dig for ore),
    `route=True` the seen-only expert's next move for the ore searches (embodied/worlds/crafter/route.py),
    `pixels=False` drops `rgb` (the camera still renders for videos). `expert_knows="seen"` limits the
    scripted expert to what the agent has seen (it explores for what it has not), so that its demos and
    labels are a function of what a policy can observe; "world" (the default) lets it read the whole map.
    """

    world = "crafter"
    vocabulary = vocab.VOCABULARY
    action_names = ACTIONS  # the discrete actions by name (the web demo's keyboard take over)
    keys = KEYS
    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self, size: int = 64, max_steps: int = 10000, max_subgoal_steps: int = 300,
        render_mode: str | None = "rgb_array", fast_reset: bool = True,
        pixels: bool = True, semantic: bool = False, memory: bool = False, expert_knows: str = "world",
        frontier: bool = False, route: bool = False,
    ) -> None:
        super().__init__()
        self.size = size
        self.max_steps = max_steps
        self.max_subgoal_steps = max_subgoal_steps
        self.render_mode = render_mode
        self._env = crafter.Env(size=(size, size), length=max_steps, seed=0, reward=True)
        self._env._world.reset = _reproducible_reset(self._env._world)
        if fast_reset:
            worldgen.use_for_reset(self._env)
        if expert_knows not in ("world", "seen"):
            raise ValueError(f"crafter: expert_knows must be 'world' or 'seen', got {expert_knows!r}")
        self.pixels, self.semantic, self.memory, self.expert_knows = pixels, semantic, memory, expert_knows
        if route and expert_knows != "seen":
            raise ValueError("crafter: route=true plans on the remembered map: it needs expert_knows='seen'")
        self.frontier, self.route = frontier, route
        keep_map = memory or frontier or expert_knows == "seen"
        ids = self._env._world._mat_ids
        self._seen = views.SeenMap(ids) if keep_map else None
        self._route = RouteFinder(self) if route else None
        self._rock_ids = (ids["stone"], ids["path"])
        self.observation_space = spaces.Dict(self._observation_spaces())
        self.action_space = spaces.Discrete(len(ACTIONS))
        self._counters_at_start: dict[str, int] = {}
        self._last_rgb: np.ndarray | None = None

    def _observation_spaces(self) -> dict[str, spaces.Space]:
        boxes = {OBS_INVENTORY: spaces.Box(0, 9, (len(vocab.ITEMS),), np.uint8)}
        if self.pixels:
            boxes[OBS_RGB] = spaces.Box(0, 255, (self.size, self.size, 3), np.uint8)
        if self.semantic:
            boxes[OBS_SEMANTIC] = spaces.Box(0, 1, (views.VIEW[1], views.VIEW[0], views.SEMANTIC_IDS), np.uint8)
        if self.memory:
            edge = views.MEMORY_RANGE
            boxes[OBS_MEMORY] = spaces.Box(-edge, edge, (3 * len(views.LANDMARKS) + 3,), np.float32)
        if self.frontier:
            boxes[OBS_FRONTIER] = spaces.Box(-views.MEMORY_RANGE, views.MEMORY_RANGE, (3,), np.float32)
        if self.route:
            boxes[OBS_ROUTE] = spaces.Box(-1, 1, (ROUTE_DIM,), np.float32)
        return boxes

    def base_text(self, subgoal: Subgoal) -> str:
        return subgoal.skill.replace("_", " ")

    # --- privileged state (read by experts and planners) -------------------------------------
    @property
    def player(self) -> Any:
        return self._env._player

    @property
    def game_world(self) -> Any:
        return self._env._world

    @property
    def achievements(self) -> dict[str, int]:
        return dict(self.player.achievements)

    def known_cell(self, cell: tuple[int, int]) -> tuple[str | None, Any]:
        """(material, object) of a cell as the expert may know it: the world's, or with expert_knows="seen"
        the material remembered from the agent's views (None if never seen) and only creatures in view now."""
        if self.expert_knows == "world":
            return self.game_world[cell]
        if not (0 <= cell[0] < self.game_world.area[0] and 0 <= cell[1] < self.game_world.area[1]):
            return None, None
        remembered = int(self._seen.cells[cell])
        material = None if remembered == views.UNSEEN else self.game_world._mat_names[remembered]
        offset = np.abs(np.subtract(cell, self.player.pos))
        in_view = offset[0] <= views.VIEW[0] // 2 and offset[1] <= views.VIEW[1] // 2
        return material, (self.game_world[cell][1] if in_view else None)

    @property
    def seen_cells(self) -> np.ndarray:
        """The agent's remembered map (material ids, views.UNSEEN where never in view)."""
        return self._seen.cells

    def never_seen(self, cell: tuple[int, int]) -> bool:
        """A cell of the world the agent has not had in view (always False with expert_knows="world")."""
        inside = 0 <= cell[0] < self.game_world.area[0] and 0 <= cell[1] < self.game_world.area[1]
        return self.expert_knows == "seen" and inside and int(self._seen.cells[cell]) == views.UNSEEN

    def inventory_dict(self) -> dict[str, int]:
        return {name: int(self.player.inventory[name]) for name in vocab.ITEMS}

    # --- gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self._env._seed = int(seed)
            self._env._episode = 0
        rgb = self._env.reset()
        if self._seen is not None:
            self._seen.reset(self.game_world._mat_map)
        if self._subgoal is not None:
            self._start_subgoal(self._subgoal)
        return self._observation(rgb), self._info(reward=0.0)

    def step(self, action: Any):
        index = _action_index(action)
        rgb, reward, done, info = self._env.step(index)
        dead = self.player.health <= 0
        terminated = bool(dead)
        truncated = bool(done and not dead)
        return self._observation(rgb), float(reward), terminated, truncated, self._info(reward, info)

    def render(self, size: int | None = None) -> np.ndarray:
        """The camera image; `size` renders the same view at another resolution (the web demo's 256 px)."""
        if size is not None and size != self.size and self._env._player is not None:
            return self._env.render((size, size))
        return self._last_rgb if self._last_rgb is not None else self._env.render()

    def close(self) -> None:
        self._env = None  # crafter holds no external resources

    # --- subgoals -----------------------------------------------------------------------------
    def _start_subgoal(self, subgoal: Subgoal) -> None:
        if self._env._player is not None:
            self._counters_at_start = self.achievements

    def subgoal_success(self) -> bool:
        if self._subgoal is None or self._env._player is None:
            return False
        skill = self._subgoal.skill
        gained = self.player.achievements[skill] - self._counters_at_start.get(skill, 0)
        return gained >= int(self._subgoal.arg("count", 1))

    def describe(self) -> dict[str, Any]:
        """Inventory, materials and creatures within the local view, whether a table is in reach."""
        pos = self.player.pos
        materials, objects = self.game_world.nearby(pos, NEAR_RADIUS)
        reach_materials, _ = self.game_world.nearby(pos, 1)
        return {
            "world": self.world,
            "inventory": self.inventory_dict(),
            "nearby": sorted(set(materials) - {None}),
            "creatures": sorted({type(obj).__name__.lower() for obj in objects if obj is not self.player}),
            "in_reach": sorted(set(reach_materials) - {None}),
            "achievements": {k: v for k, v in self.achievements.items() if v},
            "subgoal": self._subgoal.text if self._subgoal else None,
        }

    # --- helpers ------------------------------------------------------------------------------
    def _observation(self, rgb: np.ndarray) -> dict[str, np.ndarray]:
        self._last_rgb = rgb
        inventory = np.array([self.player.inventory[name] for name in vocab.ITEMS], dtype=np.uint8)
        obs = {OBS_INVENTORY: inventory}
        if self.pixels:
            obs[OBS_RGB] = rgb.astype(np.uint8, copy=False)
        pos = self.player.pos
        if self.semantic:
            obs[OBS_SEMANTIC] = views.semantic_view(self._env._sem_view(), pos)
        if self._seen is not None:
            self._seen.update(self.game_world._mat_map, pos)
        if self.memory:
            obs[OBS_MEMORY] = self._seen.features(pos)
        if self.frontier:
            obs[OBS_FRONTIER] = self._seen.frontier(pos, self._rock_ids)
        if self._route is not None:
            obs[OBS_ROUTE] = self._route.observe(self._subgoal)
        return obs

    def _info(self, reward: float, crafter_info: dict[str, Any] | None = None) -> dict[str, Any]:
        info: dict[str, Any] = {
            "is_success": self.subgoal_success(),
            "subgoal": self._subgoal.text if self._subgoal else None,
            "achievements": self.achievements,
        }
        if crafter_info is not None:
            info["semantic"] = crafter_info["semantic"]
        return info


def _action_index(action: Any) -> int:
    """Validate a discrete action (int, numpy scalar or size-1 array); NaN or out of range is an error."""
    value = np.asarray(action).reshape(-1)
    if value.size != 1 or not np.isfinite(value[0]) or value[0] != int(value[0]):
        raise ValueError(f"crafter: action must be one integer in [0, {len(ACTIONS)}), got {action!r}")
    index = int(value[0])
    if not 0 <= index < len(ACTIONS):
        raise ValueError(f"crafter: action must be one integer in [0, {len(ACTIONS)}), got {action!r}")
    return index
