import json

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

pytest.importorskip("gymnasium_robotics")

from embodied.agent import Agent, AgentConfig  # noqa: E402
from embodied.registry import world  # noqa: E402
from embodied.types import Subgoal, UnknownSubgoalError  # noqa: E402
from embodied.worlds.fetch import vocab as fetch_vocab  # noqa: E402
from embodied.worlds.fetch.env import FetchEnv  # noqa: E402
from embodied.worlds.fetch.expert import FetchExpert  # noqa: E402
from embodied.worlds.fetch.language import sample_generic_instruction, sample_task_instruction  # noqa: E402
from planners.symbolic import SymbolicPlanner  # noqa: E402

WORLDS = sorted(fetch_vocab.TASKS)


@pytest.mark.parametrize("name", WORLDS)
def test_passes_gymnasium_env_checker(name):
    env = FetchEnv(name)
    check_env(env, skip_render_check=True)
    obs, info = env.reset(seed=0)
    assert obs["state"].dtype == np.float32 and obs["proprio"].shape == (10,)
    assert obs["state"].shape == ((13,) if name == "fetch_reach" else (28,))
    assert info["is_success"] is False  # no subgoal set yet


def test_rendered_observation_passes_the_checker_and_resets_by_seed():
    env = FetchEnv("fetch_push", render=True, image_size=48)
    check_env(env)
    first, _ = env.reset(seed=3)
    again, _ = env.reset(seed=3)
    other, _ = env.reset(seed=4)
    assert first["rgb"].shape == (48, 48, 3) and first["rgb"].dtype == np.uint8
    assert np.array_equal(first["state"], again["state"]) and np.array_equal(first["rgb"], again["rgb"])
    assert not np.array_equal(first["state"], other["state"])
    assert env.render().shape == (48, 48, 3)


def test_nan_and_wrong_shape_actions_are_clear_errors():
    env = FetchEnv("fetch_reach")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="fetch_reach: action must be 4 finite numbers"):
        env.step(np.array([np.nan, 0, 0, 0]))
    with pytest.raises(ValueError, match="fetch_reach"):
        env.step(np.array([np.inf, 0, 0, 0]))
    with pytest.raises(ValueError, match="fetch_reach"):
        env.step(np.zeros(3))


def test_subgoal_parsing():
    env = FetchEnv("fetch_pick_and_place")
    canonical = fetch_vocab.make_subgoal("fetch_pick_and_place")
    variants = ("pick and place the block at the target", "Pick and place block at target.", "pick_and_place",
                "put the block on the red target", Subgoal("pick_and_place"))
    for text in variants:
        assert env.parse_subgoal(text) == canonical
    assert env.goal_texts == (canonical.text,) and env.goal_id(canonical) == 0
    with pytest.raises(UnknownSubgoalError, match="only skill is 'pick_and_place'"):
        env.set_subgoal("open the microwave")
    with pytest.raises(UnknownSubgoalError):
        env.set_subgoal("push the block to the target")  # another Fetch world's task
    with pytest.raises(UnknownSubgoalError):
        env.parse_subgoal(Subgoal("push", (), "push the block to the target"))


def test_describe_is_json_and_reports_done():
    env = FetchEnv("fetch_push")
    env.reset(seed=0)
    summary = json.loads(json.dumps(env.describe()))
    assert summary["task"] == "push the block to the target" and summary["done"] is False
    assert len(summary["object"]) == 3 and len(summary["target"]) == 3


@pytest.mark.parametrize("name", WORLDS)
def test_instructions_are_understood_by_the_planner(name):
    env, planner = FetchEnv(name), SymbolicPlanner()
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    instructions = [sample_generic_instruction(rng), sample_task_instruction(name, rng)]
    for instruction in instructions + list(fetch_vocab.task(name).instructions):
        plan = planner.plan(instruction, env.describe(), env.skills)
        assert [s.text for s in plan.subgoals] == [fetch_vocab.task(name).text], instruction


def _run_contract_loop(name: str, seed: int) -> tuple[bool, int]:
    """The collector's loop (the agent with the expert as its actor), through the registry."""
    spec = world(name)
    env = spec.make_env()
    _, info = env.reset(seed=seed)
    assert not info["is_success"]
    expert = spec.make_expert(env, noise=0.1, seed=seed)
    instruction = spec.sample_instruction(np.random.default_rng(seed))
    trajectory = Agent(env, SymbolicPlanner(name), expert, AgentConfig(max_replans=0)).run(instruction, seed)
    return trajectory.success and bool(trajectory.results), len(trajectory.actions)


@pytest.mark.parametrize("name,seeds", [("fetch_reach", (0, 1, 2)), ("fetch_push", (0, 1, 2)),
                                        ("fetch_pick_and_place", (0, 1)), ("fetch_slide", (1,))])
def test_expert_solves_the_task(name, seeds):
    for seed in seeds:
        success, steps = _run_contract_loop(name, seed)
        assert success and steps > 0, (name, seed, steps)


def test_expert_actions_are_valid_and_noise_is_seeded():
    env = FetchEnv("fetch_push")
    actions = []
    for _ in range(2):
        obs, _ = env.reset(seed=5)
        expert = FetchExpert(env, noise=0.3, seed=7)
        expert.start(env.set_subgoal("push the block to the target"))
        actions.append([expert.act(obs) for _ in range(3)])
    assert np.array_equal(actions[0], actions[1])
    assert all(env.action_space.contains(a) for a in actions[0])
