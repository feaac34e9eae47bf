"""Real MineDojo (Minecraft 1.11.2 through Malmo) behind the platform's gymnasium API: `minedojo.make(task_id)`
with the minetest world's Discrete actions, observation dict and subgoals, so a policy moves between the two.

MineDojo is imported when an env is made: a missing MineDojo or Java 8 is one MissingDependencyError; a
Minecraft that cannot be built on the first reset (gradle downloads, no internet) is MinecraftUnavailableError.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import numpy as np
from gymnasium import spaces

from embodied.registry import MissingDependencyError
from embodied.types import OBS_INVENTORY, OBS_RGB, Subgoal
from embodied.worlds.base import SubgoalEnv
from embodied.worlds.minedojo import adapter, vocab
from embodied.worlds.minetest import items

INSTALL = ("MineDojo 0.1 in a Python 3.9 venv (pip 24.0, setuptools 65.5.0, wheel 0.38.4, "
           "`pip install --no-build-isolation gym==0.21.0 'numpy<2' minedojo`; embodied/worlds/minetest/README.md)")


class MinecraftUnavailableError(MissingDependencyError):
    """MineDojo is installed but its Minecraft could not start (first reset builds it with gradle, online)."""


def import_minedojo() -> Any:
    """The `minedojo` module, or one MissingDependencyError naming what is missing (MineDojo, then Java 8)."""
    try:
        import minedojo
    except ImportError as error:
        raise MissingDependencyError(f"the minedojo world needs {INSTALL}; import failed: {error}") from None
    java = shutil.which("java")
    if java is None:
        raise MissingDependencyError("the minedojo world needs Java 8 (a JDK 1.8 `java` on PATH); none found")
    version = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    if not re.search(r'version "1\.8', version):
        found = (version.splitlines() or ["?"])[0]
        raise MissingDependencyError(f"the minedojo world needs Java 8 (JDK 1.8) for Minecraft 1.11.2; found {found}")
    return minedojo


class MineDojoEnv(SubgoalEnv):
    """One MineDojo task (default techtree_from_barehand_to_wooden_pickaxe) with subgoals read from inventory
    deltas; `info["minedojo_success"]` is MineDojo's own success check for the whole task."""

    world = "minedojo"
    vocabulary = vocab.VOCABULARY
    metadata = {"render_modes": ["rgb_array"], "render_fps": 20}

    def __init__(self, task_id: str = "techtree_from_barehand_to_wooden_pickaxe", size: int = 64,
                 image_size: tuple[int, int] = (160, 256), max_subgoal_steps: int = 600, seed: int = 0) -> None:
        super().__init__()
        minedojo = import_minedojo()
        self.task_id, self.size, self.max_subgoal_steps = task_id, size, max_subgoal_steps
        self._env = minedojo.make(task_id=task_id, image_size=tuple(image_size), seed=seed)
        self._craft_items = list(items.CRAFT_ITEMS)  # MineDojo's ALL_CRAFT_SMELT_ITEMS (tested against it)
        self.observation_space = spaces.Dict({
            OBS_RGB: spaces.Box(0, 255, (size, size, 3), np.uint8),
            OBS_INVENTORY: spaces.Box(0, 255, (len(adapter.INVENTORY),), np.uint8),
        })
        self.action_space = spaces.Discrete(len(adapter.ACTIONS))
        self._raw: dict[str, Any] = {}
        self._at_start: dict[str, int] = {}
        self._table_at_start = False
        self._minedojo_success = False

    def base_text(self, subgoal: Subgoal) -> str:
        return vocab.make_subgoal(subgoal.skill).text

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self._env.seed(seed)
        try:
            self._raw = self._env.reset()
        except Exception as error:  # Malmo/gradle failures surface as many exception types
            raise MinecraftUnavailableError(
                f"MineDojo could not start Minecraft for {self.task_id!r} (the first reset builds it with gradle "
                f"and needs internet and Java 8): {type(error).__name__}: {str(error)[:200]}") from error
        self._minedojo_success = False
        if self._subgoal is not None:
            self._start_subgoal(self._subgoal)
        return adapter.platform_observation(self._raw, self.size), self._info()

    def step(self, action: Any):
        index = int(np.asarray(action).reshape(-1)[0])
        if not 0 <= index < len(adapter.ACTIONS):
            raise ValueError(f"minedojo: action must be one integer in [0, {len(adapter.ACTIONS)}), got {action!r}")
        vector = adapter.action_vector(adapter.ACTIONS[index], self._raw, self._craft_items)
        self._raw, _, done, info = self._env.step(vector)
        self._minedojo_success = bool(info.get("success", False)) or self._minedojo_success
        success = self.subgoal_success()
        return adapter.platform_observation(self._raw, self.size), float(success), bool(done), False, self._info()

    def render(self) -> np.ndarray:
        return np.asarray(self._raw["rgb"]).transpose(1, 2, 0) if self._raw else np.zeros((160, 256, 3), np.uint8)

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
            self._env = None

    def _start_subgoal(self, subgoal: Subgoal) -> None:
        if self._raw:
            self._at_start = adapter.inventory_counts(self._raw)
            self._table_at_start = adapter.table_in_reach(self._raw)

    def subgoal_success(self) -> bool:
        if self._subgoal is None or not self._raw:
            return False
        verb, _, item = self._subgoal.skill.partition("_")
        if verb == "place":
            return adapter.table_in_reach(self._raw) and not self._table_at_start
        gained = adapter.inventory_counts(self._raw).get(item, 0) - self._at_start.get(item, 0)
        return gained >= int(self._subgoal.arg("count", 1))

    def describe(self) -> dict[str, Any]:
        counts = adapter.inventory_counts(self._raw) if self._raw else {}
        return {"world": self.world, "inventory": {k: v for k, v in counts.items() if k in adapter.INVENTORY},
                "nearby": adapter.nearby(self._raw) if self._raw else [],
                "table_in_reach": adapter.table_in_reach(self._raw) if self._raw else False,
                "subgoal": self._subgoal.text if self._subgoal else None}

    def _info(self) -> dict[str, Any]:
        return {"is_success": self.subgoal_success(), "minedojo_success": self._minedojo_success,
                "subgoal": self._subgoal.text if self._subgoal else None}
