"""Run inside MineDojo's own venv (Python 3.9) by test_minedojo_adapter.py: checks the adapter against the real
`minedojo.make()` spaces and prints one JSON line. Loads adapter.py by path (the platform needs Python 3.11)."""

import importlib.util
import json
import sys
from pathlib import Path

import minedojo
import numpy as np
from minedojo.sim.mc_meta import mc

root = Path(sys.argv[1])
spec = importlib.util.spec_from_file_location("adapter", root / "embodied/worlds/minedojo/adapter.py")
adapter = importlib.util.module_from_spec(spec)
spec.loader.exec_module(adapter)


def walk(space, prefix=""):
    if hasattr(space, "spaces"):
        out = {}
        for key, value in space.spaces.items():
            out.update(walk(value, prefix + key + "/"))
        return out
    return {prefix[:-1]: [type(space).__name__, list(getattr(space, "shape", None) or []),
                          str(getattr(space, "dtype", ""))]}


def sample(space):
    """A random observation of `space` (MineDojo's own Text.sample fails on numpy 1.26: strings are "air")."""
    if hasattr(space, "spaces"):
        return {key: sample(value) for key, value in space.spaces.items()}
    if type(space).__name__ == "Text":
        return np.full(space.shape, "air")
    return space.sample()


env = minedojo.make(task_id="techtree_from_barehand_to_wooden_pickaxe", image_size=(160, 256))
observation = sample(env.observation_space)
observation["inventory"]["name"] = np.array(["log", "planks", "crafting_table", "wooden_pickaxe"] + ["air"] * 32)
observation["inventory"]["quantity"] = np.array([2, 5, 1, 1] + [0] * 32, dtype=np.float32)
vectors = {name: adapter.action_vector(name, observation, list(mc.ALL_CRAFT_SMELT_ITEMS)) for name in adapter.ACTIONS}
platform = adapter.platform_observation(observation, 64)
minetest_tasks = json.loads(sys.argv[2])
print(json.dumps({
    "nvec": [int(v) for v in env.action_space.nvec],
    "actions_contained": all(env.action_space.contains(v) for v in vectors.values()),
    "craft_args": {name: mc.ALL_CRAFT_SMELT_ITEMS[int(v[6])] for name, v in vectors.items() if v[5] == 4},
    "slots": {name: int(vectors[name][7]) for name in ("place_crafting_table", "equip_pickaxe")},
    "rgb": list(platform["rgb"].shape), "inventory": platform["inventory"].tolist(),
    "spaces": walk(env.observation_space), "craft_items": list(mc.ALL_CRAFT_SMELT_ITEMS),
    "unknown_tasks": sorted(set(minetest_tasks) - set(minedojo.tasks.ALL_PROGRAMMATIC_TASK_IDS)),
    "prompt": env.task_prompt,
}))
