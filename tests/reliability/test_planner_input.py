"""Planner input: instructions outside the world or too long are refused before the model is asked (library
and real CLI); the reply parser under hypothesis returns Subgoals or raises InvalidPlanError, nothing else."""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embodied.registry import world
from embodied.types import InvalidPlanError, Subgoal
from planners.instructions import generate
from planners.language import LanguagePlanner, LanguagePlannerConfig
from planners.symbolic import SymbolicPlanner
from planners.validation import parse_reply, vocabulary

CRAFTER = vocabulary("crafter")


class NoModel:
    """A chat model that must not be asked."""

    name, accepts_images, plan_key = "none", False, ""

    def complete(self, *args, **kwargs) -> str:
        raise AssertionError("the model was asked")


class OneReply(NoModel):
    def complete(self, *args, **kwargs) -> str:
        return '["collect wood", "place table", "make wood pickaxe"]'


@pytest.mark.parametrize("world,instruction", [("crafter", "build a rocket"), ("tabletop", "bake a cake"),
                                               ("kitchen", "fly to the moon")])
def test_an_instruction_outside_the_world_is_refused_with_why(world, instruction):
    planner = LanguagePlanner(NoModel(), LanguagePlannerConfig(world=world), "llm")
    with pytest.raises(InvalidPlanError, match=f"outside the {world} world: none of its words names anything"):
        planner.plan(instruction, {"world": world})


@pytest.mark.parametrize("instruction,named", [("make a diamond sword", "diamond sword"),
                                               ("craft a golden pickaxe", "gold pickaxe"),
                                               ("I want a wooden axe", "wood axe")])
@pytest.mark.parametrize("backend", ["llm", "symbolic"])
def test_a_tool_the_world_never_makes_is_refused_by_its_rules(backend, instruction, named):
    planner = (LanguagePlanner(NoModel(), LanguagePlannerConfig(world="crafter"), "llm") if backend == "llm"
               else SymbolicPlanner("crafter"))
    with pytest.raises(InvalidPlanError, match=f"outside the crafter world: crafter has no {named}; the tools it "
                                               "makes are: iron pickaxe, iron sword, stone pickaxe"):
        planner.plan(instruction, {"world": "crafter", "inventory": {}})


@pytest.mark.parametrize("instruction", [*CRAFTER.texts, "make a wooden pickaxe", "craft an iron sword",
                                         "get a stone pick"])
def test_the_tools_crafter_makes_are_not_refused(instruction):
    assert world("crafter").load_rules().refuse(instruction) is None


@pytest.mark.parametrize("world_name", ["crafter", "tabletop", "kitchen"])
def test_no_planner_evaluation_paraphrase_is_refused(world_name):
    """"take a nap", "quench your thirst", "eat some beef": the world's related words count as naming it."""
    planner = LanguagePlanner(NoModel(), LanguagePlannerConfig(world=world_name), "llm")
    vocab = vocabulary(world_name)
    for case in generate(200, 0, world_name):
        planner._refuse_unreadable(case.instruction, vocab)  # raises InvalidPlanError when refused


def test_a_paraphrase_naming_the_world_still_reaches_the_model():
    planner = LanguagePlanner(OneReply(), LanguagePlannerConfig(world="crafter"), "llm")
    plan = planner.plan("I fancy a wooden pick", {"world": "crafter", "inventory": {}})
    assert [s.text for s in plan.subgoals][-1] == "make wood pickaxe"


def test_a_very_long_instruction_is_refused_at_once():
    planner = LanguagePlanner(NoModel(), LanguagePlannerConfig(world="crafter"), "llm")
    began = time.time()
    with pytest.raises(InvalidPlanError, match=r"instruction too long \(20000 characters; at most 500"):
        planner.plan(("make a stone pickaxe " * 1000)[:20000], {"world": "crafter"})
    assert time.time() - began < 1.0


@pytest.fixture(scope="module")
def checkpoint(cli, crafter_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("planner") / "run"
    result = cli.run("train", f"dataset={crafter_dataset}", f"out={out}", *cli.tiny_train, "train.steps=2")
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("instruction,expected", [("build a rocket", "is outside the crafter world"),
                                                  ("make a diamond sword", "crafter has no diamond sword"),
                                                  ("make a stone pickaxe " * 30, "instruction too long (630")])
def test_the_cli_refuses_in_one_line(cli, checkpoint, instruction, expected):
    result = cli.run("run", instruction, f"checkpoint={checkpoint}", "planner=openai",
                     "planner.base_url=http://127.0.0.1:9/v1", "planner.timeout_s=1")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("embodied run: error: openai planner: ") and expected in lines[0]


REPLY_PARTS = st.one_of(st.sampled_from(CRAFTER.texts), st.text(max_size=30),
                        st.sampled_from(['[', ']', '{', '}', '"', ',', '\n', '1. ', '- ', '{"skill": ', '"args": ',
                                         '"subgoals": ', 'null', '{"text": ', '"collect"', '{"item": "wood"}', '```']))
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1000")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.one_of(st.text(max_size=200), st.lists(REPLY_PARTS, max_size=20).map("".join)))
def test_parse_reply_returns_subgoals_or_raises_invalid_plan(reply):
    try:
        subgoals = parse_reply(reply, CRAFTER)
    except InvalidPlanError as error:
        assert "\n" not in str(error)  # one line, fit to send back to the model
        return
    assert subgoals and all(isinstance(s, Subgoal) and s.text in CRAFTER.texts for s in subgoals)
