import pytest

from embodied.envs.mujoco import fetch_vocab
from embodied.types import InvalidPlanError, Skill, Subgoal
from planners.symbolic.single import SingleTaskPlanner


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
    plan = SingleTaskPlanner().plan(instruction, observation(name), (fetch_vocab.skill(name),))
    assert plan.subgoals == [fetch_vocab.make_subgoal(name)]
    assert plan.planner == "symbolic" and plan.instruction == instruction


@pytest.mark.parametrize("name,instruction", [
    ("fetch_push", "open the microwave"), ("fetch_push", ""), ("fetch_reach", "push the block to the target"),
    ("fetch_pick_and_place", "slide the puck to the target"), ("fetch_slide", "task"),
])
def test_other_instructions_are_invalid(name, instruction):
    with pytest.raises(InvalidPlanError, match="does not ask for this world's task"):
        SingleTaskPlanner().plan(instruction, observation(name), (fetch_vocab.skill(name),))


def test_done_task_gives_an_empty_plan():
    plan = SingleTaskPlanner().plan("push the block", observation("fetch_push", done=True),
                                    (fetch_vocab.skill("fetch_push"),))
    assert plan.subgoals == [] and "already done" in plan.explanation


def test_needs_exactly_one_skill_and_works_for_any_single_skill_world():
    with pytest.raises(InvalidPlanError, match="exactly one skill"):
        SingleTaskPlanner().plan("push", {}, (Skill("push", (), "push it"), Skill("pull", (), "pull it")))
    plan = SingleTaskPlanner().plan("wave hello", {}, (Skill("wave", (), "wave your hand"),))
    assert plan.subgoals == [Subgoal("wave", (), "wave your hand")]
