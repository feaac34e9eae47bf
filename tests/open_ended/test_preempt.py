"""`eval survival=true preempt=true`: a survival need that appears while a subgoal runs (thirst, nightfall, a
zombie next to the player) stops that subgoal; the need is done, then the subgoal is tried again without
spending a re-plan, and the open-ended curriculum does not count the stop as a failure."""

import subprocess
import sys
from pathlib import Path

from embodied.agent import Agent, AgentConfig
from embodied.hooks import AgentHooks
from embodied.registry import make_planner, world
from embodied.types import PREEMPTED, Feedback
from embodied.worlds.crafter import vocab
from embodied.worlds.crafter.curriculum import CurriculumPlanner

ROOT = Path(__file__).resolve().parents[2]


class ThirstAt(AgentHooks):
    """Drains the player's drink to 2 (below the curriculum's THIRSTY level) at one step of the episode."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step(self, agent, step) -> None:
        if step.index == self.step:
            agent.env.player.inventory["drink"] = 2


def _run(preempt: bool):
    spec = world("crafter")
    env = spec.make_env()
    agent = Agent(env, make_planner("symbolic", "crafter"), spec.make_expert(env, seed=3),
                  AgentConfig(max_replans=0, survival=spec.load_survival(), preempt=preempt), hooks=[ThirstAt(3)])
    return agent.run("collect 5 wood", seed=3)


def test_thirst_mid_subgoal_stops_it_the_player_drinks_then_finishes_it():
    trajectory = _run(preempt=True)
    rows = [(r.actor, r.subgoal, r.success) for r in trajectory.results]
    assert rows == [("policy", "collect 5 wood", False), ("survival", "collect 7 drink", True),
                    ("policy", "collect 5 wood", True)], rows
    assert trajectory.results[0].reason == f"{PREEMPTED} collect 7 drink"
    assert trajectory.results[0].steps == 4  # stopped on the step the need appeared, not at the budget
    assert trajectory.success  # max_replans=0: the stop spent no re-plan


def test_without_preempt_the_subgoal_runs_on_through_the_thirst():
    trajectory = _run(preempt=False)
    assert [(r.actor, r.subgoal, r.success) for r in trajectory.results] == [("policy", "collect 5 wood", True)]


def test_the_curriculum_does_not_count_a_stopped_subgoal_as_a_failure():
    curriculum = CurriculumPlanner()
    observation = {"inventory": {}, "achievements": {}}
    curriculum.aim("unlock", "collect_coal", vocab.make_subgoal("collect_coal"))
    coal = vocab.make_subgoal("collect_coal")
    curriculum.note(Feedback(coal, observation, [], f"{PREEMPTED} wake up"))
    assert curriculum.failures["collect_coal"] == 0
    curriculum.note(Feedback(coal, observation, [], "step budget of 300 spent"))
    assert curriculum.failures["collect_coal"] == 1


def test_preempt_without_survival_is_a_one_line_error():
    command = [sys.executable, "-m", "embodied.cli.main", "eval", "episodes=1", "preempt=true",
               "instruction=collect wood", "out=/dev/null"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == ("embodied eval: error: preempt=true stops a subgoal for what "
                                                      "the survival rule asks: add survival=true")
    assert "Traceback" not in result.stderr
