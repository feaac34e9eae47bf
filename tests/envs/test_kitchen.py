import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from embodied.agent import Agent, AgentConfig
from embodied.types import UnknownSubgoalError

pytest.importorskip("gymnasium_robotics")

from embodied.worlds.kitchen.env import KitchenEnv  # noqa: E402
from embodied.worlds.kitchen.expert import KitchenExpert  # noqa: E402
from embodied.worlds.kitchen.language import sample_instruction  # noqa: E402
from planners.symbolic import SymbolicPlanner  # noqa: E402


@pytest.fixture(scope="module")
def env():
    env = KitchenEnv()
    yield env
    env.close()


def test_passes_gymnasium_env_checker(env):
    check_env(env, skip_render_check=True)
    rendered = KitchenEnv(render=True, image_size=32)
    check_env(rendered, skip_render_check=True)
    obs, _ = rendered.reset(seed=0)
    assert obs["rgb"].shape == (32, 32, 3) and obs["rgb"].dtype == np.uint8 and obs["rgb"].std() > 0
    rendered.close()


def test_seeded_reset_is_deterministic_and_varies_the_start(env):
    first, info = env.reset(seed=3)
    again, _ = env.reset(seed=3)
    other, _ = env.reset(seed=4)
    for key in ("state", "proprio"):
        assert np.array_equal(first[key], again[key])
    assert np.abs(first["proprio"][:7] - other["proprio"][:7]).max() > 0.005  # arm start perturbed by seed
    assert not info["is_success"] and env.describe()["done"] == []


def test_nan_action_is_a_clear_error(env):
    env.reset(seed=0)
    with pytest.raises(ValueError, match="kitchen: action must be 9 finite numbers"):
        env.step(np.array([np.nan] + [0.0] * 8))
    with pytest.raises(ValueError, match="kitchen"):
        env.step(np.zeros(4))


def test_subgoal_vocabulary(env):
    assert len(env.goal_texts) == 7 and len(env.skills) == 7
    assert env.parse_subgoal("open microwave").text == "open the microwave"
    assert env.parse_subgoal("light_switch").text == "turn on the light switch"
    assert env.goal_id("turn on the top burner") == env.goal_texts.index("turn on the top burner")
    with pytest.raises(UnknownSubgoalError, match="open the microwave"):
        env.set_subgoal("bake a cake")


def test_expert_opens_the_microwave_then_turns_on_the_light(env):
    instruction = "open the microwave and then turn on the light switch"
    for seed in (0, 1):
        expert = KitchenExpert(env, noise=0.1, seed=seed)
        agent = Agent(env, SymbolicPlanner("kitchen"), expert, AgentConfig(max_replans=0))
        trajectory = agent.run(instruction, seed)
        assert trajectory.success, (seed, [r.to_json() for r in trajectory.results])
        assert {"open the microwave", "turn on the light switch"} <= set(env.describe()["done"])


def test_sampled_instructions_are_plannable(env):
    rng = np.random.default_rng(0)
    for _ in range(50):
        instruction = sample_instruction(rng)
        plan = SymbolicPlanner("kitchen").plan(instruction, {"done": []}, env.skills)
        assert 1 <= len(plan.subgoals) <= 3, instruction
        assert all(subgoal.text in env.goal_texts for subgoal in plan.subgoals)


def test_expert_chains_all_seven_tasks_in_one_episode(env):
    expert = KitchenExpert(env, noise=0.1, seed=0)
    trajectory = Agent(env, SymbolicPlanner("kitchen"), expert, AgentConfig(max_replans=0)).run("do everything", 0)
    assert [r.subgoal for r in trajectory.results] == list(env.goal_texts)
    assert trajectory.success, [r.to_json() for r in trajectory.results]


def test_every_expert_stage_ends_by_what_the_state_shows(env):
    """No stage of the seven scripts ends at its step budget (a policy cannot see a step count): holds end when
    the fingers have settled or opened, reaches when the hand arrives."""
    expert = KitchenExpert(env, noise=0.0, seed=0)
    trajectory = Agent(env, SymbolicPlanner("kitchen"), expert, AgentConfig(max_replans=0)).run("do everything", 1)
    assert trajectory.success
    assert expert.timed_out == []


def test_hand_observation_is_the_end_effector_and_its_vectors_to_the_task_sites(env):
    obs, _ = env.reset(seed=0)
    hand, data = obs["hand"], env.data
    assert hand.shape == env.observation_space["hand"].shape == (30,)
    np.testing.assert_allclose(hand[:3], data.site("end_effector").xpos, atol=1e-5)
    np.testing.assert_allclose(hand[9:12], data.site("microhandle_site").xpos - hand[:3], atol=1e-5)
    before = hand.copy()
    for _ in range(5):
        obs, *_ = env.step(np.r_[np.full(7, 0.5), 1.0, 1.0])
    moved = obs["hand"][:3] - before[:3]
    np.testing.assert_allclose(obs["hand"][9:12], before[9:12] - moved, atol=2e-3)  # the handle stayed (about) put
    assert np.linalg.norm(moved) > 0.01
