import json

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from embodied.agent import Agent, AgentConfig
from embodied.hooks import AgentHooks
from embodied.registry import load_symbol, world
from embodied.types import InvalidPlanError, Plan, Subgoal, UnknownSubgoalError
from embodied.worlds.tabletop import env as tabletop_env
from embodied.worlds.tabletop import vocab as tabletop_vocab
from embodied.worlds.tabletop.env import TabletopEnv
from embodied.worlds.tabletop.expert import TabletopExpert
from embodied.worlds.tabletop.language import sample_instruction
from embodied.worlds.tabletop.vocab import parse
from planners.symbolic import SymbolicPlanner


@pytest.fixture(scope="module")
def env():
    env = TabletopEnv()
    yield env
    env.close()


class FixedPlan(SymbolicPlanner):
    """The given subgoals, in order, whatever the instruction."""

    def __init__(self, texts):
        super().__init__("tabletop")
        self.texts = texts

    def plan(self, instruction, observation, skills=()):
        return Plan(instruction, [parse(text) for text in self.texts], "fixed")


class RewardOnSuccess(AgentHooks):
    """Asserts the env's reward is 1 exactly on the step whose detector fires."""

    def on_step(self, agent, step):
        assert (step.reward == 1.0) == bool(step.info["is_success"]), step.info


def run_subgoals(env, seed, texts, noise=0.1):
    """The collector's loop (the agent, expert as actor) over `texts`; returns the steps each subgoal took."""
    expert = TabletopExpert(env, noise=noise, seed=seed)
    agent = Agent(env, FixedPlan(texts), expert, AgentConfig(max_replans=0), hooks=[RewardOnSuccess()])
    trajectory = agent.run("the fixed subgoals", seed)
    if not trajectory.success:
        pytest.fail(f"seed {seed}: expert failed after {[r.to_json() for r in trajectory.results]}: "
                    f"{env.describe()}")
    return [r.steps for r in trajectory.results]


def test_passes_gymnasium_env_checker():
    env = TabletopEnv()
    check_env(env, skip_render_check=True)
    obs, info = env.reset(seed=0)
    assert obs["state"].shape == (34,) and obs["proprio"].shape == (8,) and obs["state"].dtype == np.float32
    assert info["is_success"] is False and "rgb" not in obs
    relative = obs["state"][25:].reshape(3, 3)  # each block relative to the grip site
    np.testing.assert_allclose(relative, obs["state"][[0, 1, 2, 7, 8, 9, 14, 15, 16]].reshape(3, 3)
                               - obs["proprio"][:3], atol=1e-6)
    env.close()


def test_rendered_observation_passes_the_checker():
    env = TabletopEnv(render=True, image_size=48)
    check_env(env)
    obs, _ = env.reset(seed=0)
    assert obs["rgb"].shape == (48, 48, 3) and obs["rgb"].dtype == np.uint8 and obs["rgb"].std() > 10
    assert env.render().shape == (48, 48, 3)
    env.close()


def test_seeded_starts_repeat_and_differ(env):
    first, _ = env.reset(seed=1)
    again, _ = env.reset(seed=1)
    other, _ = env.reset(seed=2)
    assert np.array_equal(first["state"], again["state"])
    assert np.array_equal(first["proprio"], again["proprio"])
    assert not np.allclose(first["state"][:21], other["state"][:21])
    for seed in range(20):  # blocks start apart, on the table, outside the regions
        env.reset(seed=seed)
        xy = np.array([env.block_position(c)[:2] for c in tabletop_vocab.COLORS])
        gaps = [np.linalg.norm(xy[i] - xy[j]) for i in range(3) for j in range(i + 1, 3)]
        assert min(gaps) > 0.085
        assert all(env.on_table(c) and env.region_of(c) is None for c in tabletop_vocab.COLORS)


def test_detectors_do_not_fire_at_reset(env):
    for seed in range(3):
        env.reset(seed=seed)
        for text in env.goal_texts:
            env.set_subgoal(text)
            assert env.subgoal_success() == (text == "open the gripper"), (seed, text)  # it starts open
    env.set_subgoal(None)
    assert env.step(np.zeros(4))[4]["is_success"] is False


def test_nan_and_wrong_shape_actions_are_clear_errors(env):
    env.reset(seed=0)
    for action in ([0, np.nan, 0, 0], [np.inf, 0, 0, 0], [0, 0, 0]):
        with pytest.raises(ValueError, match="TabletopEnv .*action must be 4 finite numbers"):
            env.step(np.array(action, dtype=np.float64))


def test_vocabulary_parses_variants_and_rejects_unknown_subgoals(env):
    assert len(env.goal_texts) == 3 + 6 + 6 + 6 + 1 == len(set(env.goal_texts))
    assert all(env.parse_subgoal(t).text == t for t in env.goal_texts)
    variants = {
        "Put the red block onto the blue one.": "place the red block on the blue block",
        "stack red on top of blue": "place the red block on the blue block",
        "grab the green cube": "pick up the green block",
        "slide the blue block into the left region": "push the blue block to the left region",
        "put the blue block in the right area": "place the blue block in the right region",
        "release the gripper": "open the gripper",
    }
    for text, canonical in variants.items():
        assert env.parse_subgoal(text).text == canonical
    assert env.goal_id("push the red block to the right region") == env.goal_texts.index(
        "push the red block to the right region")
    with pytest.raises(UnknownSubgoalError, match="unknown tabletop subgoal .*pick up the <color> block"):
        env.set_subgoal("juggle the red block")
    with pytest.raises(UnknownSubgoalError, match="colour"):
        env.set_subgoal(Subgoal("pick_up", (("object", "purple"),)))
    with pytest.raises(UnknownSubgoalError, match="itself"):
        env.parse_subgoal("place the red block on the red block")
    with pytest.raises(UnknownSubgoalError, match="unknown tabletop skill"):
        env.set_subgoal(Subgoal("fly", ()))


@pytest.mark.parametrize("texts", [
    ["pick up the red block", "place the red block on the blue block"],
    ["pick up the green block", "place the green block in the right region"],
    ["push the green block to the left region"],
    ["push the blue block to the right region"],
    ["pick up the blue block", "open the gripper"],
])
def test_expert_solves_each_subgoal_type(env, texts):
    for seed in (0, 1):
        steps = run_subgoals(env, seed, texts)
        assert all(0 < n <= env.max_subgoal_steps for n in steps)
    if texts[-1].startswith("place the red block on"):
        described = env.describe()
        assert described["on"] == {"red": "blue"} and described["holding"] is None


def test_expert_chains_subgoals_and_describe_tracks_the_world(env):
    texts = ["push the red block to the left region", "pick up the green block",
             "place the green block on the blue block", "pick up the red block",
             "place the red block on the green block"]
    run_subgoals(env, 3, texts)
    described = env.describe()
    json.dumps(described)
    assert described["on"] == {"green": "blue", "red": "green"} and described["on_table"] == ["blue"]
    assert described["holding"] is None and described["gripper_open"] is True


@pytest.mark.parametrize("instruction", [
    "stack the red block on the blue one, then push the green block to the left",
    "build a tower of red on green on blue",
])
def test_agent_runs_chained_instructions_with_the_expert(env, instruction):
    for seed in (0, 1):
        expert = TabletopExpert(env, noise=0.1, seed=seed)
        agent = Agent(env, SymbolicPlanner("tabletop"), expert, AgentConfig(max_replans=0))
        trajectory = agent.run(instruction, seed)
        assert trajectory.success, (seed, [r.to_json() for r in trajectory.results])


def test_registry_parts_and_sampled_instructions_plan():
    spec = world("tabletop")
    assert load_symbol(spec.env) is TabletopEnv and load_symbol(spec.expert) is TabletopExpert
    assert spec.load_language().record is sample_instruction
    rng, planner = np.random.default_rng(0), SymbolicPlanner("tabletop")
    empty = {"on": {}, "regions": {}, "holding": None, "gripper_open": True}
    instructions = [sample_instruction(rng) for _ in range(300)]
    assert len(set(instructions)) > 100
    for instruction in instructions:
        plan = planner.plan(instruction, empty, tabletop_vocab.VOCABULARY.skills)
        assert 1 <= len(plan) <= 6, instruction
        planner.check(plan.subgoals, empty, instruction)
    with pytest.raises(InvalidPlanError):
        planner.plan("juggle", empty, tabletop_vocab.VOCABULARY.skills)


class Labels(AgentHooks):
    """Records, for each step, the subgoal's skill, the observation acted on and the expert's intended action."""

    def __init__(self, expert):
        self.expert, self.rows = expert, []

    def on_step(self, agent, step):
        self.rows.append((step.subgoal.skill, step.observation, self.expert.intended.copy()))


@pytest.mark.parametrize("seed", [0, 3, 7])
def test_a_settled_grasp_is_always_labelled_lift(env, seed):
    """The grasp ends on what the observation shows (fingers closed on the block and at rest), not on a step
    count: every pick step whose observation shows a settled grasp is labelled to rise, never to stay."""
    from embodied.worlds.tabletop.expert import SETTLED_RATE

    expert = TabletopExpert(env, noise=0.0, seed=seed)
    hook = Labels(expert)
    Agent(env, FixedPlan(["pick up the red block"]), expert, AgentConfig(max_replans=0), hooks=[hook]).run("", seed)
    settled = [intended for skill, obs, intended in hook.rows
               if skill == "pick_up" and obs["proprio"][3] < 0.06 and abs(obs["proprio"][7]) < SETTLED_RATE]
    assert settled, "the expert never closed on the block"
    assert all(intended[2] > 0.5 and intended[3] < 0 for intended in settled), settled


@pytest.mark.parametrize("seed", [0, 3, 7])
def test_a_block_pushed_well_into_the_region_is_left_there(env, seed):
    """Once the pushed block is PUSHED_IN inside the region, every label backs the fingers off: away from the
    block at their height, then up, never both (a policy that keeps pushing drives the block out of the far
    side; one that rises while pushing flings it)."""
    from embodied.worlds.tabletop.expert import PUSHED_IN

    expert = TabletopExpert(env, noise=0.0, seed=seed)
    hook = Labels(expert)
    agent = Agent(env, FixedPlan(["push the red block to the right region"]), expert, AgentConfig(max_replans=0),
                  hooks=[hook])
    assert agent.run("", seed).success
    centre = env.region_centre("right")
    inside = [(obs["state"][:2] - obs["proprio"][:2], intended) for _, obs, intended in hook.rows
              if abs(obs["state"][0] - centre[0]) < tabletop_env.REGION_HALF[0] - tabletop_env.HALF_BLOCK - PUSHED_IN]
    assert inside, "the block never got well inside"
    for to_block, intended in inside:
        sideways, up = float(np.abs(intended[:2]).max()), intended[2]
        assert intended[:2] @ to_block <= 1e-6 and (sideways < 1e-6 or abs(up) < 1e-6), (to_block, intended)


class FreshLabels(AgentHooks):
    """Beside the running expert, a new expert started on the same subgoal labels each state the running one
    is about to act on while it pushes (experts read the world's state, so the label is made after a step)."""

    def __init__(self, env, expert):
        self.env, self.expert, self.pairs, self.pending = env, expert, [], None

    def on_step(self, agent, step):
        if self.pending is not None:
            self.pairs.append((self.expert.intended.copy(), self.pending))
            self.pending = None
        if self.expert.phase == 2 and not self.expert.lift and len(self.expert.legs or ()) == 1:
            fresh = TabletopExpert(self.env, noise=0.0)
            fresh.start(step.subgoal)
            fresh.act(step.next_observation)
            self.pending = fresh.intended.copy()


@pytest.mark.parametrize("seed", [0, 5])
def test_a_push_in_contact_is_labelled_from_the_state_alone(env, seed):
    """While the fingers push a block on its last leg, an expert that has just started (no phase, no direction
    remembered) labels the state as the running one does: a policy without history sees one label per state
    (the old expert, at the end of its descent, labelled "descend" and "push" on the same state)."""
    expert = TabletopExpert(env, noise=0.0, seed=seed)
    hook = FreshLabels(env, expert)
    agent = Agent(env, FixedPlan(["push the red block to the right region"]), expert, AgentConfig(max_replans=0),
                  hooks=[hook])
    assert agent.run("", seed).success
    assert len(hook.pairs) > 5
    mismatched = [(running, fresh) for running, fresh in hook.pairs if not np.allclose(running, fresh, atol=1e-6)]
    assert not mismatched, mismatched


def test_the_grip_cannot_be_driven_into_the_table(env):
    """The z target stops where the fingers touch the table, so no hidden wind-up holds the carriage: after
    pressing down for a second, one step sideways moves the grip at once."""
    env.reset(seed=0)
    env.set_subgoal(parse("open the gripper"))
    for _ in range(40):
        env.step(np.array([0.0, -1.0, -1.0, -1.0]))
    x = env.grip_position[0]
    for _ in range(3):
        env.step(np.array([1.0, 0.0, 0.0, -1.0]))
    assert env.grip_position[0] - x > 0.04
