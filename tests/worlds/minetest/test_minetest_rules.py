"""The minetest world's knowledge without the engine: instructions and MineDojo task ids plan into runnable
subgoal chains, impossible orders are rejected, and the package imports without Minetest installed."""

import pytest

from embodied.registry import MissingDependencyError, world
from embodied.types import InvalidPlanError
from embodied.worlds.minetest import engine, vocab
from embodied.worlds.minetest.items import CRAFT_ITEMS
from embodied.worlds.minetest.rules import RULES, craftable
from embodied.worlds.minetest.tasks import TASKS, task

PICKAXE_CHAIN = ["collect 2 log", "craft planks", "craft crafting table", "place crafting table", "craft planks",
                 "craft stick", "craft wooden pickaxe"]


def texts(plan):
    return [s.text for s in plan.subgoals]


def test_wooden_pickaxe_from_nothing_plans_the_whole_chain():
    plan = RULES.plan("make a wooden pickaxe", {"inventory": {}})
    assert texts(plan) == PICKAXE_CHAIN
    RULES.check(plan.subgoals, {"inventory": {}}, "make a wooden pickaxe")


@pytest.mark.parametrize("task_id", sorted(TASKS))
def test_every_minedojo_task_id_plans_to_its_target(task_id):
    spec = task(task_id)
    start = {"inventory": dict(spec.start)}
    plan = RULES.plan(task_id, start)
    RULES.check(plan.subgoals, start)
    last = plan.subgoals[-1]
    assert last.skill.endswith(spec.target)
    assert int(last.arg("count", 1)) == (spec.quantity if last.skill.startswith("collect_") else 1)


def test_what_is_held_or_placed_is_skipped():
    observation = {"inventory": {"planks": 3, "stick": 2}, "table_in_reach": True}
    assert texts(RULES.plan("craft a wooden pickaxe", observation)) == ["craft wooden pickaxe"]


def test_impossible_orders_and_missing_targets_are_rejected():
    with pytest.raises(InvalidPlanError, match="needs 3 planks"):
        RULES.check([vocab.parse("craft wooden pickaxe")], {"inventory": {}, "table_in_reach": True})
    with pytest.raises(InvalidPlanError, match="pickaxe"):
        RULES.check([vocab.parse("collect cobblestone")], {"inventory": {}})
    with pytest.raises(InvalidPlanError, match="never does"):
        RULES.check([vocab.parse("collect log")], {"inventory": {}}, "collect 3 log")
    with pytest.raises(InvalidPlanError, match="do not understand"):
        RULES.parse("fly to the moon")


def test_craft_mask_follows_recipes_and_minedojo_indices():
    assert len(CRAFT_ITEMS) == 244 and CRAFT_ITEMS.index("wooden_pickaxe") == 219
    assert craftable("planks", {"log": 1}, table_near=False)
    assert not craftable("wooden_pickaxe", {"planks": 3, "stick": 2}, table_near=False)
    assert craftable("wooden_pickaxe", {"planks": 3, "stick": 2}, table_near=True)


def test_vocabulary_and_language_load_through_the_registry():
    spec = world("minetest")
    assert spec.load_vocabulary().goal_texts == vocab.GOAL_TEXTS
    for example in spec.load_language().examples:
        RULES.check([vocab.parse(t) for t in example.plan], example.observation(), example.instruction)


def test_a_missing_minetest_binary_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(engine.shutil, "which", lambda name: None)
    monkeypatch.setattr(engine.os, "access", lambda path, mode: False)
    with pytest.raises(MissingDependencyError, match="apt-get install -y minetest minetest-server xvfb"):
        engine.find_binary()
