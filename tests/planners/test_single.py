import pytest

from embodied.types import InvalidPlanError
from embodied.worlds.fetch import vocab as fetch_vocab
from planners.symbolic import SymbolicPlanner


def observation(name: str, done: bool = False) -> dict:
    return {"world": name, "task": fetch_vocab.task(name).text, "done": done}


@pytest.mark.parametrize("name,instruction", [
    ("fetch_reach", "reach the target"), ("fetch_reach", "Reach for the red dot, please."),
    ("fetch_push", "push the block to the target"), ("fetch_push", "push it"),
    ("fetch_pick_and_place", "pick up the cube and put it on the target"),
    ("fetch_pick_and_place", "lift the block"),
    ("fetch_slide", "slide the puck to the target"), ("fetch_slide", "do the task"),
    ("fetch_slide", "Complete this task"),
])
def test_plans_the_one_subgoal_when_asked(name, instruction):
    plan = SymbolicPlanner().plan(instruction, observation(name), (fetch_vocab.skill(name),))
    assert plan.subgoals == [fetch_vocab.make_subgoal(name)]
    assert plan.planner == "symbolic" and plan.instruction == instruction


@pytest.mark.parametrize("name,instruction", [
    ("fetch_push", "open the microwave"), ("fetch_push", ""), ("fetch_reach", "push the block to the target"),
    ("fetch_pick_and_place", "slide the puck to the target"), ("fetch_slide", "task"),
])
def test_other_instructions_are_invalid(name, instruction):
    with pytest.raises(InvalidPlanError, match="does not ask for this world's task"):
        SymbolicPlanner().plan(instruction, observation(name), (fetch_vocab.skill(name),))


def test_done_task_gives_an_empty_plan():
    plan = SymbolicPlanner().plan("push the block", observation("fetch_push", done=True),
                                    (fetch_vocab.skill("fetch_push"),))
    assert plan.subgoals == [] and "already done" in plan.explanation


def test_check_holds_a_plan_to_the_asked_task():
    """A failed attempt (nothing achieved) does not do what "push the block" asks; the task done at the start
    does (nothing is left); a plan with the task twice, or with it when already done, is invalid."""
    planner, push = SymbolicPlanner(), fetch_vocab.make_subgoal("fetch_push")
    with pytest.raises(InvalidPlanError, match="never does"):
        planner.check([], observation("fetch_push"), "push the block to the target")
    planner.check([push], observation("fetch_push"), "push the block to the target")
    planner.check([], observation("fetch_push", done=True), "push the block to the target")
    with pytest.raises(InvalidPlanError, match="already done"):
        planner.check([push], observation("fetch_push", done=True))
    with pytest.raises(InvalidPlanError, match="2 times"):
        planner.check([push, push], observation("fetch_push"))
