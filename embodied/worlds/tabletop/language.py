"""Tabletop's language: instruction templates for recording (chains of 1-3 clauses, feasible from any reset)
and for scoring planners (other wordings, random start states), the rules and worked examples for prompts.

A clause only moves a block that is free (not stacked, not placed yet, nothing on it) and only stacks onto a
block with nothing on it, so no clause undoes an earlier one; recording and evaluation draw their clauses
through the same `_draw_clause`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embodied.types import InvalidPlanError
from embodied.worlds.language import Example, LanguageAssets, choose, eager
from embodied.worlds.tabletop.vocab import COLORS, REGIONS, make_subgoal

# --- recording --------------------------------------------------------------------------------------------
STACK = ("stack the {a} block on the {b} one", "put the {a} block on top of the {b} block",
         "place the {a} block on the {b} block", "stack {a} on {b}", "put the {a} block onto the {b} one")
PUSH = ("push the {a} block to the {r}", "push the {a} block to the {r} region",
        "slide the {a} block into the {r} region", "shove the {a} block to the {r} side")
PUT = ("put the {a} block in the {r} region", "place the {a} block in the {r} area",
       "move the {a} block into the {r} region")
PICK = ("pick up the {a} block", "lift the {a} block", "grab the {a} block")
PICK_AND = ("pick up the {a} block and put it on the {b} block",
            "grab the {a} block and place it on the {b} one",
            "pick up the {a} block and put it in the {r} region",
            "lift the {a} block, then open the gripper")
TOWER = ("build a tower of {a} on {b} on {c}", "stack {a} on {b} on {c}", "make a tower of {a} on {b} on {c}")
THEN = (", then ", " and then ", ", and then ", ". then ", " then ", ", after that ")


@dataclass
class _Table:
    """What earlier clauses did: blocks that must stay where they are and blocks with one on top."""

    fixed: set[str] = field(default_factory=set)
    covered: set[str] = field(default_factory=set)

    def free(self) -> list[str]:
        return [c for c in COLORS if c not in self.fixed and c not in self.covered]

    def tops(self) -> list[str]:
        return [c for c in COLORS if c not in self.covered]


def _draw_clause(rng: np.random.Generator, table: _Table, last: bool):
    """(kind, block, region, stacked-on block or None, blocks it could go on) of one clause over a free
    block ("pick" only as the `last`), updating `table`; None when nothing is left to move."""
    free = table.free()
    if not free:
        return None
    a, r = choose(rng, free), choose(rng, REGIONS)
    tops = [c for c in table.tops() if c != a]
    kind = choose(rng, ["push", "put"] + ["stack"] * 2 * bool(tops) + ["pick"] * last)
    b = None
    if kind == "stack":
        b = choose(rng, tops)
        table.fixed |= {a, b}
        table.covered.add(b)
    elif kind in ("push", "put"):
        table.fixed.add(a)
    return kind, a, r, b, tops


def sample_instruction(rng: np.random.Generator) -> str:
    """A feasible instruction of 1-3 clauses (a tower counts as one) joined by varied 'then's."""
    if rng.random() < 0.15:
        a, b, c = rng.permutation(COLORS)
        return choose(rng, TOWER).format(a=a, b=b, c=c)

    def write(kind: str, a: str, r: str, b: str | None, tops: list[str]) -> str:
        if kind == "stack":
            return choose(rng, STACK).format(a=a, b=b)
        if kind in ("push", "put"):
            return choose(rng, PUSH if kind == "push" else PUT).format(a=a, r=r)
        template = choose(rng, PICK + PICK_AND)
        b = choose(rng, tops) if tops else None
        return (PICK[0] if "{b}" in template and b is None else template).format(a=a, b=b, r=r)

    return _join(rng, _clauses(rng, _Table(), write), THEN)


def _clauses(rng: np.random.Generator, table: _Table, write) -> list[str]:
    """1-3 clauses (fewer when no block is left free), each worded by `write(kind, a, r, b, tops)`."""
    count, texts = int(rng.integers(1, 4)), []
    for index in range(count):
        drawn = _draw_clause(rng, table, last=index == count - 1)
        if drawn is None:
            break
        texts.append(write(*drawn))
    return texts


def _join(rng: np.random.Generator, clauses: list[str], joins: tuple[str, ...]) -> str:
    text = clauses[0]
    for clause in clauses[1:]:
        text += choose(rng, joins) + clause
    return text


# --- planner evaluation --------------------------------------------------------------------------------------
T_STACK = ("set the {a} block on top of the {b} block", "stack the {a} cube onto the {b} cube",
           "place {a} on top of {b}", "put the {a} cube on the {b} cube", "the {a} block goes on the {b} block",
           "move the {a} block onto the {b} block", "get the {a} block on top of the {b} block", "put {a} onto {b}",
           "rest the {a} block on the {b} block")
T_PUSH = ("nudge the {a} block over to the {r} region", "push the {a} cube toward the {r} side",
          "slide the {a} one over to the {r}", "shove {a} into the {r} zone", "push {a} to the {r} area",
          "nudge the {a} block into the {r} zone", "slide the {a} block along the table to the {r} region")
T_PUT = ("drop the {a} block in the {r} region", "set the {a} cube down in the {r} area",
         "carry the {a} block to the {r} zone", "lift the {a} block into the {r} region", "put {a} in the {r} zone",
         "place the {a} cube inside the {r} region", "move the {a} cube into the {r} area")
T_PICK = ("grasp the {a} block", "take hold of the {a} block", "pick the {a} cube up",
          "hold the {a} block in the gripper", "lift up the {a} cube", "grab {a}")
T_PICK_ON = ("grasp the {a} block and set it on the {b} block", "take the {a} cube and stack it on the {b} cube",
             "pick the {a} block up, then put it on top of the {b} one")
T_PICK_IN = ("grab the {a} cube and drop it in the {r} region", "take the {a} block and put it into the {r} zone")
T_PICK_OPEN = ("grasp the {a} block and then let go of it", "pick the {a} cube up and release it",
               "take the {a} block, then open the fingers")
T_TOWER = ("make a three-block tower of {a} on {b} on {c}", "pile the {a} block on the {b} block on the {c} block",
           "build a stack of {a} on {b} on {c}",
           "stack the three blocks with {c} at the bottom, {b} in the middle and {a} on top")
T_JOIN = (", then ", " and after that ", "; next ", ". afterwards ", ", and next ")


def _start(rng: np.random.Generator) -> dict[str, Any]:
    """A plausible tabletop start: blocks between the regions, maybe one stacked, one held, some in a region."""
    colors = [str(c) for c in rng.permutation(COLORS)]
    on: dict[str, str] = {}
    holding = None
    roll = rng.random()
    if roll < 0.2:
        on[colors[0]] = colors[1]
    elif roll < 0.3:
        holding = colors[0]
    regions = {c: choose(rng, REGIONS) for c in colors if c not in on and c != holding and rng.random() < 0.2}
    xy: dict[str, tuple[float, float]] = {}
    for color in colors:
        if color in regions:
            centre = -0.25 if regions[color] == "left" else 0.25
            xy[color] = (centre + rng.uniform(-0.05, 0.05), rng.uniform(-0.1, 0.1))
            continue
        while True:
            point = (float(rng.uniform(-0.11, 0.11)), float(rng.uniform(-0.13, 0.13)))
            if all(np.hypot(point[0] - x, point[1] - y) > 0.09 for x, y in xy.values()):
                xy[color] = point
                break
    return tabletop_state(on, regions, holding, xy)


def _case(rng: np.random.Generator) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """(paraphrase, canonical goal texts, start) for a chain where no clause undoes an earlier one."""
    start = _start(rng)
    stack = lambda a, b: make_subgoal("place_on", object=a, target=b).text  # noqa: E731
    if rng.random() < 0.15:
        a, b, c = (str(x) for x in rng.permutation(COLORS))
        return choose(rng, T_TOWER).format(a=a, b=b, c=c), (stack(b, c), stack(a, b)), start
    targets: list[str] = []

    def write(kind: str, a: str, r: str, b: str | None, tops: list[str]) -> str:
        if kind == "stack":
            targets.append(stack(a, b))
            return choose(rng, T_STACK).format(a=a, b=b)
        if kind in ("push", "put"):
            targets.append(make_subgoal("push_to" if kind == "push" else "place_in", object=a, region=r).text)
            return choose(rng, T_PUSH if kind == "push" else T_PUT).format(a=a, r=r)
        return _pick_clause(rng, a, r, tops, targets)

    texts = _clauses(rng, _Table(covered=set(start["on"].values())), write)
    text = _join(rng, texts, T_JOIN)
    if len(texts) > 1 and rng.random() < 0.25:
        text = "first " + text
    return text, tuple(targets), start


def _pick_clause(rng: np.random.Generator, a: str, r: str, tops: list[str], targets: list[str]) -> str:
    """A clause that picks `a` up (and maybe stacks, places or releases it); appends its goal texts."""
    pick = make_subgoal("pick_up", object=a).text
    which = choose(rng, ["pick", "pick"] + ["on"] * bool(tops) + ["in", "open"])
    if which == "pick":
        targets.append(pick)
        return choose(rng, T_PICK).format(a=a)
    if which == "on":
        b = choose(rng, tops)
        targets += [pick, make_subgoal("place_on", object=a, target=b).text]
        return choose(rng, T_PICK_ON).format(a=a, b=b)
    if which == "in":
        targets += [pick, make_subgoal("place_in", object=a, region=r).text]
        return choose(rng, T_PICK_IN).format(a=a, r=r)
    targets += [pick, "open the gripper"]
    return choose(rng, T_PICK_OPEN).format(a=a)


def _feasible(targets: tuple[str, ...], observation: dict[str, Any]) -> bool:
    """No goal is true at the start, the oracle plans them all (at most 12 subgoals) and at the end every
    placement still holds (no clause undid an earlier one)."""
    from embodied.worlds.tabletop.rules import TableState, TabletopRules, parse_instruction

    canonical = ", then ".join(targets)
    goals = parse_instruction(canonical)
    state = TableState.from_observation(observation)
    if any(state.holds(goal) for goal in goals):
        return False
    oracle = TabletopRules()
    try:
        plan = oracle.plan(canonical, observation).subgoals
        oracle.check(plan, observation, canonical)
    except InvalidPlanError:
        return False
    for subgoal in plan:
        state.apply(subgoal)
    placed = [goal for goal in goals if goal.skill in ("place_on", "place_in", "push_to")]
    return 0 < len(plan) <= 12 and all(state.holds(goal) for goal in placed)


# --- prompts -----------------------------------------------------------------------------------------
def tabletop_state(on: dict[str, str] | None = None, regions: dict[str, str] | None = None,
                   holding: str | None = None, xy: dict[str, tuple[float, float]] | None = None) -> dict[str, Any]:
    """A TabletopEnv.describe()-shaped dict: `on` top -> block below, `regions` block -> region (of blocks on
    the table), the held block; positions follow from `xy` (block -> table position; default a fixed layout
    between the regions, region centres for blocks in a region, the lower block's for stacked ones)."""
    on, regions = dict(on or {}), dict(regions or {})
    places = {"red": (-0.06, 0.08), "green": (0.05, -0.02), "blue": (-0.02, -0.1)}
    places.update({c: (-0.25 if r == "left" else 0.25, places[c][1] / 2) for c, r in regions.items()})
    places.update(xy or {})
    blocks: dict[str, list[float]] = {}
    where: dict[str, str | None] = {}
    for color in sorted(COLORS, key=lambda c: _height(on, c)):  # lower blocks first
        if color in on:
            places[color], where[color] = places[on[color]], where[on[color]]
        else:
            where[color] = regions.get(color)
        z = 0.52 if color == holding else 0.42 + 0.04 * _height(on, color)
        blocks[color] = [round(float(v), 3) for v in (*places[color], z)]
    return {
        "world": "tabletop",
        "blocks": {c: blocks[c] for c in COLORS},
        "on": on,
        "on_table": [c for c in COLORS if c not in on and c != holding],
        "regions": {c: None if c == holding else where[c] for c in COLORS},
        "holding": holding,
        "gripper_open": holding is None,
        "gripper": [*blocks[holding][:2], 0.52] if holding else [0.0, 0.0, 0.65],
    }


def _height(on: dict[str, str], color: str) -> int:
    height = 0
    while color in on and height < 3:
        color, height = on[color], height + 1
    return height


def _tabletop_summary(observation: dict[str, Any]) -> str:
    on, regions, holding = observation.get("on") or {}, observation.get("regions") or {}, observation.get("holding")
    parts = []
    for color in COLORS:
        if color == holding:
            where = "in the gripper"
        elif color in on:
            where = f"on the {on[color]} block"
        elif regions.get(color):
            where = f"on the table in the {regions[color]} region"
        else:
            where = "on the table, in no region"
        parts.append(f"{color} block {where}")
    hand = f"holding the {holding} block" if holding else "empty" + (
        "" if observation.get("gripper_open", True) else " and closed")
    return "; ".join(parts) + f"; gripper: {hand}"


LANGUAGE = LanguageAssets(
    record=sample_instruction,
    draft=eager(_case),
    feasible=_feasible,
    rules="\n".join([
        "pick up the <color> block: the gripper must be empty and no block on it",
        "place the <color> block on the <color> block: after picking it up; no block on the target",
        "place the <color> block in the <left|right> region: after picking it up (lifts it there)",
        "push the <color> block to the <left|right> region: the gripper empty, the block on the table, no block on "
        "it (no pick up first)",
        "open the gripper: drops the held block",
        "a block in the way is first picked up and placed in a region; a held block is placed in a region before "
        "the gripper picks another; towers are built bottom-up",
    ]),
    examples=(
        Example("stack the red block on the blue block", {}, (),
                ("pick up the red block", "place the red block on the blue block"), tabletop_state()),
        Example("push the green block to the left region", {}, (), ("push the green block to the left region",),
                tabletop_state()),
        Example("put the blue block in the right region", {}, (),
                ("pick up the blue block", "place the blue block in the right region"), tabletop_state()),
        Example("pick up the green block", {}, (),
                ("place the red block in the left region", "pick up the green block"), tabletop_state(holding="red")),
        Example("put the green block on the red block", {}, (),
                ("pick up the blue block", "place the blue block in the left region", "pick up the green block",
                 "place the green block on the red block"), tabletop_state(on={"blue": "red"})),
        Example("build a tower of blue on red on green", {}, (),
                ("pick up the red block", "place the red block on the green block", "pick up the blue block",
                 "place the blue block on the red block"), tabletop_state()),
        Example("push the red block to the right region", {}, (),
                ("pick up the red block", "place the red block in the right region"),
                tabletop_state(on={"red": "green"})),
        Example("place the green block on the blue block, then push the red block to the left region", {}, (),
                ("pick up the green block", "place the green block on the blue block",
                 "push the red block to the left region"), tabletop_state(regions={"blue": "right"})),
        Example("pick up the blue block and open the gripper", {}, (),
                ("pick up the blue block", "open the gripper"), tabletop_state()),
        Example("put the red block on the green block", {}, (), ("place the red block on the green block",),
                tabletop_state(holding="red")),
        Example("push the blue block to the left region, then put the green block in the right region", {}, (),
                ("push the blue block to the left region", "pick up the green block",
                 "place the green block in the right region"), tabletop_state(regions={"red": "left"})),
        Example("stack the green block on the red block, then stack the blue block on it", {}, (),
                ("pick up the green block", "place the green block on the red block", "pick up the blue block",
                 "place the blue block on the green block"), tabletop_state(regions={"red": "right"})),
    ),
    hidden=frozenset({"blocks", "gripper", "on_table"}),
    summary=_tabletop_summary,
    skip="Skip what is already true in the state.",
)
