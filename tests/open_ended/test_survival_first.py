"""`eval survival=true`: before each planned subgoal of an instruction, the world's survival rule (Crafter:
fight back, drink, eat, sleep) inserts the subgoal that keeps the player alive, then the plan goes on."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from embodied.agent import Agent, AgentConfig
from embodied.evaluation import instruction_done
from embodied.registry import make_planner, world
from embodied.types import InvalidPlanError

ROOT = Path(__file__).resolve().parents[2]


def _thirsty_run(survival: bool):
    spec = world("crafter")
    env = spec.make_env()
    obs, info = env.reset(seed=3)
    env.player.inventory["drink"] = 2  # below the curriculum's THIRSTY level: drinking comes first
    agent = Agent(env, make_planner("symbolic", "crafter"), spec.make_expert(env, seed=3),
                  AgentConfig(max_replans=0, survival=spec.load_survival() if survival else None))
    trajectory = agent.run("collect wood", seed=3, start=(obs, info))
    return env, spec, trajectory


def test_a_thirsty_player_drinks_before_the_plan_and_the_instruction_still_counts():
    env, spec, trajectory = _thirsty_run(survival=True)
    first, last = trajectory.results[0], trajectory.results[-1]
    assert (first.actor, first.subgoal, first.success) == ("survival", "collect 7 drink", True)
    assert (last.actor, last.subgoal, last.success) == ("policy", "collect wood", True)
    assert env.player.inventory["drink"] >= 9 and trajectory.success
    # the survival subgoal is not part of the plan: the instruction is judged on the planned subgoals
    assert instruction_done(trajectory, "collect wood", env, spec.load_rules())


def test_without_survival_the_plan_runs_alone():
    _, _, trajectory = _thirsty_run(survival=False)
    assert [(r.actor, r.subgoal) for r in trajectory.results] == [("policy", "collect wood")]


def test_a_world_without_survival_rules_refuses_it():
    with pytest.raises(InvalidPlanError, match="no survival rules"):
        world("tabletop").load_survival()


@pytest.mark.slow
def test_eval_survival_through_the_cli(tmp_path):
    """The shipped Crafter policy, two instruction episodes with survival=true: the JSON counts the inserted
    subgoals apart from the planned ones (with takeover=false nothing is the expert's)."""
    out = tmp_path / "eval.json"
    command = [sys.executable, "-m", "embodied.cli.main", "eval", "episodes=2", "seed=7000", "takeover=false",
               "max_replans=2", "survival=true", "instruction=make an iron pickaxe", f"out={out}"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    metrics = json.loads(out.read_text())
    actors = {r["actor"] for episode in metrics["per_episode"] for r in episode["results"]}
    assert actors <= {"policy", "survival"} and "policy" in actors
    inserted = sum(r["actor"] == "survival" for episode in metrics["per_episode"] for r in episode["results"])
    assert inserted == sum(s["attempts"] for s in metrics["survival_subgoals"].values())
    assert 0 <= metrics["deaths"] <= 2
