"""Task switching: a new instruction mid-episode replaces the plan at the next subgoal boundary, no reset."""

from embodied.agent import Agent, AgentConfig
from embodied.worlds.crafter.env import CrafterEnv
from embodied.worlds.crafter.expert import CrafterExpert
from planners.symbolic import SymbolicPlanner


class InstructOnFirstSubgoal:
    """The scripted expert, plus a user who gives a new instruction while the first subgoal is under way."""

    def __init__(self, expert, instruction):
        self.expert, self.instruction, self.agent = expert, instruction, None

    def reset(self):
        self.expert.reset()

    def start(self, subgoal):
        if self.instruction:
            self.agent.instruct(self.instruction)
            self.instruction = None
        self.expert.start(subgoal)

    def act(self, observation):
        return self.expert.act(observation)


def test_a_new_instruction_replaces_the_plan_at_the_next_boundary_without_reset():
    env = CrafterEnv()
    actor = InstructOnFirstSubgoal(CrafterExpert(env, seed=1), "place a table")
    agent = Agent(env, SymbolicPlanner("crafter"), actor, AgentConfig(max_replans=0))
    actor.agent = agent
    trajectory = agent.run("make a wood pickaxe", seed=11)
    assert [p.instruction for p in trajectory.plans] == ["make a wood pickaxe", "place a table"]
    assert [r.subgoal for r in trajectory.results] == ["collect 3 wood", "place table"]  # never the pickaxe
    assert [s.text for s in trajectory.plans[1].subgoals] == ["place table"]  # planned from the 3 wood in hand
    assert trajectory.success
    assert env.inventory_dict()["wood"] >= 1 and env.inventory_dict()["wood_pickaxe"] == 0
    assert len(trajectory.actions) == sum(r.steps for r in trajectory.results)  # one episode, never reset


def test_an_instruction_the_planner_cannot_read_is_ignored_and_the_task_goes_on():
    env = CrafterEnv()
    actor = InstructOnFirstSubgoal(CrafterExpert(env, seed=1), "fly to the moon")
    logs = []
    agent = Agent(env, SymbolicPlanner("crafter"), actor, AgentConfig(max_replans=0), log=logs.append)
    actor.agent = agent
    trajectory = agent.run("place a table", seed=11)
    assert trajectory.success and len(trajectory.plans) == 1
    assert any("'fly to the moon' ignored" in line for line in logs)
