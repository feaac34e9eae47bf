import pytest

from embodied.types import InvalidPlanError
from embodied.worlds.kitchen.vocab import GOAL_TEXTS, SKILLS, parse
from planners.symbolic import SymbolicPlanner


def texts(instruction, done=()):
    return [s.text for s in SymbolicPlanner("kitchen").plan(instruction, {"done": list(done)}, SKILLS).subgoals]


def test_tasks_in_the_order_written():
    microwave, light = "open the microwave", "turn on the light switch"
    assert texts("open the microwave and then turn on the light") == [microwave, light]
    assert texts("turn on the light switch, then open the microwave") == [light, microwave]
    instruction = "first move the kettle, then open the sliding door and finally switch on the top burner"
    assert texts(instruction) == ["move the kettle", "open the slide cabinet", "turn on the top burner"]


def test_after_reverses_the_order():
    expected = ["open the microwave", "turn on the light switch"]
    assert texts("turn on the light after opening the microwave") == expected


def test_synonyms_plurals_and_everything():
    assert texts("open the hinged cabinet and turn on the lower burner") == ["open the hinge cabinet",
                                                                            "turn on the bottom burner"]
    assert texts("turn on the burners") == ["turn on the bottom burner", "turn on the top burner"]
    assert texts("do everything") == list(GOAL_TEXTS)
    assert texts("open the microwave, open the microwave") == ["open the microwave"]


def test_canonical_subgoals():
    plan = SymbolicPlanner("kitchen").plan("move the kettle", {}, SKILLS)
    assert plan.planner == "symbolic"
    assert [(s.skill, s.text) for s in plan.subgoals] == [("kettle", "move the kettle")]


def test_tasks_already_done_are_skipped():
    assert texts("open the microwave and then turn on the light", done=["open the microwave"]) == [
        "turn on the light switch"]
    plan = SymbolicPlanner("kitchen").plan("open the microwave", {"done": ["open the microwave"]}, SKILLS)
    assert plan.subgoals == [] and "already done" in plan.explanation


@pytest.mark.parametrize("instruction", ["make coffee", "", "open the cabinet", "turn on the stove"])
def test_unknown_or_ambiguous_instructions_are_invalid(instruction):
    with pytest.raises(InvalidPlanError):
        SymbolicPlanner("kitchen").plan(instruction, {}, SKILLS)


def test_tasks_without_a_skill_are_invalid():
    with pytest.raises(InvalidPlanError, match="no skill"):
        SymbolicPlanner("kitchen").plan("open the microwave", {}, SKILLS[1:])


def test_check_holds_a_plan_to_the_instruction_and_the_tasks_done():
    planner = SymbolicPlanner("kitchen")
    microwave, light = parse("open the microwave"), parse("turn on the light switch")
    planner.check([microwave, light], {"done": []}, "open the microwave and turn on the light")
    planner.check([light], {"done": ["open the microwave"]}, "open the microwave and turn on the light")
    planner.check([light], {"done": []}, "do something only a person understands")  # unreadable: not held to it
    with pytest.raises(InvalidPlanError, match="asks for 'open the microwave' before 'turn on the light switch'"):
        planner.check([light, microwave], {"done": []}, "open the microwave and turn on the light")
    planner.check([microwave, light], {"done": []}, "turn on the light after you open the microwave")
    with pytest.raises(InvalidPlanError, match="never does 'turn on the light switch'"):
        planner.check([microwave], {"done": []}, "open the microwave and turn on the light")
    with pytest.raises(InvalidPlanError, match="already done"):
        planner.check([microwave, light], {"done": ["open the microwave"]})
    with pytest.raises(InvalidPlanError, match="repeats"):
        planner.check([light, light], {"done": []})
