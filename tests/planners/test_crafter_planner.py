import pytest

from embodied.agent import Agent, AgentConfig
from embodied.envs.crafter.env import CrafterEnv
from embodied.experts.crafter import CrafterExpert
from embodied.types import InvalidPlanError
from planners.symbolic.crafter import CrafterPlanner


def texts(plan):
    return [s.text for s in plan.subgoals]


def test_stone_pickaxe_from_an_empty_inventory():
    plan = CrafterPlanner().plan("make a stone pickaxe", {"inventory": {}})
    assert texts(plan) == ["collect 4 wood", "place table", "make wood pickaxe", "collect stone", "make stone pickaxe"]


def test_only_what_is_missing_from_the_inventory():
    observation = {"inventory": {"wood": 1, "wood_pickaxe": 1}, "nearby": ["table", "grass"]}
    assert texts(CrafterPlanner().plan("craft a stone pickaxe", observation)) == ["collect stone", "make stone pickaxe"]
    done = {"inventory": {"wood": 5}}
    assert texts(CrafterPlanner().plan("collect 3 wood", done)) == ["collect 3 wood"]  # counted: 3 more


def test_chained_instructions_and_synonyms():
    plan = CrafterPlanner().plan("gather 2 wood, then place a table", {"inventory": {}})
    assert texts(plan) == ["collect 2 wood", "place table"]


def test_iron_tools_need_a_furnace_and_coal():
    plan = texts(CrafterPlanner().plan("make an iron pickaxe", {"inventory": {}}))
    assert plan.index("place furnace") < plan.index("make iron pickaxe")
    assert plan.index("make stone pickaxe") < plan.index("collect iron")
    assert "collect coal" in plan


@pytest.mark.parametrize("instruction", ["fly to the moon", "", "collect 3 tables"])
def test_instructions_it_cannot_understand_are_invalid(instruction):
    with pytest.raises(InvalidPlanError):
        CrafterPlanner().plan(instruction, {"inventory": {}})


def test_replanning_from_a_new_state_in_the_real_world():
    env = CrafterEnv()
    planner = CrafterPlanner()
    agent = Agent(env, planner, CrafterExpert(env, seed=1), AgentConfig(max_replans=0))
    assert agent.run("make a wood pickaxe", seed=11).success
    again = planner.plan("make a wood pickaxe", env.describe())
    assert texts(again) == ["collect wood", "make wood pickaxe"]  # table is nearby now, pickaxe used its wood
