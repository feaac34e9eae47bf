"""The open-ended Crafter benchmark: the curriculum's choices, the score as the Crafter paper computes it, and
two short expert episodes through the real CLI."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embodied.evaluation import crafter_score
from embodied.open_ended import bootstrap_score
from embodied.registry import make_planner
from embodied.types import Feedback
from embodied.worlds.crafter.curriculum import ORDER
from embodied.worlds.crafter.vocab import ACHIEVEMENTS, ITEMS

ROOT = Path(__file__).resolve().parents[2]


def _state(**inventory) -> dict:
    full = {name: 0 for name in ITEMS} | {"health": 9, "food": 9, "drink": 9, "energy": 9} | inventory
    return {"world": "crafter", "inventory": full, "nearby": ["grass", "tree"], "creatures": [], "in_reach": [],
            "achievements": {}, "adjacent": []}


def test_curriculum_plans_prerequisites_and_puts_survival_first():
    planner = make_planner("curriculum", "crafter")
    # collect wood, then the table (2 wood) and the wood pickaxe (1): the first collect gathers for all three
    assert [s.text for s in planner.plan("", _state()).subgoals] == ["collect 3 wood"]
    state = _state(wood=1) | {"achievements": {"collect_wood": 1}}
    assert planner.plan("", state).subgoals[0].text == "collect 3 wood"  # table, wood pickaxe, wood sword: 4
    assert planner.plan("", _state(wood=2) | {"achievements": {"collect_wood": 1}}).subgoals[0].text == "place table"
    assert planner.plan("", _state(drink=3)).subgoals[0].text == "collect 6 drink"
    assert planner.plan("", _state(food=2)).subgoals[0].text == "eat cow"
    assert planner.plan("", _state(food=3) | {"daylight": 0.9}).subgoals[0].text == "eat cow"
    assert planner.plan("", _state(food=3) | {"daylight": 0.2}).subgoals[0].text == "wake up"  # no hunt at night
    assert planner.plan("", _state(food=2) | {"daylight": 0.2}).subgoals[0].text == "eat cow"  # unless starving
    tools = _state(wood=4, wood_pickaxe=1, wood_sword=1) | {"achievements": {
        name: 1 for name in ("collect_wood", "place_table", "make_wood_pickaxe", "make_wood_sword")}}
    # the stone tools come before the sapling; the stone collected covers the next two targets (place stone, pickaxe)
    assert planner.plan("", tools).subgoals[0].text == "collect 2 stone"
    planted = _state(wood=2, wood_pickaxe=1, wood_sword=1, stone_pickaxe=1, stone_sword=1) | {"achievements": {
        name: 1 for name in ORDER[:ORDER.index("place_plant") + 1]}}
    # then the furnace (4 stone), before drinking, hunting and the coal
    assert [s.text for s in planner.plan("", planted).subgoals] == ["collect 4 stone"]
    assert planner.plan("", planted | {"inventory": planted["inventory"] | {"stone": 4}}).subgoals[0].text == \
        "place furnace"
    assert planner.plan("", _state(energy=2)).subgoals[0].text == "wake up"
    assert planner.plan("", _state(drink=3) | {"adjacent": ["zombie"]}).subgoals[0].text == "defeat zombie"
    everything = _state(energy=9) | {"achievements": {name: 1 for name in ACHIEVEMENTS}}
    assert planner.plan("", everything).subgoals == []


def test_a_failing_target_is_tried_after_the_others():
    planner = make_planner("curriculum", "crafter")
    plan = planner.plan("", _state())
    replanned = planner.replan(plan, Feedback(plan.subgoals[0], _state(), [], "budget spent"))
    assert replanned.subgoals[0].text != "collect 3 wood" and planner.failures["collect_wood"] == 1
    planner.reset()
    assert planner.plan("", _state()).subgoals[0].text == "collect 3 wood"


def test_score_and_bootstrap_follow_the_crafter_paper():
    unlocked = np.zeros((4, len(ACHIEVEMENTS)), bool)
    unlocked[:, 0] = True  # one achievement in every episode, one in half of them
    unlocked[:2, 1] = True
    rates = {name: 100.0 * unlocked[:, i].mean() for i, name in enumerate(ACHIEVEMENTS)}
    expected = np.exp((np.log(101) + np.log(51)) / len(ACHIEVEMENTS)) - 1
    assert crafter_score(rates) == pytest.approx(expected)
    low, high = bootstrap_score(unlocked)
    assert low <= crafter_score(rates) <= high and bootstrap_score(unlocked) == (low, high)  # seeded


@pytest.mark.slow
def test_two_short_expert_episodes_through_the_cli(tmp_path):
    command = [sys.executable, "-m", "embodied.cli.main", "eval", "open_ended=true", "actor=expert", "episodes=2",
               "max_steps=300", f"out={tmp_path / 'open.json'}"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "Crafter score" in result.stdout and "make wood pickaxe" in result.stdout
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["episodes"] == 2 and metrics["max_steps"] == 300 and metrics["actor"] == "expert"
    assert set(metrics["achievements_percent"]) == set(ACHIEVEMENTS)
    assert sum(rate > 0 for rate in metrics["achievements_percent"].values()) >= 5  # several unlocked
    assert metrics["crafter_score"] == pytest.approx(crafter_score(metrics["achievements_percent"]))
    low, high = metrics["crafter_score_ci95"]
    assert low <= metrics["crafter_score"] <= high
    detail = json.loads((tmp_path / "open.json").read_text())["episodes_detail"]
    assert all(row["steps"] <= 300 for row in detail)
    assert all(sum(steps for _, _, steps in row["outcomes"]) == row["steps"] for row in detail)
    tried = metrics["subgoals"]  # per subgoal text over both episodes, from the episodes' outcomes
    assert sum(entry["attempts"] for entry in tried.values()) == sum(row["subgoals"] for row in detail)
    assert tried["collect wood"]["successes"] >= 1
    assert sum(metrics["died_during"].values()) == sum(row["died"] for row in detail)


def test_open_ended_expert_episodes_are_recorded_as_demos(tmp_path):
    from embodied.collection import CollectConfig, collect
    from embodied.datasets.hdf5 import open_dataset

    path = str(tmp_path / "open.hdf5")
    result = collect(CollectConfig(env="crafter", episodes=1, out=path, workers=1, open_ended=True,
                                   env_kwargs={"max_steps": 250, "pixels": False, "semantic": True}))
    assert result.episodes == 1 and len(result.subgoal_success) >= 4  # several different subgoals, one episode
    with open_dataset(path) as file:
        demo = file["data"]["demo_0"]
        steps = len(demo["actions"])
        assert 0 < steps <= 250 and set(demo["obs"]) == {"inventory", "semantic"}
        assert len(np.unique(demo["subgoal_ids"][()])) >= 4 and len(demo["obs"]["semantic"]) == steps


def test_open_ended_recording_is_for_crafter_only(tmp_path):
    from embodied.collection import CollectConfig, collect
    from embodied.types import InvalidPlanError

    with pytest.raises(InvalidPlanError, match="open_ended"):
        collect(CollectConfig(env="tabletop", episodes=1, out=str(tmp_path / "x.hdf5"), open_ended=True))


@pytest.mark.slow
def test_the_expert_plays_in_the_world_settings_given_and_a_policy_refuses_them(tmp_path):
    base = [sys.executable, "-m", "embodied.cli.main", "eval", "open_ended=true", "episodes=1", "max_steps=120"]
    env = {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    outcomes = {}
    for knows in ("world", "seen"):
        out = tmp_path / f"{knows}.json"
        result = subprocess.run([*base, "actor=expert", f"+env.kwargs.expert_knows={knows}", f"out={out}"],
                                cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
        assert result.returncode == 0, result.stderr
        outcomes[knows] = json.loads(out.read_text())["episodes_detail"][0]["outcomes"]
    assert outcomes["world"] != outcomes["seen"]  # the expert that knows only what was seen walks elsewhere
    refused = subprocess.run([*base, "+env.kwargs.expert_knows=seen"], cwd=ROOT, capture_output=True, text=True,
                             timeout=600, env=env)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "checkpoint" in refused.stderr
