"""Vocabulary of the tabletop world: canonical texts <-> Subgoals for its five skills.

Shared by the env (`parse`), its expert and the symbolic planner, so all build the same Subgoal objects.
Canonical texts: "pick up the red block", "place the red block on the blue block", "place the red block
in the left region", "push the green block to the right region", "open the gripper".
"""

from __future__ import annotations

import re

from embodied.types import Skill, Subgoal, UnknownSubgoalError
from embodied.worlds.base import Vocabulary

COLORS = ("red", "green", "blue")
REGIONS = ("left", "right")
SKILLS = (
    Skill("pick_up", ("object",), "pick up the <color> block"),
    Skill("place_on", ("object", "target"), "place the <color> block on the <color> block"),
    Skill("place_in", ("object", "region"), "place the <color> block in the <left|right> region"),
    Skill("push_to", ("object", "region"), "push the <color> block to the <left|right> region"),
    Skill("open_gripper", (), "open the gripper"),
)
_PARAMS = {skill.name: skill.params for skill in SKILLS}
COLOR_PATTERN = "(red|green|blue)"
BLOCK_PATTERN = rf"(?:the )?{COLOR_PATTERN}(?: block| one| cube)?"  # "the red block", "red", "the blue one"
REGION_PATTERN = r"(?:the )?(left|right)(?: region| side| area| zone)?"
PICK_VERBS = r"(?:pick up|pick|grasp|grab|lift|take)"
PLACE_VERBS = r"(?:place|put|stack|set|drop|move)"
PUSH_VERBS = r"(?:push|slide|shove|nudge|move)"
_PATTERNS = (
    (re.compile(rf"^{PICK_VERBS} {BLOCK_PATTERN}(?: up)?$"), "pick_up"),
    (re.compile(rf"^{PLACE_VERBS} {BLOCK_PATTERN} (?:on|onto)(?: top of)? {BLOCK_PATTERN}$"), "place_on"),
    (re.compile(rf"^{PLACE_VERBS} {BLOCK_PATTERN} (?:in|into|inside|on|onto) {REGION_PATTERN}$"), "place_in"),
    (re.compile(rf"^{PUSH_VERBS} {BLOCK_PATTERN} (?:in)?to(?:wards)? {REGION_PATTERN}$"), "push_to"),
    (re.compile(r"^(?:open|release) (?:the )?(?:gripper|fingers|hand)$"), "open_gripper"),
)


def make_subgoal(skill: str, **args: str) -> Subgoal:
    """Canonical Subgoal (text included) for a skill and its arguments; checks colours and regions."""
    if skill not in _PARAMS:
        raise UnknownSubgoalError(f"unknown tabletop skill {skill!r}; expected one of {list(_PARAMS)}")
    if set(args) != set(_PARAMS[skill]):
        raise UnknownSubgoalError(f"tabletop skill {skill!r} takes {_PARAMS[skill]}, got {sorted(args)}")
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
    elif skill == "place_in":
        text = f"place the {args['object']} block in the {args['region']} region"
    elif skill == "push_to":
        text = f"push the {args['object']} block to the {args['region']} region"
    else:
        text = "open the gripper"
    return Subgoal(skill, tuple(sorted(args.items())), text)


def normalise(text: str) -> str:
    """Lower case, punctuation and underscores to spaces, single spaces."""
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower().replace("_", " ")).split())


def match(text: str) -> Subgoal | None:
    """Subgoal for one normalised clause in canonical or variant wording, or None."""
    for pattern, skill in _PATTERNS:
        found = pattern.match(text)
        if found:
            return make_subgoal(skill, **dict(zip(_PARAMS[skill], found.groups(), strict=True)))
    return None


def parse(subgoal: str | Subgoal) -> Subgoal:
    """Subgoal from canonical text (or close variants) or a Subgoal; raises UnknownSubgoalError."""
    if isinstance(subgoal, Subgoal):
        return make_subgoal(subgoal.skill, **subgoal.kwargs)
    found = match(normalise(str(subgoal)))
    if found is None:
        raise UnknownSubgoalError(
            f"unknown tabletop subgoal {subgoal!r}; expected one of the skills: "
            + "; ".join(repr(s.description) for s in SKILLS)
        )
    return found


GOAL_TEXTS: tuple[str, ...] = tuple(
    [make_subgoal("pick_up", object=c).text for c in COLORS]
    + [make_subgoal("place_on", object=a, target=b).text for a in COLORS for b in COLORS if a != b]
    + [make_subgoal("place_in", object=c, region=r).text for c in COLORS for r in REGIONS]
    + [make_subgoal("push_to", object=c, region=r).text for c in COLORS for r in REGIONS]
    + ["open the gripper"]
)
PLAN_TEXTS = GOAL_TEXTS

VOCABULARY = Vocabulary("tabletop", SKILLS, GOAL_TEXTS, parse, PLAN_TEXTS)
