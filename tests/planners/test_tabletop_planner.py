import pytest

from embodied.types import InvalidPlanError, Skill
from embodied.worlds.tabletop.vocab import SKILLS, parse
from planners.symbolic import SymbolicPlanner

PICK, PLACE = "pick up the {} block", "place the {} block on the {} block"
EMPTY = {"on": {}, "regions": {"red": None, "green": None, "blue": None}, "holding": None,
         "gripper_open": True}


def texts(instruction, observation=EMPTY):
    plan = SymbolicPlanner("tabletop").plan(instruction, observation, SKILLS)
    assert plan.planner == "symbolic"
    return [s.text for s in plan.subgoals]


def stack(top, below):
    return [PICK.format(top), PLACE.format(top, below)]


def test_stack_push_pick_place_and_open():
    assert texts("stack the red block on the blue one") == stack("red", "blue")
    assert texts("Put the green block on top of the red block.") == stack("green", "red")
    assert texts("push the green block to the left") == ["push the green block to the left region"]
    assert texts("put the blue block in the right area") == [PICK.format("blue"),
                                                            "place the blue block in the right region"]
    assert texts("pick up the red block") == [PICK.format("red")]
    assert texts("pick up the red block, then open the gripper") == [PICK.format("red"), "open the gripper"]


def test_chains_run_in_the_order_written():
    instruction = "stack the red block on the blue one, then push the green block to the left"
    assert texts(instruction) == stack("red", "blue") + ["push the green block to the left region"]
    instruction = "push the green block to the right side and then put red on green; after that lift the blue"
    assert texts(instruction) == ["push the green block to the right region", *stack("red", "green"),
                                  PICK.format("blue")]


def test_pronouns_refer_to_the_previous_block():
    assert texts("pick up the red block and put it on the blue block") == stack("red", "blue")
    assert texts("grab the green block and place it in the left region") == [
        PICK.format("green"), "place the green block in the left region"]


def test_towers_are_built_bottom_up():
    expected = stack("green", "blue") + stack("red", "green")
    assert texts("build a tower of red on green on blue") == expected
    assert texts("stack red on green on blue") == expected


def test_what_is_already_true_is_skipped():
    done = {**EMPTY, "on": {"red": "blue"}, "regions": {"red": None, "green": "left", "blue": None}}
    assert texts("stack the red block on the blue one, then push the green block to the left", done) == []
    half_built = {**EMPTY, "on": {"green": "blue"}}
    assert texts("build a tower of red on green on blue", half_built) == stack("red", "green")
    assert texts("open the gripper") == []
    holding = {**EMPTY, "holding": "red", "gripper_open": False}
    assert texts("stack the red block on the blue one", holding) == [PLACE.format("red", "blue")]
    assert texts("open the gripper", holding) == ["open the gripper"]


def test_blocks_in_the_way_are_moved_first():
    covered = {**EMPTY, "on": {"green": "blue"}}
    assert texts("stack the red block on the blue one", covered) == [
        PICK.format("green"), "place the green block in the left region", *stack("red", "blue")]
    under = {**EMPTY, "on": {"green": "red"}}
    assert texts("push the red block to the right", under) == [
        PICK.format("green"), "place the green block in the left region",
        "push the red block to the right region"]
    holding = {**EMPTY, "holding": "blue", "gripper_open": False}
    assert texts("push the red block to the right", holding) == [
        "place the blue block in the left region", "push the red block to the right region"]
    on_top = {**EMPTY, "on": {"red": "green"}}  # a stacked block is lifted into the region, not pushed off
    assert texts("push the red block to the left", on_top) == [PICK.format("red"),
                                                               "place the red block in the left region"]


def test_what_is_not_understood_is_named():
    planner = SymbolicPlanner("tabletop")
    cases = {
        "stack the purple block on the blue one": "unknown colour 'purple'",
        "juggle the red block": "unknown verb 'juggle'",
        "push the red block to the middle region": "unknown region 'middle'",
        "stack the red block on the red one": "on itself",
        "": "empty instruction",
    }
    for instruction, message in cases.items():
        with pytest.raises(InvalidPlanError, match=message):
            planner.plan(instruction, EMPTY, SKILLS)
    with pytest.raises(InvalidPlanError, match="no skill"):
        planner.plan("push the red block to the left", EMPTY, (Skill("pick_up", ("object",)),))


def test_check_simulates_the_order_and_the_instruction():
    planner = SymbolicPlanner("tabletop")
    instruction = "stack the red block on the blue one"
    plan = planner.plan(instruction, EMPTY, SKILLS)
    planner.check(plan.subgoals, EMPTY, instruction)
    with pytest.raises(InvalidPlanError, match="does not hold the red block"):
        planner.check([parse(PLACE.format("red", "blue"))], EMPTY)
    with pytest.raises(InvalidPlanError, match="holds the red block"):
        planner.check([parse(PICK.format("red")), parse(PICK.format("green"))], EMPTY)
    with pytest.raises(InvalidPlanError, match="green block is on the blue block"):
        planner.check(plan.subgoals, {**EMPTY, "on": {"green": "blue"}})
    with pytest.raises(InvalidPlanError, match="never does 'push the green block to the left region'"):
        planner.check(plan.subgoals, EMPTY, instruction + ", then push the green block to the left")


def test_replan_after_failure_starts_from_the_new_state():
    from embodied.types import Feedback

    planner = SymbolicPlanner("tabletop")
    plan = planner.plan("build a tower of red on green on blue", EMPTY, SKILLS)
    now = {**EMPTY, "on": {"green": "blue"}}
    feedback = Feedback(plan.subgoals[2], now, plan.subgoals[:2], "dropped it")
    replanned = planner.replan(plan, feedback, SKILLS)
    assert [s.text for s in replanned.subgoals] == stack("red", "green")
    assert "failed (dropped it)" in replanned.explanation
