"""Rules of the tabletop world (its knowledge graph): instruction -> goals -> pick / place / push / open subgoals.

"stack the red block on the blue one" -> [pick up the red block, place the red block on the blue block];
"push the green block to the left" -> [push the green block to the left region]; clauses chained with
"then" / "and" / commas run in the order written; "build a tower of red on green on blue" stacks bottom-up
(green on blue, then red on green); "it" refers to the block of the previous clause. The plan is simulated
on a symbolic copy of the observation (TabletopEnv.describe()): goals already true are skipped, blocks in
the way are first moved to a region, a held block is put down before the hand is needed for another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from embodied.types import InvalidPlanError, Plan, Skill, Subgoal
from embodied.worlds.rules import Rules
from embodied.worlds.tabletop.vocab import COLORS, REGIONS, make_subgoal, match

_SEPARATORS = re.compile(r"\s*(?:,|;|\.|\band then\b|\bthen\b|\band\b|\bafter that\b|\bafterwards\b"
                         r"|\bnext\b)\s*")
_FILLER = re.compile(r"^(?:please |first |finally |now |also )+")
_PRONOUN = re.compile(r"\b(?:it|that block|that one|this block|this one)\b")
_STACK_VERB = re.compile(r"^(?:build|make|create|form|stack|put|place|set) (?:a |the )?(?:tower |stack )?"
                         r"(?:of |with |from |using )?(.+)$")
_BLOCK = re.compile(r"^(?:the )?(red|green|blue)(?: block| one| cube)?$")
_ON = re.compile(r" on (?:top of )?")
_VERBS = {"pick", "grasp", "grab", "lift", "take", "place", "put", "stack", "set", "drop", "move", "push",
          "slide", "shove", "nudge", "open", "release", "build", "make", "create", "form"}
_NOT_COLOURS = {"the", "a", "an", "that", "this", "each", "every", "other", "one", "same", "top", "tower"}


@dataclass
class TableState:
    """Symbolic tabletop state: what is on what, each block's region, the held block, the gripper."""

    on: dict[str, str] = field(default_factory=dict)  # top -> block below
    regions: dict[str, str | None] = field(default_factory=dict)
    holding: str | None = None
    gripper_open: bool = True

    @classmethod
    def from_observation(cls, observation: dict[str, Any]) -> TableState:
        on = {k: v for k, v in (observation.get("on") or {}).items() if k in COLORS and v in COLORS}
        regions = {c: (observation.get("regions") or {}).get(c) for c in COLORS}
        holding = observation.get("holding")
        return cls(on, regions, holding if holding in COLORS else None,
                   bool(observation.get("gripper_open", holding is None)))

    def above(self, color: str) -> list[str]:
        """Blocks stacked on `color`, top first."""
        chain, below = [], color
        while (top := next((t for t, b in self.on.items() if b == below), None)) is not None:
            chain.append(top)
            below = top
        return chain[::-1]

    def on_table(self, color: str) -> bool:
        return color not in self.on and self.holding != color

    def holds(self, goal: Subgoal) -> bool:
        """Whether a goal subgoal is true in this state."""
        skill, args = goal.skill, goal.kwargs
        if skill == "open_gripper":
            return self.gripper_open and self.holding is None
        color = args["object"]
        if skill == "pick_up":
            return self.holding == color
        if skill == "place_on":
            return self.on.get(color) == args["target"] and self.holding != color
        return self.regions.get(color) == args["region"] and self.on_table(color)

    def apply(self, subgoal: Subgoal) -> None:
        """Effects of a subgoal; raises InvalidPlanError when its preconditions do not hold."""
        skill, args = subgoal.skill, subgoal.kwargs
        problem = self._precondition(subgoal)
        if problem:
            raise InvalidPlanError(f"{subgoal.text!r} cannot run here: {problem}")
        if skill == "open_gripper":
            if self.holding is not None:
                self.regions[self.holding] = None  # dropped: where it lands is unknown
            self.holding, self.gripper_open = None, True
            return
        color = args["object"]
        if skill == "pick_up":
            self.on.pop(color, None)
            self.regions[color], self.holding, self.gripper_open = None, color, False
        elif skill == "place_on":
            self.on[color], self.regions[color] = args["target"], self.regions.get(args["target"])
            self.holding, self.gripper_open = None, True
        else:  # place_in, push_to
            self.regions[color] = args["region"]
            if skill == "place_in":
                self.holding, self.gripper_open = None, True

    def _precondition(self, subgoal: Subgoal) -> str:
        skill, args = subgoal.skill, subgoal.kwargs
        color = args.get("object")
        if skill == "pick_up" and self.holding not in (None, color):
            return f"the gripper holds the {self.holding} block"
        if skill in ("pick_up", "push_to") and self.above(color) and self.holding != color:
            return f"the {self.above(color)[-1]} block is on the {color} block"
        if skill in ("place_on", "place_in") and self.holding != color:
            return f"the gripper does not hold the {color} block (pick it up first)"
        if skill == "place_on" and self.above(args["target"]):
            return f"the {self.above(args['target'])[-1]} block is on the {args['target']} block"
        if skill == "push_to" and not self.on_table(color):
            return f"the {color} block is not on the table (place it in the region instead)"
        if skill == "push_to" and self.holding is not None:
            return f"the gripper holds the {self.holding} block"
        return ""


class TabletopRules(Rules):
    """Instruction -> tabletop subgoals (see the module docstring); InvalidPlanError if not understood."""

    def parse(self, instruction: str) -> list[Subgoal]:
        return parse_instruction(instruction)

    def expand(self, goals: list[Subgoal], observation: dict[str, Any]) -> list[Subgoal]:
        return self._expand(goals, observation)[0]

    def _expand(self, goals: list[Subgoal], observation: dict[str, Any]) -> tuple[list[Subgoal], list[str]]:
        """(steps, goals already true on the way)."""
        state = TableState.from_observation(observation)
        subgoals, skipped = [], []
        for goal in goals:
            steps = achieve(state, goal)
            subgoals.extend(steps)
            if not steps:
                skipped.append(goal.text)
        return subgoals, skipped

    def plan(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...] = ()) -> Plan:
        subgoals, skipped = self._expand(self.parse(instruction), observation)
        allowed = {skill.name for skill in skills}
        missing = sorted({s.skill for s in subgoals} - allowed) if allowed else []
        if missing:
            raise InvalidPlanError(f"tabletop planner: no skill {missing} among {sorted(allowed)}")
        explanation = f"already true: {', '.join(skipped)}" if skipped else ""
        return Plan(instruction, subgoals, "symbolic", explanation)

    def check(self, subgoals: list[Subgoal], observation: dict[str, Any], instruction: str = "") -> None:
        """Raise InvalidPlanError if a subgoal's preconditions fail in order, or (given `instruction`) a goal
        it names is never true along the plan."""
        state = TableState.from_observation(observation)
        goals = parse_instruction(instruction) if instruction else []
        reached = {goal.text for goal in goals if state.holds(goal)}
        for number, subgoal in enumerate(subgoals, 1):
            try:
                state.apply(subgoal)
            except InvalidPlanError as error:
                raise InvalidPlanError(f"subgoal {number} {error}") from None
            reached |= {goal.text for goal in goals if state.holds(goal)}
        for goal in goals:
            if goal.text not in reached:
                raise InvalidPlanError(f"plan never does {goal.text!r}")


def achieve(state: TableState, goal: Subgoal) -> list[Subgoal]:
    """Subgoals that make `goal` true from `state` (updated as they run); [] when already true."""
    if state.holds(goal):
        return []
    skill, args = goal.skill, goal.kwargs
    if skill == "open_gripper":
        return _run(state, [goal])
    color = args["object"]
    steps: list[Subgoal] = []
    if skill == "place_on" and state.above(args["target"]):
        steps += _free_hand(state) + _clear(state, args["target"])
    if skill == "push_to" and (state.holding == color or not state.on_table(color)):
        goal = make_subgoal("place_in", object=color, region=args["region"])  # lift it there instead
        skill = "place_in"
    if state.holding != color:
        steps += _free_hand(state) + _clear(state, color)
        if skill != "push_to":
            steps += _run(state, [make_subgoal("pick_up", object=color)])
    if skill != "pick_up":
        steps += _run(state, [goal])
    return steps


def _run(state: TableState, subgoals: list[Subgoal]) -> list[Subgoal]:
    for subgoal in subgoals:
        state.apply(subgoal)
    return subgoals


def _spare_region(state: TableState) -> str:
    """The region with the fewest blocks in it (left on ties)."""
    return min(REGIONS, key=lambda r: sum(region == r for region in state.regions.values()))


def _free_hand(state: TableState) -> list[Subgoal]:
    if state.holding is None:
        return []
    return _run(state, [make_subgoal("place_in", object=state.holding, region=_spare_region(state))])


def _clear(state: TableState, color: str) -> list[Subgoal]:
    """Move every block above `color` (top first) to a region."""
    steps: list[Subgoal] = []
    for top in state.above(color):
        steps += _run(state, [make_subgoal("pick_up", object=top),
                              make_subgoal("place_in", object=top, region=_spare_region(state))])
    return steps


def parse_instruction(instruction: str) -> list[Subgoal]:
    """Goal subgoals an instruction asks for, in execution order (towers bottom-up); InvalidPlanError if a
    clause is not understood."""
    text = " ".join(re.sub(r"[^a-z0-9 ,;.]", " ", instruction.lower().replace("_", " ")).split())
    clauses = [c for c in _SEPARATORS.split(text) if c]
    if not clauses:
        raise InvalidPlanError("tabletop planner got an empty instruction")
    goals: list[Subgoal] = []
    last: str | None = None
    for raw in clauses:
        clause = _FILLER.sub("", raw)
        if last is not None:
            clause = _PRONOUN.sub(f"the {last} block", clause)
        found = _clause_goals(clause)
        if found is None:
            raise InvalidPlanError(f"tabletop planner does not understand {raw!r} in {instruction!r}: "
                                   f"{_what_is_unknown(clause)}")
        goals.extend(found)
        objects = [g.arg("object") for g in found if g.arg("object")]
        last = objects[-1] if objects else last
    return goals


def _clause_goals(clause: str) -> list[Subgoal] | None:
    stack = _STACK_VERB.match(clause)
    if stack:
        parts = _ON.split(stack.group(1))
        colors = [m.group(1) for p in parts if (m := _BLOCK.match(p))]
        if len(parts) >= 2 and len(colors) == len(parts):
            if len(set(colors)) != len(colors):
                raise InvalidPlanError(f"tabletop planner: {clause!r} stacks a block on itself")
            pairs = list(zip(colors[:-1], colors[1:], strict=True))[::-1]  # bottom-up
            return [make_subgoal("place_on", object=top, target=below) for top, below in pairs]
    found = match(clause)
    if found is None and " region" not in clause and re.search(r"\b(?:left|right)$", clause):
        found = match(clause + " region")
    return None if found is None else [found]


def _what_is_unknown(clause: str) -> str:
    words = clause.split()
    for word in re.findall(r"(\w+) (?:block|blocks|cube|cubes)\b", clause):
        if word not in COLORS and word not in _NOT_COLOURS:
            return f"unknown colour {word!r} (known: {', '.join(COLORS)})"
    for word in re.findall(r"(\w+) (?:region|side|area|zone)\b", clause):
        if word not in REGIONS and word not in _NOT_COLOURS:
            return f"unknown region {word!r} (known: {', '.join(REGIONS)})"
    if words and words[0] not in _VERBS:
        return f"unknown verb {words[0]!r} (known: pick up, place/put/stack ... on, place ... in, push, open)"
    return ("say e.g. 'stack the red block on the blue one', 'push the green block to the left', "
            "'put the red block in the right region', 'pick up the red block', 'open the gripper'")


RULES = TabletopRules()
