"""Chat prompts for language planners: a state summary, the world's rules and worked examples (few-shot).

The worked examples are fixed here and kept apart from the evaluation instructions (planners/instructions.py
never generates an example's instruction). A world without its own `WorldPrompt` gets a generic one built
from its vocabulary.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import crafter

from embodied.envs.mujoco.kitchen_vocab import GOAL_TEXTS as KITCHEN_TASKS
from embodied.envs.mujoco.tabletop_vocab import COLORS as TABLETOP_COLORS
from embodied.types import OBS_RGB
from planners.validation import Vocabulary

_WORD = re.compile(r"[a-z0-9]+")
_SKIPPED_KEYS = {"world", "inventory", "achievements", "subgoal", OBS_RGB}


@dataclass(frozen=True)
class Example:
    """One worked example: the state, the instruction and the plan an expert would write."""

    instruction: str
    inventory: dict[str, int]
    nearby: tuple[str, ...]
    plan: tuple[str, ...]
    state: dict[str, Any] = field(default_factory=dict)  # worlds without an inventory: the describe() dict
    goals: tuple[str, ...] = ()  # what the instruction asks for, where `example_goals` would find less

    def observation(self) -> dict[str, Any]:
        if self.state:
            return json.loads(json.dumps(self.state))  # a deep copy
        return {"inventory": dict(self.inventory), "nearby": list(self.nearby)}


@dataclass(frozen=True)
class WorldPrompt:
    """What a language planner is told about one world: its rules, worked examples, inventory keys (and other
    observation keys) to hide, and optionally its own one-line state summary instead of `describe_state`."""

    rules: str
    examples: tuple[Example, ...]
    hidden: frozenset[str] = frozenset()
    summary: Callable[[dict[str, Any]], str] | None = None
    skip: str = "Skip what the inventory already has."

    def state(self, observation: dict[str, Any]) -> str:
        return self.summary(observation) if self.summary else describe_state(observation, self.hidden)


def _crafter_rules() -> str:
    rules = crafter.constants
    tools = {next(iter(info["receive"])): list(info["require"]) for info in rules.collect.values()}
    lines = [f"collect {item}: needs {' and '.join(need).replace('_', ' ') or 'nothing'}"
             for item, need in tools.items() if item not in ("drink", "sapling")]
    lines += [f"place {name}: uses {_amounts(info['uses'])}" for name, info in rules.place.items()]
    lines += [f"make {name.replace('_', ' ')}: uses {_amounts(info['uses'])}, near a {' and a '.join(info['nearby'])}"
              for name, info in rules.make.items()]
    return "\n".join(lines)


def _amounts(uses: dict[str, int]) -> str:
    return ", ".join(f"{n} {item}" for item, n in uses.items())


CRAFTER = WorldPrompt(
    rules=_crafter_rules(),
    examples=(
        Example("make a wood pickaxe", {}, ("grass", "tree"), ("collect 3 wood", "place table", "make wood pickaxe")),
        Example("craft a stone sword", {"wood": 1, "wood_pickaxe": 1}, ("grass", "stone", "table"),
                ("collect stone", "make stone sword")),
        Example("collect 2 coal", {"wood_pickaxe": 1}, ("coal", "stone"), ("collect 2 coal",)),
        Example("place a furnace", {"stone": 1, "wood_pickaxe": 1}, ("stone", "table"),
                ("collect 3 stone", "place furnace")),
        Example("drink water", {}, ("grass", "water"), ("collect drink",)),
        Example("make a stone pickaxe", {}, ("grass", "tree"),
                ("collect 4 wood", "place table", "make wood pickaxe", "collect stone", "make stone pickaxe")),
        Example("collect 2 wood, then place a table", {"sapling": 1}, ("tree",), ("collect 2 wood", "place table"),
                goals=("collect 2 wood", "place table")),
        Example("eat a cow", {"wood": 2}, ("grass",), ("eat cow",)),
        Example("mine 3 stone", {"wood_pickaxe": 1}, ("grass", "stone"), ("collect 3 stone",)),
        Example("get some iron", {"wood": 1, "stone_pickaxe": 1}, ("iron", "table"), ("collect iron",)),
        Example("build a wood sword", {"wood": 2}, ("table", "tree"), ("make wood sword",)),
        Example("gather 5 wood", {}, ("tree",), ("collect 5 wood",)),
        Example("plant a sapling", {"sapling": 1}, ("grass",), ("place plant",)),
        Example("kill a zombie", {"wood_sword": 1}, ("grass",), ("defeat zombie",)),
        Example("go to sleep", {}, ("grass",), ("wake up",)),
        Example("craft an iron sword", {"wood": 1, "coal": 1, "iron": 1}, ("furnace", "table"), ("make iron sword",)),
        Example("collect a diamond", {"iron_pickaxe": 1}, ("diamond", "stone"), ("collect diamond",)),
        Example("put a stone down", {"stone": 2}, ("grass",), ("place stone",)),
        Example("make a table, then a wood pickaxe", {"wood": 1}, ("tree",),
                ("collect 2 wood", "place table", "make wood pickaxe"), goals=("place table", "make wood pickaxe")),
        Example("get 2 saplings", {}, ("grass",), ("collect 2 sapling",)),
        Example("make an iron pickaxe", {"wood": 2, "wood_pickaxe": 1, "stone_pickaxe": 1, "coal": 1}, ("table",),
                ("collect iron", "collect 4 stone", "place furnace", "make iron pickaxe")),
        Example("fetch stone for a furnace", {"wood_pickaxe": 1}, ("stone",), ("collect 4 stone", "place furnace")),
        Example("I want to eat a plant", {}, ("grass",), ("collect sapling", "place plant", "eat plant")),
        Example("collect three coal and then make a stone pickaxe", {"wood": 1, "wood_pickaxe": 1}, ("coal", "table"),
                ("collect stone", "collect 3 coal", "make stone pickaxe")),
    ),
    hidden=frozenset({"health", "food", "drink", "energy"}),
)


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
    for color in sorted(TABLETOP_COLORS, key=lambda c: _height(on, c)):  # lower blocks first
        if color in on:
            places[color], where[color] = places[on[color]], where[on[color]]
        else:
            where[color] = regions.get(color)
        z = 0.52 if color == holding else 0.42 + 0.04 * _height(on, color)
        blocks[color] = [round(float(v), 3) for v in (*places[color], z)]
    return {
        "world": "tabletop",
        "blocks": {c: blocks[c] for c in TABLETOP_COLORS},
        "on": on,
        "on_table": [c for c in TABLETOP_COLORS if c not in on and c != holding],
        "regions": {c: None if c == holding else where[c] for c in TABLETOP_COLORS},
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
    for color in TABLETOP_COLORS:
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


TABLETOP = WorldPrompt(
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


def kitchen_state(done: tuple[str, ...] = ()) -> dict[str, Any]:
    """A KitchenEnv.describe()-shaped dict with the tasks (canonical texts) in `done` already done."""
    kettle = [-0.23, 0.75, 1.62] if "move the kettle" in done else [-0.269, 0.35, 1.626]
    return {"world": "kitchen", "done": [t for t in KITCHEN_TASKS if t in done],
            "remaining": [t for t in KITCHEN_TASKS if t not in done], "end_effector": [-0.099, 0.46, 2.114],
            "kettle": kettle}


def _kitchen_summary(observation: dict[str, Any]) -> str:
    return f"already done: {', '.join(observation.get('done') or ()) or 'nothing'}"


KITCHEN = WorldPrompt(
    rules="\n".join([
        "seven tasks, one subgoal each: open the microwave; move the kettle; turn on the light switch; "
        "open the slide cabinet; open the hinge cabinet; turn on the bottom burner; turn on the top burner",
        "do the tasks the instruction names, in the order it asks ('A after B' does B first)",
        "skip tasks that are already done",
    ]),
    examples=(
        Example("open the microwave", {}, (), ("open the microwave",), kitchen_state()),
        Example("turn on the light switch and open the hinge cabinet", {}, (),
                ("turn on the light switch", "open the hinge cabinet"), kitchen_state()),
        Example("move the kettle", {}, (), ("move the kettle",), kitchen_state(("turn on the bottom burner",))),
        Example("open the slide cabinet", {}, (), ("open the slide cabinet",), kitchen_state(("open the microwave",))),
        Example("turn on the top burner, then the bottom burner", {}, (),
                ("turn on the top burner", "turn on the bottom burner"), kitchen_state()),
        Example("open the microwave, then move the kettle", {}, (), ("move the kettle",),
                kitchen_state(("open the microwave",)), goals=("open the microwave", "move the kettle")),
        Example("turn on the bottom burner after opening the hinge cabinet", {}, (),
                ("open the hinge cabinet", "turn on the bottom burner"), kitchen_state()),
        Example("switch on the light, open the slide cabinet and move the kettle", {}, (),
                ("turn on the light switch", "open the slide cabinet", "move the kettle"),
                kitchen_state(("open the hinge cabinet",))),
        Example("open the hinge cabinet and the microwave", {}, (),
                ("open the hinge cabinet", "open the microwave"), kitchen_state()),
        Example("turn on the top burner", {}, (), ("turn on the top burner",),
                kitchen_state(("turn on the light switch", "open the microwave"))),
    ),
    hidden=frozenset({"remaining", "end_effector", "kettle"}),
    summary=_kitchen_summary,
    skip="Skip tasks that are already done.",
)
PROMPTS: dict[str, WorldPrompt] = {"crafter": CRAFTER, "tabletop": TABLETOP, "kitchen": KITCHEN}


def world_prompt(vocab: Vocabulary) -> WorldPrompt:
    """The world's prompt, or a generic one listing its subgoal texts."""
    return PROMPTS.get(vocab.world) or WorldPrompt("subgoals: " + "; ".join(vocab.texts[:60]), ())


def describe_state(observation: dict[str, Any], hidden: frozenset[str] = frozenset()) -> str:
    """One line summarising an env's `describe()`: non-zero inventory, then every other listed fact."""
    inventory = observation.get("inventory") or {}
    items = [f"{count} {name.replace('_', ' ')}" for name, count in inventory.items() if count and name not in hidden]
    parts = [f"inventory: {', '.join(items) or 'empty'}"]
    for key, value in observation.items():
        if key in _SKIPPED_KEYS or key in hidden or value in (None, [], {}, ""):
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else json.dumps(value, default=str)
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts)


def select_examples(examples: tuple[Example, ...], instruction: str, k: int) -> list[Example]:
    """The `k` examples whose instructions share most words with `instruction`, most similar last (0 = all)."""
    if k <= 0 or k >= len(examples):
        return list(examples)
    words = set(_WORD.findall(instruction.lower()))

    def similarity(example: Example) -> float:
        other = set(_WORD.findall(example.instruction.lower()))
        return len(words & other) / max(1, len(words | other))

    ranked = sorted(range(len(examples)), key=lambda i: (similarity(examples[i]), -i), reverse=True)[:k]
    return [examples[i] for i in reversed(ranked)]


def _system(vocab: Vocabulary, prompt: WorldPrompt, rules: bool, goals: bool = False) -> str:
    if goals:
        text = (f"You plan for an agent in the {vocab.world} world. Reply with a JSON list of the goals the "
                f"instruction asks for, in order; the agent works out the steps that lead to them.")
    else:
        text = (f"You plan for an agent in the {vocab.world} world. Reply with a JSON list of subgoals, in order, "
                f"that achieve the instruction from the state. {prompt.skip}")
    return text + (f"\nRules:\n{prompt.rules}" if rules else "")


_GOALS: dict[tuple[str, str, tuple[str, ...]], tuple[str, ...]] = {}


def example_goals(vocab: Vocabulary, example: Example) -> tuple[str, ...]:
    """The fewest of a worked example's plan steps (in order, the latest preferred) from which the world's
    symbolic planner writes the whole plan: what its instruction asks for, the answer in `goals` mode."""
    key = (vocab.world, example.instruction, example.plan)
    if example.goals:
        return example.goals
    if key not in _GOALS:
        from embodied.registry import load_symbol
        from embodied.registry import world as world_spec
        from embodied.types import InvalidPlanError

        oracle, steps = load_symbol(world_spec(vocab.world).planner)(), example.plan
        _GOALS[key] = steps
        subsets = (tuple(steps[i] for i in range(len(steps)) if mask >> i & 1) for mask in range(1, 2 ** len(steps)))
        for goals in sorted(subsets, key=lambda g: (len(g), [-steps.index(s) for s in g])):
            try:
                plan = oracle.plan(", then ".join(goals), example.observation(), vocab.skills)
            except InvalidPlanError:
                continue
            if tuple(s.text for s in plan.subgoals) == steps:
                _GOALS[key] = goals
                break
    return _GOALS[key]


def user_turn(state: str, instruction: str, note: str = "") -> str:
    return f"State: {state}\nInstruction: {instruction}" + (f"\n{note}" if note else "")


def plan_messages(vocab: Vocabulary, instruction: str, observation: dict[str, Any], note: str = "",
                  image: bool = False, examples: int = 0, rules: bool = False,
                  plan_key: str = "", goals: bool = False) -> list[dict[str, Any]]:
    """The task (and the world's rules), `examples` worked examples most like the instruction as earlier turns
    (0 = all), then this state and instruction (and the camera image). Example replies are JSON lists, or
    objects holding the list under `plan_key` (the form a structured-output backend is held to); with `goals`
    the model is asked only for the goals the instruction names (`example_goals`), not the steps."""
    prompt = world_prompt(vocab)
    messages: list[dict[str, Any]] = [{"role": "system", "content": _system(vocab, prompt, rules, goals)}]
    for example in select_examples(prompt.examples, instruction, examples):
        messages.append({"role": "user", "content": user_turn(prompt.state(example.observation()),
                                                              example.instruction)})
        plan = list(example_goals(vocab, example) if goals else example.plan)
        messages.append({"role": "assistant", "content": json.dumps({plan_key: plan} if plan_key else plan)})
    text = user_turn(prompt.state(observation), instruction, note)
    rgb = observation.get(OBS_RGB)
    if image and rgb is not None:
        content: Any = [{"type": "text", "text": text},
                        {"type": "image_url", "image_url": {"url": png_data_url(rgb)}}]
    else:
        content = text
    messages.append({"role": "user", "content": content})
    return messages


def repair_messages(messages: list[dict[str, Any]], reply: str, error: str) -> list[dict[str, Any]]:
    """The same conversation plus the invalid reply and why it is invalid: one chance to correct it."""
    return [*messages, {"role": "assistant", "content": reply},
            {"role": "user", "content": f"That plan is invalid: {error}. Reply with a corrected JSON list."}]


def explain_messages(vocab: Vocabulary, instruction: str, observation: dict[str, Any], done: list[str],
                     failed: str, reason: str) -> list[dict[str, Any]]:
    """Ask why a subgoal failed, from the state now (the 'explain' of describe - explain - plan)."""
    prompt = world_prompt(vocab)
    state = prompt.state(observation)
    return [
        {"role": "system", "content": f"You help an agent in the {vocab.world} world. Rules:\n{prompt.rules}"},
        {"role": "user", "content": f"State: {state}\nInstruction: {instruction}\nDone: {', '.join(done) or 'nothing'}"
                                    f"\nFailed: {failed} ({reason or 'no reason given'})\n"
                                    f"In one sentence, why did it fail?"},
    ]


def png_data_url(rgb: Any) -> str:
    """A (H, W, 3) uint8 image as a base64 PNG data URL (OpenAI-style image content)."""
    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(rgb, dtype=np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
