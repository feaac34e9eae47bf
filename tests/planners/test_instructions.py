"""The instruction generator, the few-shot examples kept apart from it, and `embodied eval-planner`."""

import json
import subprocess
import sys

import numpy as np
import pytest

from embodied.registry import world
from embodied.worlds.kitchen.language import sample_instruction
from embodied.worlds.tabletop import language as tabletop_language
from embodied.worlds.tabletop.rules import TableState, parse_instruction
from planners.instructions import generate
from planners.prompts import plan_messages, select_examples
from planners.symbolic import SymbolicPlanner
from planners.validation import parse_reply, vocabulary


def test_at_least_200_distinct_seeded_instructions_none_of_them_an_example():
    cases = generate(250, seed=3)
    assert len({c.instruction for c in cases}) == 250
    assert [c.instruction for c in cases] == [c.instruction for c in generate(250, seed=3)]
    assert [c.instruction for c in cases] != [c.instruction for c in generate(250, seed=4)]
    assert not {c.instruction for c in cases} & {e.instruction for e in world("crafter").load_language().examples}
    oracle = SymbolicPlanner("crafter")
    for case in cases:  # the canonical targets are always plannable from the start state
        oracle.check(oracle.plan(case.canonical, case.observation).subgoals, case.observation, case.canonical)


def test_every_worked_example_is_executable_and_does_what_it_says():
    vocab, oracle = vocabulary("crafter"), SymbolicPlanner("crafter")
    for example in world("crafter").load_language().examples:
        plan = parse_reply(json.dumps(list(example.plan)), vocab)
        oracle.check(plan, example.observation(), example.instruction)


def test_the_examples_most_like_the_instruction_come_last():
    chosen = select_examples(world("crafter").load_language().examples, "mine 2 coal", 3)
    assert len(chosen) == 3 and chosen[-1].instruction == "collect 2 coal"
    messages = plan_messages(vocabulary("crafter"), "mine 2 coal", {"inventory": {"wood": 2, "health": 9}}, examples=3)
    assert [m["role"] for m in messages] == ["system"] + ["user", "assistant"] * 3 + ["user"]
    assert messages[-1]["content"] == "State: inventory: 2 wood\nInstruction: mine 2 coal"


def test_fixed_examples_give_every_instruction_the_same_prefix():
    vocab, state = vocabulary("crafter"), {"inventory": {"wood": 2, "health": 9}}
    prompts = [plan_messages(vocab, text, state, examples=4, fixed_examples=True)
               for text in ("mine 2 coal", "drink water", "make an iron pickaxe")]
    assert all(p[:-1] == prompts[0][:-1] for p in prompts) and len(prompts[0]) == 1 + 2 * 4 + 1
    similar = [plan_messages(vocab, text, state, examples=4) for text in ("mine 2 coal", "drink water")]
    assert similar[0][:-1] != similar[1][:-1]


def test_eval_planner_cli_scores_the_symbolic_planner_on_200_instructions(tmp_path):
    out = tmp_path / "scores.json"
    result = subprocess.run([sys.executable, "-m", "embodied.cli.main", "eval-planner", "backend=symbolic", "n=200",
                             f"out={out}"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["instructions"] == 200 and summary["backend"] == "symbolic"
    assert 0 < summary["exact_match"] == summary["executable"] < 1  # paraphrases it cannot read are errors
    assert json.loads(out.read_text())["cases"][0]["oracle"]


@pytest.mark.parametrize("name", ["tabletop", "kitchen"])
def test_200_distinct_seeded_instructions_per_world_all_plannable_none_an_example(name):
    cases = generate(200, seed=5, world=name)
    texts = [c.instruction for c in cases]
    assert len(set(texts)) == 200
    assert texts == [c.instruction for c in generate(200, seed=5, world=name)]
    assert [c.observation for c in cases] == [c.observation for c in generate(200, seed=5, world=name)]
    assert texts != [c.instruction for c in generate(200, seed=6, world=name)]
    worlds = ("crafter", "tabletop", "kitchen")
    examples = {e.instruction for other in worlds for e in world(other).load_language().examples}
    assert not set(texts) & examples
    oracle, vocab = world(name).load_rules(), vocabulary(name)
    sizes = set()
    for case in cases:  # the oracle plans every canonical target from the start state, and the plan runs
        assert case.observation["world"] == name
        plan = oracle.plan(case.canonical, case.observation, vocab.skills).subgoals
        assert plan, case
        oracle.check(plan, case.observation, case.canonical)
        sizes.add(len(case.targets))
    assert {1, 2, 3} <= sizes  # chains of one to three targets


def test_evaluation_wordings_are_not_the_recorders():
    rng = np.random.default_rng(0)
    recorded = {tabletop_language.sample_instruction(rng) for _ in range(20000)}
    assert not recorded & {c.instruction for c in generate(200, seed=0, world="tabletop")}
    recorded = {sample_instruction(rng) for _ in range(20000)}
    assert not recorded & {c.instruction for c in generate(200, seed=0, world="kitchen")}


def test_tabletop_cases_start_plausibly_and_no_clause_undoes_an_earlier_one():
    for case in generate(200, seed=1, world="tabletop"):
        obs = case.observation
        assert set(obs) == {"world", "blocks", "on", "on_table", "regions", "holding", "gripper_open", "gripper"}
        assert obs["gripper_open"] == (obs["holding"] is None)
        goals = parse_instruction(case.canonical)
        state = TableState.from_observation(obs)
        assert not any(state.holds(goal) for goal in goals)  # nothing asked for is already true
        oracle = world("tabletop").load_rules()
        for subgoal in oracle.plan(case.canonical, obs).subgoals:
            state.apply(subgoal)
        assert all(state.holds(g) for g in goals if g.skill in ("place_on", "place_in", "push_to")), case


def test_kitchen_cases_skip_tasks_already_done():
    cases = generate(200, seed=2, world="kitchen")
    oracle = world("kitchen").load_rules()
    skipped = 0
    for case in cases:
        done = set(case.observation["done"])
        plan = [s.text for s in oracle.plan(case.canonical, case.observation).subgoals]
        assert plan == [t for t in case.targets if t not in done]
        skipped += len(plan) < len(case.targets)
    assert skipped > 5


@pytest.mark.parametrize("name", ["tabletop", "kitchen"])
def test_worked_examples_are_what_the_oracle_plans(name):
    vocab, oracle = vocabulary(name), world(name).load_rules()
    assert 8 <= len(world(name).load_language().examples) <= 12
    for example in world(name).load_language().examples:
        observation = example.observation()
        assert observation["world"] == name
        plan = parse_reply(json.dumps(list(example.plan)), vocab)
        oracle.check(plan, observation, example.instruction)
        assert [s.text for s in oracle.plan(example.instruction, observation).subgoals] == list(example.plan)


def test_tabletop_and_kitchen_prompts_summarise_the_state():
    case = generate(1, seed=0, world="tabletop")[0]
    messages = plan_messages(vocabulary("tabletop"), case.instruction, case.observation, examples=3)
    assert [m["role"] for m in messages] == ["system"] + ["user", "assistant"] * 3 + ["user"]
    assert "red block" in messages[-1]["content"] and "gripper:" in messages[-1]["content"]
    assert "inventory" not in messages[-1]["content"] and "0.42" not in messages[-1]["content"]
    observation = {"world": "kitchen", "done": ["open the microwave"], "remaining": [], "end_effector": [0, 0, 0]}
    messages = plan_messages(vocabulary("kitchen"), "shift the kettle", observation, examples=2)
    assert messages[-1]["content"] == "State: already done: open the microwave\nInstruction: shift the kettle"
