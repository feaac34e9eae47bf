import pytest

from embodied.agent import Agent, AgentConfig
from embodied.worlds.crafter.env import CrafterEnv
from embodied.worlds.crafter.expert import CrafterExpert
from planners.symbolic import SymbolicPlanner


@pytest.mark.parametrize("seed", [3, 4])
def test_expert_completes_the_stone_pickaxe_chain(seed):
    env = CrafterEnv()
    agent = Agent(env, SymbolicPlanner("crafter"), CrafterExpert(env, seed=seed), AgentConfig(max_replans=0))
    trajectory = agent.run("make a stone pickaxe", seed=seed)
    assert trajectory.success, [r.to_json() for r in trajectory.results]
    assert env.inventory_dict()["stone_pickaxe"] == 1
    assert [r.subgoal for r in trajectory.results] == [
        "collect 4 wood", "place table", "make wood pickaxe", "collect stone", "make stone pickaxe"]


def test_expert_collects_drink():
    env = CrafterEnv()
    agent = Agent(env, SymbolicPlanner("crafter"), CrafterExpert(env, seed=0), AgentConfig(max_replans=0))
    assert agent.run("collect drink", seed=5).success
