"""The instruction generator, the few-shot examples kept apart from it, and `embodied eval-planner`."""

import json
import subprocess
import sys

from planners.instructions import generate
from planners.prompts import CRAFTER, plan_messages, select_examples
from planners.symbolic.crafter import CrafterPlanner
from planners.validation import parse_reply, vocabulary


def test_at_least_200_distinct_seeded_instructions_none_of_them_an_example():
    cases = generate(250, seed=3)
    assert len({c.instruction for c in cases}) == 250
    assert [c.instruction for c in cases] == [c.instruction for c in generate(250, seed=3)]
    assert [c.instruction for c in cases] != [c.instruction for c in generate(250, seed=4)]
    assert not {c.instruction for c in cases} & {e.instruction for e in CRAFTER.examples}
    oracle = CrafterPlanner()
    for case in cases:  # the canonical targets are always plannable from the start state
        oracle.check(oracle.plan(case.canonical, case.observation).subgoals, case.observation, case.canonical)


def test_every_worked_example_is_executable_and_does_what_it_says():
    vocab, oracle = vocabulary("crafter"), CrafterPlanner()
    for example in CRAFTER.examples:
        plan = parse_reply(json.dumps(list(example.plan)), vocab)
        oracle.check(plan, example.observation(), example.instruction)


def test_the_examples_most_like_the_instruction_come_last():
    chosen = select_examples(CRAFTER.examples, "mine 2 coal", 3)
    assert len(chosen) == 3 and chosen[-1].instruction == "collect 2 coal"
    messages = plan_messages(vocabulary("crafter"), "mine 2 coal", {"inventory": {"wood": 2, "health": 9}}, examples=3)
    assert [m["role"] for m in messages] == ["system"] + ["user", "assistant"] * 3 + ["user"]
    assert messages[-1]["content"] == "State: inventory: 2 wood\nInstruction: mine 2 coal"


def test_eval_planner_cli_scores_the_symbolic_planner_on_200_instructions(tmp_path):
    out = tmp_path / "scores.json"
    result = subprocess.run([sys.executable, "-m", "embodied.cli.main", "eval-planner", "backend=symbolic", "n=200",
                             f"out={out}"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["instructions"] == 200 and summary["backend"] == "symbolic"
    assert 0 < summary["exact_match"] == summary["executable"] < 1  # paraphrases it cannot read are errors
    assert json.loads(out.read_text())["cases"][0]["oracle"]
