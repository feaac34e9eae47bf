"""`replan_each=true`: after every subgoal done, the instruction is planned again from the state then (closed
loop), so a plan written at the start is not followed blindly; by default only a failure re-plans."""

from embodied.agent import Agent, AgentConfig
from embodied.evaluation import instruction_done
from embodied.registry import make_planner, world

INSTRUCTION = "make a stone pickaxe"


def _run(replan_each: bool):
    spec = world("crafter")
    env = spec.make_env()
    planner = make_planner("symbolic", "crafter")
    agent = Agent(env, planner, spec.make_expert(env, seed=11), AgentConfig(max_replans=0, replan_each=replan_each))
    return env, spec, agent.run(INSTRUCTION, seed=11)


def test_every_subgoal_done_is_followed_by_a_plan_from_the_state():
    env, spec, trajectory = _run(replan_each=True)
    assert trajectory.success and instruction_done(trajectory, INSTRUCTION, env, spec.load_rules())
    done = [r for r in trajectory.results if r.success]
    # one plan at the start, one after each subgoal done but the last (the plan then ends)
    assert len(trajectory.plans) == len(done) and len(done) >= 5
    for plan, result in zip(trajectory.plans, trajectory.results, strict=True):
        assert plan.subgoals[0].text == result.subgoal  # each fresh plan's first step is what ran next
    # the fresh plans shrink as the chain is done: the last one is the pickaxe alone
    assert [s.text for s in trajectory.plans[-1].subgoals] == ["make stone pickaxe"]


def test_by_default_one_plan_is_followed():
    _, _, trajectory = _run(replan_each=False)
    assert trajectory.success and len(trajectory.plans) == 1
