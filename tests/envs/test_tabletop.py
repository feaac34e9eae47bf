import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from embodied.agent import Agent, AgentConfig
from embodied.envs.mujoco.tabletop import TabletopEnv
from embodied.experts.tabletop import TabletopExpert
from embodied.types import InvalidPlanError, Subgoal, UnknownSubgoalError
from planners.symbolic.tabletop import TabletopPlanner


def texts(plan):
    return [s.text for s in plan.subgoals]


def test_passes_gymnasium_env_checker():
    check_env(TabletopEnv(), skip_render_check=True)
    check_env(TabletopEnv(render=True, image_size=64), skip_render_check=True)


def test_seeded_starts_differ_and_repeat():
    env = TabletopEnv()
    first, _ = env.reset(seed=1)
    again, _ = env.reset(seed=1)
    other, _ = env.reset(seed=2)
    assert np.allclose(first["state"], again["state"]) and not np.allclose(first["state"], other["state"])


def test_detectors_do_not_fire_at_reset():
    env = TabletopEnv()
    env.reset(seed=0)
    for text in ("pick up the red block", "place the red block on the blue block", "push the green block to the left"):
        env.set_subgoal(text)
        assert not env.subgoal_success(), text


def test_nan_action_and_unknown_subgoal_are_clear_errors():
    env = TabletopEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="tabletop: action"):
        env.step([0, np.nan, 0, 0])
    with pytest.raises(UnknownSubgoalError, match="unknown tabletop subgoal"):
        env.set_subgoal("juggle the red block")
    with pytest.raises(UnknownSubgoalError, match="colour"):
        env.set_subgoal(Subgoal("pick_up", (("object", "purple"),)))


@pytest.mark.parametrize("instruction", [
    "stack the red block on the blue one, then push the green block to the left",
    "put the green block on the red block and then open the gripper",
])
def test_expert_executes_chained_instructions(instruction):
    env = TabletopEnv()
    for seed in (0, 1):
        agent = Agent(env, TabletopPlanner(), TabletopExpert(env, noise=0.05, seed=seed), AgentConfig(max_replans=0))
        trajectory = agent.run(instruction, seed)
        assert trajectory.success, (seed, [r.to_json() for r in trajectory.results])


def test_planner_orders_towers_bottom_up_and_skips_what_is_done():
    planner = TabletopPlanner()
    assert texts(planner.plan("build a tower of red on green on blue", {})) == [
        "pick up the green block", "place the green block on the blue block",
        "pick up the red block", "place the red block on the green block"]
    done = {"on": {"red": "blue"}, "regions": {"green": "left"}}
    assert texts(planner.plan("stack the red block on the blue one, then push the green block to the left", done)) == []
    with pytest.raises(InvalidPlanError, match="does not understand"):
        planner.plan("juggle the blocks", {})
