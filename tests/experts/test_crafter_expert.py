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


def _walled_in_with(env, material, offset):
    """The player inside solid stone (9x9, nothing to walk on) with one `material` cell at `offset`."""
    world, (x, y) = env.game_world, env.player.pos
    for obj in list(world.objects):
        if obj is not env.player:
            world.remove(obj)
    for dx in range(-4, 5):
        for dy in range(-4, 5):
            world[(x + dx, y + dy)] = "stone"
    world[(x, y)] = "path"
    world[(x + offset[0], y + offset[1])] = material


@pytest.mark.parametrize("knows", ["world", "seen"])
def test_expert_tunnels_through_stone_to_coal(knows):
    env = CrafterEnv(expert_knows=knows)
    env.reset(seed=2)
    _walled_in_with(env, "coal", (3, 2))
    env.player.inventory["wood_pickaxe"] = 1
    env.set_subgoal("collect coal")
    expert = CrafterExpert(env, seed=0)
    observation = env.step(0)[0]  # a noop: the view (and what the seen-only expert knows) is the walled-in one
    for _ in range(30):
        observation = env.step(expert.act(observation))[0]
        if env.player.inventory["coal"]:
            break
    assert env.player.inventory["coal"] == 1
    assert env.player.inventory["stone"] >= 3  # mined its way there (3 + 2 cells away, in a straight line or not)


def test_expert_places_a_furnace_in_a_tunnel_next_to_its_table():
    env = CrafterEnv()
    env.reset(seed=2)
    _walled_in_with(env, "table", (1, 0))
    env.player.inventory.update({"wood_pickaxe": 1, "stone": 4})
    env.set_subgoal("place furnace")
    expert = CrafterExpert(env, seed=0)
    observation = env.step(0)[0]
    for _ in range(10):
        observation = env.step(expert.act(observation))[0]
    assert "furnace" in env.game_world.nearby(env.player.pos, 1)[0]  # beside the table, within reach of both
    assert "table" in env.game_world.nearby(env.player.pos, 1)[0]
