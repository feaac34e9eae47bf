"""Vocabulary of the tabletop world: texts <-> Subgoals for pick, place-on, push-to-region, open."""

from __future__ import annotations

import re

from embodied.types import Skill, Subgoal, UnknownSubgoalError

COLORS = ("red", "green", "blue")
REGIONS = ("left", "right")
SKILLS = (
    Skill("pick_up", ("object",), "pick up the <color> block"),
    Skill("place_on", ("object", "target"), "place the <color> block on the <color> block"),
    Skill("push_to", ("object", "region"), "push the <color> block to the <left|right> region"),
    Skill("open_gripper", (), "open the gripper"),
)
COLOR_PATTERN = "(red|green|blue)"
BLOCK_PATTERN = rf"(?:the )?{COLOR_PATTERN}(?: block| one)?"  # "the red block", "red", "the blue one"
STACK_PATTERN = rf"^(?:place|put|stack|set) {BLOCK_PATTERN} on(?: top of)? {BLOCK_PATTERN}$"
_PATTERNS = (
    (re.compile(rf"^(?:pick up|grasp|lift) {BLOCK_PATTERN}$"), "pick_up"),
    (re.compile(STACK_PATTERN), "place_on"),
    (re.compile(rf"^(?:push|slide|move) {BLOCK_PATTERN} (?:in)?to (?:the )?(left|right)(?: region| side)?$"),
     "push_to"),
    (re.compile(r"^(?:open|release) (?:the )?gripper$"), "open_gripper"),
)


def make_subgoal(skill: str, **args: str) -> Subgoal:
    """Canonical Subgoal (text included) for a skill and its arguments; checks colours and regions."""
    for name in ("object", "target"):
        if name in args and args[name] not in COLORS:
            raise UnknownSubgoalError(f"unknown block colour {args[name]!r}; expected one of {COLORS}")
    if "region" in args and args["region"] not in REGIONS:
        raise UnknownSubgoalError(f"unknown region {args['region']!r}; expected one of {REGIONS}")
    if skill == "pick_up":
        text = f"pick up the {args['object']} block"
    elif skill == "place_on":
        if args["object"] == args["target"]:
            raise UnknownSubgoalError(f"cannot place the {args['object']} block on itself")
        text = f"place the {args['object']} block on the {args['target']} block"
    elif skill == "push_to":
        text = f"push the {args['object']} block to the {args['region']} region"
    elif skill == "open_gripper":
        text = "open the gripper"
    else:
        raise UnknownSubgoalError(f"unknown tabletop skill {skill!r}; expected one of {[s.name for s in SKILLS]}")
    return Subgoal(skill, tuple(sorted(args.items())), text)


def parse(subgoal: str | Subgoal) -> Subgoal:
    """Subgoal from canonical text (or close variants) or a Subgoal; raises UnknownSubgoalError."""
    if isinstance(subgoal, Subgoal):
        return make_subgoal(subgoal.skill, **subgoal.kwargs)
    text = " ".join(str(subgoal).lower().replace(".", " ").split())
    for pattern, skill in _PATTERNS:
        match = pattern.match(text)
        if match:
            names = {"pick_up": ("object",), "place_on": ("object", "target"), "push_to": ("object", "region"),
                     "open_gripper": ()}[skill]
            return make_subgoal(skill, **dict(zip(names, match.groups(), strict=True)))
    raise UnknownSubgoalError(
        f"unknown tabletop subgoal {subgoal!r}; expected e.g. " + "; ".join(repr(s.description) for s in SKILLS)
    )


GOAL_TEXTS: tuple[str, ...] = tuple(
    [make_subgoal("pick_up", object=c).text for c in COLORS]
    + [make_subgoal("place_on", object=a, target=b).text for a in COLORS for b in COLORS if a != b]
    + [make_subgoal("push_to", object=c, region=r).text for c in COLORS for r in REGIONS]
    + ["open the gripper"]
)
