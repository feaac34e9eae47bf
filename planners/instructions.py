"""Seeded instruction generator for scoring planners: templates with paraphrases, random start states.

Each case carries the paraphrased instruction, its canonical targets (which the symbolic oracle plans
for, so the ground truth never depends on the oracle understanding the paraphrase) and a start
observation. The few-shot examples' instructions (planners/prompts.py) are never generated.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import numpy as np

from planners.prompts import PROMPTS, kitchen_state, tabletop_state

TOOLS = ("wood pickaxe", "stone pickaxe", "iron pickaxe", "wood sword", "stone sword", "iron sword")
MATERIALS = ("wood", "stone", "coal", "iron", "diamond", "sapling")
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}
MAKE = ("make a {x}", "craft a {x}", "build a {x}", "create a {x}", "I need a {x}", "get me a {x}",
        "please make a {x}", "can you craft a {x}", "obtain a {x}", "your goal is a {x}")
PLACE = {
    "table": ("place a table", "put down a table", "set up a crafting table", "build a table", "place a table here"),
    "furnace": ("place a furnace", "put down a furnace", "build a furnace", "set up a furnace"),
    "plant": ("place a plant", "plant a sapling", "put a sapling in the ground"),
    "stone": ("place a stone", "put down a stone block", "place stone"),
}
COLLECT_ONE = ("collect {x}", "gather some {x}", "get {x}", "collect one {x}", "fetch some {x}")
COLLECT_MANY = ("collect {n} {x}", "gather {n} {x}", "get {n} {x}", "bring me {n} {x}", "collect {w} {x}",
                "gather {w} {x}")
MINED = ("mine {n} {x}", "dig up {n} {x}")  # stone, coal, iron, diamond
CHOPPED = ("chop {n} wood", "cut {n} wood from trees")
OTHER = {
    "collect drink": ("drink water", "drink some water", "have a drink", "quench your thirst"),
    "eat cow": ("eat a cow", "hunt a cow and eat it", "eat some beef"),
    "defeat zombie": ("defeat a zombie", "kill a zombie", "fight off a zombie"),
    "defeat skeleton": ("defeat a skeleton", "kill a skeleton"),
    "wake up": ("sleep and wake up", "go to sleep until you wake up", "take a nap"),
    "eat plant": ("eat a plant", "grow a sapling and eat it"),
}
CHAINS = ("{a}, then {b}", "{a} and then {b}", "first {a}, then {b}", "{a}; after that {b}")
# A drawn case before its start state: (instruction, canonical targets, draws the start observation)
Draft = tuple[str, tuple[str, ...], Callable[[], dict[str, Any]]]


@dataclass(frozen=True)
class InstructionCase:
    """A generated instruction with its canonical targets and the start observation."""

    instruction: str
    targets: tuple[str, ...]
    observation: dict[str, Any]

    @property
    def canonical(self) -> str:
        """The targets as an instruction every symbolic planner reads ("collect 3 wood, then place table")."""
        return ", then ".join(self.targets)


def generate(n: int, seed: int = 0, world: str = "crafter") -> list[InstructionCase]:
    """`n` cases with distinct instruction texts (none of them a few-shot example's)."""
    rng = np.random.default_rng(seed)
    seen = {example.instruction for prompt in PROMPTS.values() for example in prompt.examples}
    cases: dict[str, InstructionCase] = {}
    for _ in range(200 * n):
        if len(cases) >= n:
            break
        case = sample_case(rng, world, skip=seen)
        if case is not None:
            cases[case.instruction] = case
            seen.add(case.instruction)
    if len(cases) < n:
        raise ValueError(f"the {world} templates give only {len(cases)} distinct instructions, fewer than n={n}")
    return list(cases.values())


def _crafter_instruction(rng: np.random.Generator) -> tuple[str, tuple[str, ...]] | None:
    """(paraphrased instruction, canonical targets) of 1-2 targets; None for a chain that repeats its target."""
    parts = [_target(rng) for _ in range(1 if rng.random() < 0.75 else 2)]
    if len(parts) == 2 and parts[0][1] == parts[1][1]:
        return None
    text = parts[0][0] if len(parts) == 1 else str(rng.choice(CHAINS)).format(a=parts[0][0], b=parts[1][0])
    return text, tuple(target for _, target in parts)


def _crafter_draft(rng: np.random.Generator) -> Draft | None:
    drawn = _crafter_instruction(rng)
    return None if drawn is None else (*drawn, lambda: _observation(rng))


def _target(rng: np.random.Generator) -> tuple[str, str]:
    """(paraphrase, canonical target text) for one target."""
    kind = rng.choice(["make", "place", "collect", "other"], p=[0.35, 0.2, 0.3, 0.15])
    if kind == "make":
        tool = str(rng.choice(TOOLS))
        return str(rng.choice(MAKE)).format(x=tool), f"make {tool}"
    if kind == "place":
        station = str(rng.choice(list(PLACE)))
        return str(rng.choice(PLACE[station])), f"place {station}"
    if kind == "other":
        target = str(rng.choice(list(OTHER)))
        return str(rng.choice(OTHER[target])), target
    item = str(rng.choice(MATERIALS))
    count = int(rng.choice([1, 1, 2, 3, 4, 5]))
    if count == 1:
        return str(rng.choice(COLLECT_ONE)).format(x=item), f"collect {item}"
    templates = COLLECT_MANY + (MINED if item in ("stone", "coal", "iron", "diamond") else ()) + (
        CHOPPED if item == "wood" else ())
    text = str(rng.choice(templates)).format(n=count, w=NUMBER_WORDS[count], x=item)
    return text, f"collect {count} {item}"


def _observation(rng: np.random.Generator) -> dict[str, Any]:
    """A random but plausible start: a few materials and tools, some things in view."""
    odds = {"wood": (0.5, 4), "stone": (0.3, 3), "coal": (0.2, 2), "iron": (0.1, 1), "sapling": (0.2, 1),
            "wood_pickaxe": (0.3, 1), "stone_pickaxe": (0.1, 1), "wood_sword": (0.1, 1)}
    inventory = {item: int(rng.integers(1, most + 1)) for item, (p, most) in odds.items() if rng.random() < p}
    nearby = sorted({"grass"} | {str(x) for x in rng.choice(["tree", "stone", "water", "sand", "coal"],
                                                             size=int(rng.integers(0, 3)), replace=False)})
    if rng.random() < 0.2:
        nearby = sorted([*nearby, "table"] + (["furnace"] if rng.random() < 0.3 else []))
    return {"world": "crafter", "inventory": inventory, "nearby": nearby}


# --- tabletop: chains of 1-3 clauses over three blocks (wordings unlike the recorder's and the examples') ----
BLOCKS = ("red", "green", "blue")
REGIONS = ("left", "right")
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


def _choose(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return str(options[int(rng.integers(len(options)))])


def _tabletop_start(rng: np.random.Generator) -> dict[str, Any]:
    """A plausible tabletop start: blocks between the regions, maybe one stacked, one held, some in a region."""
    colors = [str(c) for c in rng.permutation(BLOCKS)]
    on: dict[str, str] = {}
    holding = None
    roll = rng.random()
    if roll < 0.2:
        on[colors[0]] = colors[1]
    elif roll < 0.3:
        holding = colors[0]
    regions = {c: _choose(rng, REGIONS) for c in colors if c not in on and c != holding and rng.random() < 0.2}
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


def _tabletop_case(rng: np.random.Generator) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """(paraphrase, canonical goal texts, start) for a chain where no clause undoes an earlier one."""
    from embodied.envs.mujoco.tabletop_vocab import make_subgoal

    start = _tabletop_start(rng)
    stack = lambda a, b: make_subgoal("place_on", object=a, target=b).text  # noqa: E731
    if rng.random() < 0.15:
        a, b, c = (str(x) for x in rng.permutation(BLOCKS))
        return _choose(rng, T_TOWER).format(a=a, b=b, c=c), (stack(b, c), stack(a, b)), start
    covered = set(start["on"].values())
    fixed: set[str] = set()
    texts: list[str] = []
    targets: list[str] = []
    count = int(rng.integers(1, 4))
    for index in range(count):
        free = [c for c in BLOCKS if c not in fixed and c not in covered]
        if not free:
            break
        a, r = _choose(rng, free), _choose(rng, REGIONS)
        tops = [c for c in BLOCKS if c not in covered and c != a]
        kinds = ["push", "put"] + ["stack"] * 2 * bool(tops) + ["pick"] * (index == count - 1)
        kind = _choose(rng, kinds)
        if kind == "stack":
            b = _choose(rng, tops)
            fixed |= {a, b}
            covered.add(b)
            texts.append(_choose(rng, T_STACK).format(a=a, b=b))
            targets.append(stack(a, b))
        elif kind in ("push", "put"):
            fixed.add(a)
            texts.append(_choose(rng, T_PUSH if kind == "push" else T_PUT).format(a=a, r=r))
            targets.append(make_subgoal("push_to" if kind == "push" else "place_in", object=a, region=r).text)
        else:
            pick = make_subgoal("pick_up", object=a).text
            which = _choose(rng, ["pick", "pick"] + ["on"] * bool(tops) + ["in", "open"])
            if which == "pick":
                texts.append(_choose(rng, T_PICK).format(a=a))
                targets.append(pick)
            elif which == "on":
                b = _choose(rng, tops)
                texts.append(_choose(rng, T_PICK_ON).format(a=a, b=b))
                targets += [pick, stack(a, b)]
            elif which == "in":
                texts.append(_choose(rng, T_PICK_IN).format(a=a, r=r))
                targets += [pick, make_subgoal("place_in", object=a, region=r).text]
            else:
                texts.append(_choose(rng, T_PICK_OPEN).format(a=a))
                targets += [pick, "open the gripper"]
    text = texts[0]
    for clause in texts[1:]:
        text += _choose(rng, T_JOIN) + clause
    if len(texts) > 1 and rng.random() < 0.25:
        text = "first " + text
    return text, tuple(targets), start


def _tabletop_feasible(targets: tuple[str, ...], observation: dict[str, Any]) -> bool:
    """No goal is true at the start, the oracle plans them all (at most 12 subgoals) and at the end every
    placement still holds (no clause undid an earlier one)."""
    from embodied.types import InvalidPlanError
    from planners.symbolic.tabletop import TableState, TabletopPlanner, parse_instruction

    canonical = ", then ".join(targets)
    goals = parse_instruction(canonical)
    state = TableState.from_observation(observation)
    if any(state.holds(goal) for goal in goals):
        return False
    oracle = TabletopPlanner()
    try:
        plan = oracle.plan(canonical, observation).subgoals
        oracle.check(plan, observation, canonical)
    except InvalidPlanError:
        return False
    for subgoal in plan:
        state.apply(subgoal)
    placed = [goal for goal in goals if goal.skill in ("place_on", "place_in", "push_to")]
    return 0 < len(plan) <= 12 and all(state.holds(goal) for goal in placed)


# --- kitchen: chains of 1-3 of the seven FrankaKitchen tasks, some maybe already done -----------------------
K_TASKS = {
    "microwave": ("pull the microwave door open", "open up the microwave", "swing the microwave door open",
                  "get the microwave open", "pop the microwave open"),
    "kettle": ("shift the kettle", "slide the kettle over", "reposition the kettle", "move the teapot",
               "carry the kettle to its new spot"),
    "light switch": ("turn on the light", "switch the lights on", "flip the light switch", "turn the lamp on",
                     "flick the switch on"),
    "slide cabinet": ("slide the cabinet door open", "open the sliding cabinet", "slide open the sliding door",
                      "pull the sliding cupboard open", "open the slider"),
    "hinge cabinet": ("open the hinged cabinet", "swing open the hinged door", "open the hinged cupboard",
                      "pull the hinge door open", "swing the hinged cabinet open"),
    "bottom burner": ("turn on the lower burner", "switch on the bottom stove", "turn the bottom knob",
                      "ignite the lower burner", "turn the lower knob on"),
    "top burner": ("turn on the upper burner", "switch on the top stove", "turn the top knob",
                   "fire up the upper burner", "turn the top burner on"),
}
K_TWO = ("{a}, then {b}", "first {a}, then {b}", "{a} and after that {b}", "{a}; next {b}", "{a}. afterwards {b}")
K_AFTER = "{b} after you {a}"  # does {a} first
K_THREE = ("{a}, {b}, and finally {c}", "{a}, then {b}, then {c}", "first {a}, next {b}, and last {c}",
           "{a}; {b}; {c}")


def _kitchen_case(rng: np.random.Generator) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    from embodied.envs.mujoco.kitchen_vocab import TASK_TEXTS

    keys = list(TASK_TEXTS)
    done: tuple[str, ...] = ()
    if rng.random() < 0.4:
        done = tuple(TASK_TEXTS[keys[i]] for i in rng.choice(len(keys), size=int(rng.integers(1, 3)), replace=False))
    start = kitchen_state(done)
    start["end_effector"] = [round(v + float(rng.uniform(-0.02, 0.02)), 3) for v in start["end_effector"]]
    chosen = [keys[i] for i in rng.choice(len(keys), size=int(rng.integers(1, 4)), replace=False)]
    parts = [_choose(rng, K_TASKS[key]) for key in chosen]
    if len(parts) == 1:
        text = parts[0]
    elif len(parts) == 2:
        template = K_AFTER if rng.random() < 0.15 else _choose(rng, K_TWO)
        text = template.format(a=parts[0], b=parts[1])
    else:
        text = _choose(rng, K_THREE).format(a=parts[0], b=parts[1], c=parts[2])
    return text, tuple(TASK_TEXTS[key] for key in chosen), start


def _kitchen_feasible(targets: tuple[str, ...], observation: dict[str, Any]) -> bool:
    """Something is left to do (a chain of tasks all already done would have an empty plan)."""
    return bool(set(targets) - set(observation["done"]))


def _eager(case: Callable[[np.random.Generator], tuple[str, tuple[str, ...], dict[str, Any]]]):
    """A draft from a sampler that draws its start state together with the text."""
    def draft(rng: np.random.Generator) -> Draft:
        text, targets, start = case(rng)
        return text, targets, lambda: start
    return draft


_WORLD_CASES: dict[str, tuple[Callable[[np.random.Generator], Draft | None],
                              Callable[[tuple[str, ...], dict[str, Any]], bool]]] = {
    "crafter": (_crafter_draft, lambda targets, observation: True),
    "tabletop": (_eager(_tabletop_case), _tabletop_feasible),
    "kitchen": (_eager(_kitchen_case), _kitchen_feasible),
}


def sample_case(rng: np.random.Generator, world: str = "crafter",
                skip: Collection[str] = ()) -> InstructionCase | None:
    """One case of `world` (what `generate` collects; training data for planners/mllm); None for a rejected
    draw: a chain that repeats its target, a text in `skip`, a start state with nothing left to do."""
    if world not in _WORLD_CASES:
        raise ValueError(f"no instruction templates for world {world!r} yet; available: {', '.join(_WORLD_CASES)}")
    draft, feasible = _WORLD_CASES[world]
    drawn = draft(rng)
    if drawn is None or drawn[0] in skip:
        return None
    text, targets, start = drawn
    observation = start()  # drawn only for a new text (Crafter draws its start state after the text)
    return InstructionCase(text, targets, observation) if feasible(targets, observation) else None
