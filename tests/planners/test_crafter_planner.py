import pytest

from embodied.agent import Agent, AgentConfig
from embodied.types import InvalidPlanError
from embodied.worlds.crafter.env import CrafterEnv
from embodied.worlds.crafter.expert import CrafterExpert
from planners.symbolic import SymbolicPlanner


def texts(plan):
    return [s.text for s in plan.subgoals]


def test_stone_pickaxe_from_an_empty_inventory():
    plan = SymbolicPlanner("crafter").plan("make a stone pickaxe", {"inventory": {}})
    assert texts(plan) == ["collect 4 wood", "place table", "make wood pickaxe", "collect stone", "make stone pickaxe"]


def test_only_what_is_missing_from_the_inventory():
    observation = {"inventory": {"wood": 1, "wood_pickaxe": 1}, "nearby": ["table", "grass"]}
    plan = SymbolicPlanner("crafter").plan("craft a stone pickaxe", observation)
    assert texts(plan) == ["collect stone", "make stone pickaxe"]
    done = {"inventory": {"wood": 5}}
    assert texts(SymbolicPlanner("crafter").plan("collect 3 wood", done)) == ["collect 3 wood"]  # counted: 3 more


def test_chained_instructions_and_synonyms():
    plan = SymbolicPlanner("crafter").plan("gather 2 wood, then place a table", {"inventory": {}})
    assert texts(plan) == ["collect 2 wood", "place table"]


def test_iron_tools_need_a_furnace_and_coal():
    plan = texts(SymbolicPlanner("crafter").plan("make an iron pickaxe", {"inventory": {}}))
    assert plan.index("place furnace") < plan.index("make iron pickaxe")
    assert plan.index("make stone pickaxe") < plan.index("collect iron")
    assert "collect coal" in plan


def test_iron_tools_get_their_stations_where_the_iron_was_found():
    planner = SymbolicPlanner("crafter")
    assert texts(planner.plan("make an iron pickaxe", {"inventory": {}})) == [
        "collect 7 wood", "place table", "make wood pickaxe", "collect 5 stone", "make stone pickaxe", "collect coal",
        "collect iron", "place table", "place furnace", "make iron pickaxe"]
    two = texts(planner.plan("make iron pickaxe and make iron sword", {"inventory": {}}))
    assert two[-5:] == ["collect 2 iron", "place table", "place furnace", "make iron pickaxe", "make iron sword"]
    with_stations = {"inventory": {"wood": 1, "coal": 1, "iron": 1}, "nearby": ["table", "furnace"]}
    assert texts(planner.plan("make an iron pickaxe", with_stations)) == ["make iron pickaxe"]
    asked = texts(planner.plan("place a furnace, then make an iron pickaxe", {"inventory": {}}))
    assert asked.index("place furnace") < asked.index("collect iron")  # the furnace where the instruction put it
    held = {"inventory": {"wood": 3, "wood_pickaxe": 1, "stone_pickaxe": 1, "stone": 4}, "nearby": ["table"]}
    plan = texts(planner.plan("make iron pickaxe", held))  # the table from the wood it holds
    assert sorted(plan[:2]) == ["collect coal", "collect iron"]
    assert plan[2:] == ["place table", "place furnace", "make iron pickaxe"]
    short = {"inventory": {"wood": 2, "wood_pickaxe": 1, "stone_pickaxe": 1, "stone": 4}, "nearby": ["table"]}
    plan = texts(planner.plan("make iron pickaxe", short))  # too little wood for a second table: as expanded
    assert "place table" not in plan and plan[-2:] == ["place furnace", "make iron pickaxe"]
    at_table = {"inventory": {"wood": 8, "wood_pickaxe": 1}, "nearby": ["table"]}  # the table in reach is used
    assert texts(planner.plan("make an iron pickaxe", at_table)) == [
        "collect 5 stone", "make stone pickaxe", "collect coal", "collect iron", "place table", "place furnace",
        "make iron pickaxe"]
    assert texts(planner.plan("make a stone pickaxe", {"inventory": {}}))[-1] == "make stone pickaxe"


@pytest.mark.parametrize("instruction", ["fly to the moon", "", "collect 3 tables"])
def test_instructions_it_cannot_understand_are_invalid(instruction):
    with pytest.raises(InvalidPlanError):
        SymbolicPlanner("crafter").plan(instruction, {"inventory": {}})


def test_replanning_from_a_new_state_in_the_real_world():
    env = CrafterEnv()
    planner = SymbolicPlanner("crafter")
    agent = Agent(env, planner, CrafterExpert(env, seed=1), AgentConfig(max_replans=0))
    assert agent.run("make a wood pickaxe", seed=11).success
    again = planner.plan("make a wood pickaxe", env.describe())
    assert texts(again) == ["collect wood", "make wood pickaxe"]  # table is nearby now, pickaxe used its wood
