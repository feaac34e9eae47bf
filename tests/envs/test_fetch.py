import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from embodied.agent import Agent, AgentConfig
from embodied.types import InvalidPlanError, UnknownSubgoalError

pytest.importorskip("gymnasium_robotics")

from embodied.envs.mujoco.fetch import TASKS, FetchEnv  # noqa: E402
from embodied.experts.fetch import FetchExpert  # noqa: E402
from planners.symbolic.single import SingleTaskPlanner  # noqa: E402


@pytest.mark.parametrize("task", sorted(TASKS))
def test_passes_gymnasium_env_checker(task):
    check_env(FetchEnv(task), skip_render_check=True)


def test_rendered_observation_and_seeded_reset():
    env = FetchEnv("fetch_push", render=True, image_size=64)
    first, _ = env.reset(seed=3)
    again, _ = env.reset(seed=3)
    other, _ = env.reset(seed=4)
    assert first["rgb"].shape == (64, 64, 3) and first["rgb"].dtype == np.uint8
    assert np.array_equal(first["state"], again["state"]) and not np.array_equal(first["state"], other["state"])


def test_nan_action_is_a_clear_error():
    env = FetchEnv("fetch_reach")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="fetch_reach: action must be 4 finite numbers"):
        env.step(np.array([np.nan, 0, 0, 0]))


def test_unknown_subgoal_and_instruction():
    env = FetchEnv("fetch_push")
    with pytest.raises(UnknownSubgoalError, match="only skill is 'push'"):
        env.set_subgoal("open the microwave")
    with pytest.raises(InvalidPlanError):
        SingleTaskPlanner().plan("open the microwave", env.describe(), env.skills)


@pytest.mark.parametrize("task", ["fetch_reach", "fetch_push", "fetch_pick_and_place"])
def test_expert_solves_the_task(task):
    env = FetchEnv(task)
    for seed in (0, 1, 2):
        agent = Agent(env, SingleTaskPlanner(), FetchExpert(env, noise=0.1, seed=seed), AgentConfig(max_replans=0))
        trajectory = agent.run("do the task", seed)
        assert trajectory.success, (task, seed)
        assert not env.reset(seed=seed)[1]["is_success"]  # the detector does not fire at reset
