"""Crafter's `route` observation: the seen-only expert's next move for the ore searches, from the remembered map."""

import numpy as np
import pytest

from embodied.agent import Agent, AgentConfig
from embodied.registry import make_planner
from embodied.types import OBS_ROUTE
from embodied.worlds.crafter import views
from embodied.worlds.crafter.env import ACTIONS, CrafterEnv
from embodied.worlds.crafter.expert import MOVES, CrafterExpert


def _proposed(route: np.ndarray) -> str | None:
    if route[2] == 1:
        return "do"
    return MOVES.get((int(route[0]), int(route[1])))


class _Recorder:
    """The seen-only expert, noting (subgoal skill, route observation, action, survival reflex on) per step, but for
    each subgoal's first (its observation was made before the subgoal was set)."""

    def __init__(self, env):
        self.env, self.expert, self.steps = env, CrafterExpert(env, noise=0.0, seed=0), []

    def reset(self):
        self.expert.reset()

    def start(self, subgoal):
        self.expert.start(subgoal)
        self.first = True  # this step's observation was made under the previous subgoal

    def act(self, obs):
        subgoal = self.env.subgoal
        reflex = subgoal is not None and self.expert._survival_reflex(subgoal) is not None
        action = self.expert.act(obs)
        if not self.first:
            self.steps.append((subgoal.skill, obs[OBS_ROUTE].copy(), ACTIONS[action], reflex))
        self.first = False
        return action


def test_route_is_the_seen_only_experts_search_move_and_zero_elsewhere():
    env = CrafterEnv(pixels=False, memory=True, expert_knows="seen", route=True)
    recorder = _Recorder(env)
    trajectory = Agent(env, make_planner("symbolic", "crafter"), recorder, config=AgentConfig(2)).run(
        "make an iron pickaxe", seed=1)
    assert trajectory.success
    searching = [(route, action) for skill, route, action, reflex in recorder.steps
                 if skill in ("collect_coal", "collect_iron") and not reflex]
    assert len(searching) > 10
    agree = sum(_proposed(route) == action for route, action in searching)
    assert agree == len(searching)
    others = [route for skill, route, _, _ in recorder.steps if skill not in ("collect_coal", "collect_iron")]
    assert others and not np.any(others)
    assert any(route[3] == 1 for route, _ in searching)  # the iron was seen before it was reached


def test_route_reads_only_cells_the_agent_has_seen():
    env = CrafterEnv(pixels=False, memory=True, expert_knows="seen", route=True)
    env.reset(seed=3)
    env.set_subgoal("collect iron")
    before, *_ = env.step(ACTIONS.index("noop"))
    unseen = np.argwhere(env.seen_cells == views.UNSEEN)
    world = env.game_world
    for x, y in unseen[:: max(1, len(unseen) // 300)]:
        world[(int(x), int(y))] = "iron"  # iron all over the unseen world
    after, *_ = env.step(ACTIONS.index("noop"))
    assert np.array_equal(before[OBS_ROUTE], after[OBS_ROUTE])


def test_route_needs_the_seen_only_knowledge():
    with pytest.raises(ValueError, match="route=true plans on the remembered map"):
        CrafterEnv(pixels=False, route=True)
