"""The minedojo world: without MineDojo it is one clear error; with MineDojo's own venv (EMBODIED_MINEDOJO_PYTHON,
a Python 3.9 with minedojo 0.1) the adapter is checked against the real `minedojo.make()` spaces, up to the reset
(which builds Minecraft with gradle and needs internet and Java 8)."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from embodied.registry import MissingDependencyError, world
from embodied.worlds.minedojo import adapter
from embodied.worlds.minedojo.rules import RULES
from embodied.worlds.minetest import items, tasks
from embodied.worlds.minetest.env import ACTIONS as MINETEST_ACTIONS

ROOT = Path(__file__).resolve().parents[3]
MINEDOJO_PYTHON = os.environ.get("EMBODIED_MINEDOJO_PYTHON", "")


def test_without_minedojo_making_the_env_is_one_clear_error():
    pytest.importorskip("gymnasium")
    try:
        import minedojo  # noqa: F401
        pytest.skip("minedojo is installed in this venv")
    except ImportError:
        pass
    with pytest.raises(MissingDependencyError, match="needs MineDojo 0.1 in a Python 3.9 venv"):
        world("minedojo").make_env()


def test_minecraft_recipes_plan_the_wooden_pickaxe():
    plan = RULES.plan("make a wooden pickaxe", {"inventory": {}})
    assert [s.text for s in plan.subgoals][0] == "collect 3 log"  # sticks cost 2 planks in Minecraft
    RULES.check(plan.subgoals, {"inventory": {}}, "make a wooden pickaxe")


def test_the_two_minecraft_worlds_share_actions_and_observations():
    assert adapter.ACTIONS == MINETEST_ACTIONS and adapter.INVENTORY == items.INVENTORY


@pytest.mark.skipif(not Path(MINEDOJO_PYTHON).is_file(), reason="EMBODIED_MINEDOJO_PYTHON (MineDojo's venv) not set")
def test_adapter_against_the_real_minedojo_spaces():
    result = subprocess.run([MINEDOJO_PYTHON, str(Path(__file__).with_name("minedojo_probe.py")), str(ROOT),
                             json.dumps(sorted(tasks.TASKS))], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert tuple(probe["nvec"]) == adapter.ACTION_NVEC and probe["actions_contained"]
    assert probe["craft_args"] == {f"craft_{item}": item for item in adapter.CRAFTED}
    assert probe["slots"] == {"place_crafting_table": 2, "equip_pickaxe": 3}
    assert probe["rgb"] == [64, 64, 3] and probe["inventory"][:5] == [2, 5, 0, 1, 1]
    assert probe["unknown_tasks"] == [] and tuple(probe["craft_items"]) == items.CRAFT_ITEMS
    recorded = json.loads((ROOT / "embodied/worlds/minetest/minedojo_spaces.json").read_text())
    assert probe["spaces"] == recorded  # the minetest world's MineDojo layout is the real one


class FakeMineDojo:
    """Stands in for the `minedojo` module: make() gives an env whose observations have the real layout
    (minedojo_spaces.json); `fail` makes reset raise as MineDojo does when gradle cannot download."""

    def __init__(self, fail=False):
        self.fail, self.logs = fail, 0
        self.spaces = json.loads((ROOT / "embodied/worlds/minetest/minedojo_spaces.json").read_text())
        self.actions = []

    def make(self, task_id, image_size, seed):
        return self

    def observation(self):
        import numpy as np

        tree = {}
        for key, (kind, shape, dtype) in self.spaces.items():
            *parents, leaf = key.split("/")
            node = tree
            for parent in parents:
                node = node.setdefault(parent, {})
            node[leaf] = np.full(shape, "air") if kind == "Text" else np.zeros(shape, dtype if kind == "Box" else int)
        tree["inventory"]["name"][0], tree["inventory"]["quantity"][0] = "log", self.logs
        return tree

    def seed(self, seed):
        pass

    def reset(self):
        if self.fail:
            raise EOFError("/tmp/x/Minecraft")
        return self.observation()

    def step(self, vector):
        self.actions.append(vector)
        self.logs += int(vector[5] == 3)  # every attack yields a log
        return self.observation(), 0.0, False, {"success": self.logs >= 1}

    def close(self):
        pass


def make_env(monkeypatch, fake):
    from embodied.worlds.minedojo import env as minedojo_env

    monkeypatch.setattr(minedojo_env, "import_minedojo", lambda: fake)
    return minedojo_env.MineDojoEnv()


def test_adapter_env_maps_observations_actions_and_success(monkeypatch):
    from embodied.worlds.minetest.env import ACTIONS

    fake = FakeMineDojo()
    env = make_env(monkeypatch, fake)
    observation, _ = env.reset(seed=1)
    assert env.observation_space.contains(observation)
    env.set_subgoal("collect log")
    _, _, _, _, info = env.step(ACTIONS.index("attack"))
    assert info["is_success"] and info["minedojo_success"] and list(fake.actions[-1]) == [0, 0, 0, 12, 12, 3, 0, 0]
    env.step(ACTIONS.index("craft_wooden_pickaxe"))
    assert list(fake.actions[-1][5:7]) == [4, items.CRAFT_ITEMS.index("wooden_pickaxe")]
    assert env.describe()["inventory"] == {"log": 1}


def test_a_minecraft_that_cannot_build_is_one_clear_error(monkeypatch):
    from embodied.worlds.minedojo.env import MinecraftUnavailableError

    env = make_env(monkeypatch, FakeMineDojo(fail=True))
    with pytest.raises(MinecraftUnavailableError, match="needs internet and Java 8"):
        env.reset(seed=0)


def test_java_other_than_8_is_named(monkeypatch):
    import sys

    from embodied.worlds.minedojo import env as minedojo_env

    monkeypatch.setitem(sys.modules, "minedojo", object())
    monkeypatch.setattr(minedojo_env.shutil, "which", lambda name: None)
    with pytest.raises(MissingDependencyError, match="needs Java 8"):
        minedojo_env.import_minedojo()
