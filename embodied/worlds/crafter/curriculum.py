"""The open-ended Crafter curriculum: from the current state, the one subgoal to do next.

Survival first (fight back an adjacent zombie or skeleton, drink when thirsty, eat when hungry (at night only
when starving: hunting in the dark is what killed the learned agents), sleep when tired or at night);
otherwise the next achievement not yet unlocked, in an order of increasing difficulty, whose plan under
Crafter's rules (rules.py) exists from here: the plan's first step is the next subgoal, so missing
prerequisites (wood for the table, the table for the pickaxe) come first. When that step collects a
material, it collects enough for the next LOOKAHEAD targets too ("collect 4 wood" for the table, the wood
pickaxe and the wood sword), so the tools are made beside the table just placed instead of after a walk
back to it. A target whose subgoals keep failing is tried again only after the others (targets are ranked
by failures, then by the order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from embodied.types import PREEMPTED, Feedback, InvalidPlanError, Plan, Skill, Subgoal
from embodied.worlds.crafter import vocab
from embodied.worlds.crafter.rules import RULES

INSTRUCTION = "unlock as many achievements as you can"
# The stone tools before the first night (step ~150), which most agents do not survive; the furnace (4 stone, no
# tool) right after the sapling is planted: the learned agent rarely lived to place it after the coal (4% -> 33%
# on the tuning seeds; earlier, its stone collection delayed the stone pickaxe past nightfall; embodied/BENCHMARKS.md)
ORDER: tuple[str, ...] = (
    "collect_wood", "place_table", "make_wood_pickaxe", "make_wood_sword", "collect_stone", "place_stone",
    "make_stone_pickaxe", "make_stone_sword", "collect_sapling", "place_plant", "place_furnace", "collect_drink",
    "eat_cow", "wake_up", "defeat_zombie", "collect_coal", "collect_iron", "make_iron_pickaxe",
    "make_iron_sword", "eat_plant", "defeat_skeleton", "collect_diamond",
)
LOOKAHEAD = 2  # a collect step gathers enough for this many later targets too
SEEN_FIRST = {"defeat_zombie": "zombie", "defeat_skeleton": "skeleton"}  # targets tried only when in view
THIRSTY, HUNGRY, TIRED = 4, 4, 3  # inventory levels (of 9) at or below which survival comes first
STARVING = 2  # at night, food at or below which the player hunts anyway
NIGHT = 0.5  # daylight below which zombies swarm the grass: sleep it out (sealed in, see the expert)
FULL_ENERGY = 9


def describe_with_threats(env: Any) -> dict[str, Any]:
    """The env's describe() plus `adjacent` (creatures one step from the player: they can hit it) and
    `daylight` (1 at noon, 0 at midnight)."""
    observation = env.describe()
    player = env.player
    _, objects = env.game_world.nearby(player.pos, 1)
    observation["adjacent"] = sorted({type(obj).__name__.lower() for obj in objects
                                      if obj is not player and player.distance(obj) <= 1})
    observation["daylight"] = float(env.game_world.daylight)
    return observation


def survival_needs(observation: dict[str, Any], slack: int = 0) -> list[Subgoal]:
    """What keeps the player alive, most urgent first: fight back, drink, eat, sleep (when tired or at night).
    `slack` raises the drink / food / energy levels that count (the chooser offers needs not yet critical)."""
    inventory = observation.get("inventory") or {}
    adjacent = set(observation.get("adjacent", ()))
    needs = [vocab.make_subgoal(f"defeat_{name}") for name in ("zombie", "skeleton") if name in adjacent]
    drink, energy = int(inventory.get("drink", 9)), int(inventory.get("energy", 9))
    if drink <= THIRSTY + slack:
        needs.append(vocab.make_subgoal("collect_drink", 9 - drink))
    food, night = int(inventory.get("food", 9)), float(observation.get("daylight", 1.0)) < NIGHT
    if (food <= HUNGRY + slack and not night) or food <= STARVING:
        needs.append(vocab.make_subgoal("eat_cow"))
    if energy <= TIRED + slack or night:
        needs.append(vocab.make_subgoal("wake_up"))
    return needs


def survival_subgoal(observation: dict[str, Any]) -> Subgoal | None:
    """What keeps the player alive now, if anything (the most urgent of `survival_needs`)."""
    needs = survival_needs(observation)
    return needs[0] if needs else None


def survival_for(env: Any) -> Subgoal | None:
    """`survival_subgoal` of the env's current state: the Crafter world's survival rule (World.survival), which
    `eval survival=true` runs before each planned subgoal of an instruction."""
    return survival_subgoal(describe_with_threats(env))


class CurriculumPlanner:
    """A planner (plan / replan, as planners.base.Planner) that always returns a one-subgoal plan."""

    name = "curriculum"
    wants_image = False

    def __init__(self, world: str = "crafter") -> None:
        self.world = world
        self.failures: dict[str, int] = defaultdict(int)
        self._target = ""  # the achievement the last plan worked towards ("" for survival)

    def reset(self) -> None:
        """A new episode: forget the failures."""
        self.failures.clear()
        self._target = ""

    def plan(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...] = ()) -> Plan:
        survival = survival_subgoal(observation)
        if survival is not None:
            self._target = ""
            return Plan(instruction, [survival], self.name, "survival first")
        for target, step in self.options(observation):
            return self.aim(instruction, target, step)
        self._target = ""
        return Plan(instruction, [], self.name, "every achievement is unlocked")

    def aim(self, instruction: str, target: str, step: Subgoal, planner: str = "", why: str = "") -> Plan:
        """The one-subgoal plan `step` towards achievement `target` ("" for survival), whose failures count."""
        self._target = target
        why = why or f"next achievement: {target.replace('_', ' ')}"
        return Plan(instruction, [step], planner or self.name, why)

    def replan(self, plan: Plan, feedback: Feedback, skills: tuple[Skill, ...] = ()) -> Plan:
        self.note(feedback)
        return self.plan(plan.instruction, feedback.observation, skills)

    def note(self, feedback: Feedback) -> None:
        """Count a failed subgoal against the achievement it worked towards (not one stopped for survival)."""
        if feedback.failed_subgoal is not None and self._target and not feedback.reason.startswith(PREEMPTED):
            self.failures[self._target] += 1

    def options(self, observation: dict[str, Any]) -> Iterator[tuple[str, Subgoal]]:
        """(achievement, first step of its plan from here) for each candidate the rules can plan for, in order:
        missing prerequisites are that first step ("collect 2 wood" towards "place table"); a collect step
        gathers enough for the next LOOKAHEAD plannable targets as well, when their joint plan starts with it."""
        plannable = []
        for target in self.candidates(observation):
            try:
                steps = RULES.expand([vocab.make_subgoal(target)], observation)
            except InvalidPlanError:
                continue
            if steps:
                plannable.append((target, steps[0]))
        for index, (target, first) in enumerate(plannable):
            later = [name for name, _ in plannable[index + 1: index + 1 + LOOKAHEAD]]
            if later and first.skill.startswith("collect_"):
                first = self._joint_first_step(first, [target, *later], observation)
            yield target, first

    @staticmethod
    def _joint_first_step(first: Subgoal, targets: list[str], observation: dict[str, Any]) -> Subgoal:
        """The first step of the joint plan for `targets` when it collects the same material as `first`."""
        try:
            joint = RULES.expand([vocab.make_subgoal(name) for name in targets], observation)
        except InvalidPlanError:
            return first
        return joint[0] if joint and joint[0].skill == first.skill else first

    def candidates(self, observation: dict[str, Any]) -> list[str]:
        """Achievements not unlocked yet that can be tried here, least-failed first, then in ORDER."""
        unlocked = {name for name, count in (observation.get("achievements") or {}).items() if count}
        seen = set(observation.get("creatures", ()))
        energy = int((observation.get("inventory") or {}).get("energy", FULL_ENERGY))
        names = [name for name in ORDER if name not in unlocked
                 and (name not in SEEN_FIRST or SEEN_FIRST[name] in seen)
                 and (name != "wake_up" or energy < FULL_ENERGY)]  # sleep only works below full energy
        return sorted(names, key=lambda name: (self.failures[name], ORDER.index(name)))
