import math

import numpy as np
import pytest

from embodied.evaluation import crafter_score, mean_summary, rate_summary, subgoals_done, wilson_interval


def test_wilson_interval_matches_known_values():
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-3) and high == pytest.approx(0.9433, abs=1e-3)
    assert wilson_interval(0, 20)[0] == 0.0 and wilson_interval(20, 20)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_rate_summary_counts():
    row = rate_summary([True, False, True, True])
    assert row["success_rate"] == 0.75 and row["attempts"] == 4 and row["ci95"][0] < 0.75 < row["ci95"][1]


def test_crafter_score_is_the_papers_geometric_mean():
    assert crafter_score({"a": 100.0, "b": 100.0}) == pytest.approx(100.0)
    assert crafter_score({"a": 0.0, "b": 0.0}) == 0.0
    assert crafter_score({"a": 50.0, "b": 0.0}) == pytest.approx(math.sqrt(51.0) - 1)


def test_subgoals_done_counts_different_subgoals_the_policy_achieved():
    results = [{"subgoal": "open the microwave", "actor": "policy", "success": True},
               {"subgoal": "move the kettle", "actor": "policy", "success": False},
               {"subgoal": "move the kettle", "actor": "expert", "success": True},  # the expert's, not counted
               {"subgoal": "open the microwave", "actor": "policy", "success": True},  # the same one again
               {"subgoal": "open the slide cabinet", "actor": "policy", "success": True}]
    assert subgoals_done(results) == 2


def test_mean_summary_bootstraps_an_interval_around_the_mean():
    row = mean_summary([4, 4, 3, 4, 2, 4, 4, 4])
    assert row["mean"] == pytest.approx(3.625) and row["episodes"] == 8
    assert 2.0 <= row["ci95"][0] < 3.625 < row["ci95"][1] <= 4.0
    assert mean_summary([4.0] * 5)["ci95"] == [4.0, 4.0]
    assert mean_summary([])["episodes"] == 0


class _FixedPlanner:
    """A planner that always returns the same subgoals (to build plans that miss part of an instruction)."""

    name = "fixed"

    def __init__(self, texts):
        self.texts = texts

    def plan(self, instruction, observation, skills):
        from embodied.types import Plan
        from embodied.worlds.tabletop.vocab import parse

        return Plan(instruction, [parse(text) for text in self.texts], self.name)


@pytest.mark.parametrize("texts, done", [
    (["pick up the red block", "place the red block on the blue block"], True),
    (["pick up the red block"], False),  # every planned subgoal succeeds, but the instruction is not done
    # the instruction is done, then a step the planner added fails: it counts (chain success would not)
    (["pick up the red block", "place the red block on the blue block", "push the green block to the left region"],
     True),
])
def test_instruction_success_checks_what_was_achieved_against_the_instruction(texts, done):
    from embodied.agent import Agent, AgentConfig
    from embodied.evaluation import instruction_done
    from embodied.worlds.tabletop.env import TabletopEnv
    from embodied.worlds.tabletop.expert import TabletopExpert
    from planners.symbolic import SymbolicPlanner

    env = TabletopEnv()
    expert = TabletopExpert(env, noise=0.0, seed=0)  # acting as the "policy": its results count as the agent's
    instruction = "stack the red block on the blue one"
    act, idle = expert.act, np.zeros(env.action_space.shape, np.float32)
    expert.act = lambda obs: idle if env.subgoal.skill == "push_to" else act(obs)  # pushes fail: it stands still
    trajectory = Agent(env, _FixedPlanner(texts), expert, AgentConfig(max_replans=0)).run(instruction, seed=3)
    assert trajectory.success == (len(texts) < 3) and trajectory.start_observation["world"] == "tabletop"
    assert len(trajectory.planning_ms) == 1
    assert instruction_done(trajectory, instruction, env, SymbolicPlanner("tabletop")) is done
    env.close()


def test_a_failed_fetch_push_is_not_instruction_success():
    """Regression: the single-task rules' `check` used to be a no-op, so with takeover=false a failed push
    counted as "instruction done"."""
    from embodied.agent import Agent, AgentConfig
    from embodied.evaluation import instruction_done
    from embodied.registry import world
    from planners.symbolic import SymbolicPlanner

    spec = world("fetch_push")
    env = spec.make_env()
    idle = spec.make_expert(env, seed=0)
    idle.act = lambda obs: np.zeros(env.action_space.shape, np.float32)  # the "policy" stands still
    instruction, oracle = "push the block to the target", SymbolicPlanner("fetch_push")
    trajectory = Agent(env, oracle, idle, AgentConfig(max_replans=0)).run(instruction, seed=10_000)
    assert not trajectory.success and not instruction_done(trajectory, instruction, env, oracle)
    expert = spec.make_expert(env, seed=0)
    trajectory = Agent(env, oracle, expert, AgentConfig(max_replans=0)).run(instruction, seed=10_000)
    assert trajectory.success and instruction_done(trajectory, instruction, env, oracle)
    env.close()


@pytest.mark.slow
def test_a_policy_trained_on_rendered_tabletop_data_evaluates(tmp_path):
    """Regression: eval rebuilt the world without the env kwargs recorded at collection (KeyError: 'rgb')."""
    import json

    from embodied.cli.main import main

    data, run = tmp_path / "tt.hdf5", tmp_path / "run"
    assert main(["collect", "env=tabletop", "episodes=1", "workers=1", "env.kwargs.render=true",
                 "+env.kwargs.image_size=32", "instruction=pick up the red block", f"out={data}"]) == 0
    assert main(["train", f"dataset={data}", "policy=transformer", "train.steps=2", "policy.dim=32",
                 "policy.layers=1", "policy.heads=2", "policy.image_channels=8", "train.batch_size=4",
                 f"out={run}"]) == 0
    assert json.loads((run / "policy" / "policy.json").read_text())["features"]["env_kwargs"]["render"] is True
    assert main(["eval", f"checkpoint={run}", "episodes=1", "instruction=pick up the red block"]) == 0
    assert json.loads((run / "eval.json").read_text())["episodes"] == 1
