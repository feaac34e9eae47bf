"""Parsing and validating plans (no model), and the planner's repair -> fallback path on bad replies."""

import json

import pytest

from embodied.types import Feedback, InvalidPlanError, Skill, Subgoal
from embodied.worlds.crafter import vocab as crafter_vocab
from planners import prompts
from planners.language import LanguagePlanner, LanguagePlannerConfig, ModelError
from planners.symbolic import SymbolicPlanner
from planners.validation import parse_reply, validate, vocabulary

VOCAB = vocabulary("crafter")
EMPTY = {"world": "crafter", "inventory": {}, "nearby": ["grass", "tree"]}


def texts(subgoals):
    return [s.text for s in subgoals]


@pytest.mark.parametrize("reply", [
    '["collect 3 wood", "place table"]',
    'Sure:\n```json\n{"subgoals": ["collect 3 wood", "place a table"]}\n```',
    "1. collect 3 wood\n2) place table",
    "- collect 3 wood\n- place table",
    '[{"skill": "collect_wood", "args": {"count": 3}}, {"text": "place table"}]',
])
def test_replies_in_every_accepted_form_parse_to_the_same_subgoals(reply):
    assert texts(parse_reply(reply, VOCAB)) == ["collect 3 wood", "place table"]


@pytest.mark.parametrize(("reply", "reason"), [
    ("I would start by chopping some trees.", "neither a JSON list of subgoals nor numbered lines"),
    ('["collect wood", "fly to the moon"]', "subgoal 2 'fly to the moon' is not in the vocabulary"),
    ('["collect 0 wood"]', "count must be >= 1"),
    ('[{"skill": "collect_wood", "args": {"colour": "red"}}]', "bad arguments ['colour']"),
    ('[{"skill": "teleport"}]', "unknown skill 'teleport'"),
    ("[42]", "expected a subgoal text"),
])
def test_unreadable_replies_say_precisely_why(reply, reason):
    with pytest.raises(InvalidPlanError, match=reason.replace("(", r"\(").replace("[", r"\[")):
        parse_reply(reply, VOCAB)


def test_impossible_order_is_found_by_simulating_the_recipes():
    check = SymbolicPlanner("crafter").check
    plan = parse_reply('["make stone pickaxe"]', VOCAB)
    with pytest.raises(InvalidPlanError, match=r"step 1 'make stone pickaxe' is impossible there: it needs 1 wood "
                                               r"\(has 0\) and 1 stone \(has 0\) and a table nearby"):
        validate(plan, EMPTY, VOCAB.skills, check)
    with pytest.raises(InvalidPlanError, match="step 3 'collect stone' .* needs 1 wood pickaxe"):
        validate(parse_reply('["collect 3 wood", "place table", "collect stone"]', VOCAB), EMPTY, VOCAB.skills, check)
    good = parse_reply('["collect 4 wood", "place table", "make wood pickaxe", "collect stone", "make stone pickaxe"]',
                       VOCAB)
    validate(good, EMPTY, VOCAB.skills, check, "make a stone pickaxe")
    with pytest.raises(InvalidPlanError, match="never does 'make stone sword'"):
        validate(good, EMPTY, VOCAB.skills, check, "make a stone sword")


def test_unknown_skills_and_too_long_plans():
    with pytest.raises(InvalidPlanError, match="unknown skill 'collect_wood'"):
        validate([crafter_vocab.parse("collect wood")], {}, (Skill("place_table"),))
    with pytest.raises(InvalidPlanError, match="at most 2"):
        validate([Subgoal("wake_up", (), "wake up")] * 3, {}, VOCAB.skills, max_subgoals=2)


def test_every_world_has_a_vocabulary_that_reads_its_own_texts():
    for world in ("crafter", "tabletop", "kitchen", "fetch_reach", "fetch_push", "fetch_pick_and_place",
                  "fetch_slide"):
        vocab = vocabulary(world)
        assert vocab.world == world
        assert vocab.texts and all(texts([vocab.parse(t)]) == [t] for t in vocab.texts[:5])


class ScriptedModel:
    """A chat model that answers from a script and records what it was asked (to test the control flow)."""

    name, accepts_images, plan_key = "scripted", False, ""

    def __init__(self, *replies):
        self.replies, self.asked = list(replies), []

    def complete(self, messages, choices=None, max_items=10, max_tokens=128, stop=(), feasible=None):
        self.asked.append(messages)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def planner(*replies, **config):
    return LanguagePlanner(ScriptedModel(*replies), LanguagePlannerConfig(**config), "scripted")


def test_an_invalid_reply_is_repaired_by_one_reprompt_with_the_error():
    p = planner('["make wood pickaxe"]', '["collect 3 wood", "place table", "make wood pickaxe"]')
    plan = p.plan("make a wood pickaxe", EMPTY)
    assert texts(plan.subgoals) == ["collect 3 wood", "place table", "make wood pickaxe"]
    assert plan.planner == "scripted (repaired)" and "needs 1 wood" in plan.explanation
    repair = p.model.asked[1][-1]["content"]
    assert repair.startswith("That plan is invalid: step 1 'make wood pickaxe' is impossible there")


@pytest.mark.parametrize("replies", [
    ("no idea", "still no idea"),  # unparseable twice
    ('["fly"]', '["collect 2 wood", "make diamond"]'),  # unknown skills
    ('["make wood pickaxe"]', '["place table", "make wood pickaxe"]'),  # impossible order twice
    (ModelError("connection refused"),),  # the model is down: no repair, straight to the fallback
])
def test_two_bad_replies_fall_back_to_the_symbolic_planner_with_the_reason(replies):
    plan = planner(*replies).plan("make a wood pickaxe", EMPTY)
    assert texts(plan.subgoals) == texts(SymbolicPlanner("crafter").plan("make a wood pickaxe", EMPTY).subgoals)
    assert plan.planner == "symbolic (fallback from scripted)"
    assert plan.explanation.startswith("fell back to the symbolic planner: ")


def test_an_instruction_only_the_model_reads_is_completed_by_the_symbolic_planner():
    plan = planner('["make wood pickaxe"]', '["make wood pickaxe"]').plan("I fancy a wooden pick", EMPTY)
    assert plan.planner == "symbolic completion of scripted"
    assert texts(plan.subgoals) == ["collect 3 wood", "place table", "make wood pickaxe"]
    with pytest.raises(InvalidPlanError, match="could not plan either"):
        planner("gibberish", "more gibberish").plan("I fancy a wooden pick", EMPTY)
    with pytest.raises(InvalidPlanError, match="no valid plan"):
        planner("gibberish", "more", fallback=False).plan("make a wood pickaxe", EMPTY)


def test_replan_asks_the_model_to_explain_then_plans_from_the_new_state():
    p = planner("The table was too far away.", '["place table", "make wood pickaxe"]')
    state = {"world": "crafter", "inventory": {"wood": 3}, "nearby": ["grass"]}
    failed = crafter_vocab.parse("make wood pickaxe")
    old = SymbolicPlanner("crafter").plan("make a wood pickaxe", EMPTY)
    plan = p.replan(old, Feedback(failed, state, [crafter_vocab.parse("collect 3 wood")], "step budget spent"))
    assert texts(plan.subgoals) == ["place table", "make wood pickaxe"]
    assert "model: The table was too far away." in plan.explanation
    explain, replan = p.model.asked
    assert "Failed: make wood pickaxe (step budget spent)" in explain[-1]["content"]
    assert "The table was too far away." in replan[-1]["content"] and "3 wood" in replan[-1]["content"]


def test_expand_mode_asks_for_goals_and_lets_the_symbolic_planner_write_the_steps():
    p = planner('["make wood pickaxe"]', expand=True)
    plan = p.plan("I fancy a wooden pick", EMPTY)  # an instruction the symbolic planner cannot read itself
    assert plan.planner == "scripted expanded"
    assert texts(plan.subgoals) == ["collect 3 wood", "place table", "make wood pickaxe"]
    system, *turns = p.model.asked[0]
    assert "goals the instruction asks for" in system["content"]
    answers = [json.loads(turn["content"]) for turn in turns if turn["role"] == "assistant"]
    assert answers and all(len(a) <= 2 for a in answers)  # worked examples answer with goals, not whole plans
    p = planner("[]", '["collect sapling", "make wood pickaxe"]', expand=True)
    plan = p.plan("make a wood pickaxe", EMPTY)  # a reply naming no goal is repaired
    assert plan.planner == "scripted expanded (repaired)" and plan.explanation.startswith("first reply invalid")
    assert sorted(texts(plan.subgoals)) == ["collect 3 wood", "collect sapling", "make wood pickaxe", "place table"]


def test_example_goals_reproduce_each_worked_example_through_the_symbolic_planner():
    from embodied.registry import world as world_spec

    for world in ("crafter", "tabletop", "kitchen"):
        vocab, oracle = vocabulary(world), world_spec(world).load_rules()
        for example in world_spec(world).load_language().examples:
            goals = prompts.example_goals(vocab, example)
            plan = oracle.plan(", then ".join(goals), example.observation(), vocab.skills)
            assert texts(plan.subgoals) == list(example.plan), (world, example.instruction)
