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
from dataclasses import dataclass
from typing import Any

import crafter

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

    def observation(self) -> dict[str, Any]:
        return {"inventory": dict(self.inventory), "nearby": list(self.nearby)}


@dataclass(frozen=True)
class WorldPrompt:
    """What a language planner is told about one world: its rules, worked examples, inventory keys to hide."""

    rules: str
    examples: tuple[Example, ...]
    hidden: frozenset[str] = frozenset()


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
        Example("collect 2 wood, then place a table", {"sapling": 1}, ("tree",), ("collect 2 wood", "place table")),
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
                ("collect 2 wood", "place table", "make wood pickaxe")),
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
PROMPTS: dict[str, WorldPrompt] = {"crafter": CRAFTER}


def world_prompt(vocab: Vocabulary) -> WorldPrompt:
    """The world's prompt, or a generic one listing its subgoal texts."""
    return PROMPTS.get(vocab.world) or WorldPrompt("subgoals: " + "; ".join(vocab.texts[:60]), ())


def describe_state(observation: dict[str, Any], hidden: frozenset[str] = frozenset()) -> str:
    """One line summarising an env's `describe()`: non-zero inventory, then every other listed fact."""
    inventory = observation.get("inventory") or {}
    items = [f"{count} {name.replace('_', ' ')}" for name, count in inventory.items() if count and name not in hidden]
    parts = [f"inventory: {', '.join(items) or 'empty'}"]
    for key, value in observation.items():
        if key in _SKIPPED_KEYS or value in (None, [], {}, ""):
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


def _system(vocab: Vocabulary, prompt: WorldPrompt, rules: bool) -> str:
    text = (f"You plan for an agent in the {vocab.world} world. Reply with a JSON list of subgoals, in order, "
            f"that achieve the instruction from the state. Skip what the inventory already has.")
    return text + (f"\nRules:\n{prompt.rules}" if rules else "")


def user_turn(state: str, instruction: str, note: str = "") -> str:
    return f"State: {state}\nInstruction: {instruction}" + (f"\n{note}" if note else "")


def plan_messages(vocab: Vocabulary, instruction: str, observation: dict[str, Any], note: str = "",
                  image: bool = False, examples: int = 0, rules: bool = False,
                  plan_key: str = "") -> list[dict[str, Any]]:
    """The task (and the world's rules), `examples` worked examples most like the instruction as earlier turns
    (0 = all), then this state and instruction (and the camera image). Example replies are JSON lists, or
    objects holding the list under `plan_key` (the form a structured-output backend is held to)."""
    prompt = world_prompt(vocab)
    messages: list[dict[str, Any]] = [{"role": "system", "content": _system(vocab, prompt, rules)}]
    for example in select_examples(prompt.examples, instruction, examples):
        messages.append({"role": "user", "content": user_turn(describe_state(example.observation(), prompt.hidden),
                                                              example.instruction)})
        plan = list(example.plan)
        messages.append({"role": "assistant", "content": json.dumps({plan_key: plan} if plan_key else plan)})
    text = user_turn(describe_state(observation, prompt.hidden), instruction, note)
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
    state = describe_state(observation, prompt.hidden)
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
