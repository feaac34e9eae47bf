"""Chat prompts for language planners: a state summary, the world's rules and worked examples (few-shot).

Everything a prompt says about a world comes from its language assets (embodied/worlds/<name>/language.py);
the worked examples are kept apart from the evaluation instructions (planners/instructions.py never
generates an example's instruction). A world without examples gets its rules and vocabulary only.
"""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any

from embodied.registry import world as world_spec
from embodied.types import OBS_RGB
from embodied.worlds.base import Vocabulary
from embodied.worlds.language import Example, LanguageAssets

_WORD = re.compile(r"[a-z0-9]+")


def world_prompt(vocab: Vocabulary) -> LanguageAssets:
    """The world's language assets (its rules, worked examples and state summary)."""
    return world_spec(vocab.world).load_language()


def select_examples(examples: tuple[Example, ...], instruction: str, k: int, fixed: bool = False) -> list[Example]:
    """The `k` examples whose instructions share most words with `instruction`, most similar last (0 = all);
    `fixed`: the world's first `k` whatever the instruction (every prompt then shares one cacheable prefix)."""
    if k <= 0 or k >= len(examples):
        return list(examples)
    if fixed:
        return list(examples[:k])
    words = set(_WORD.findall(instruction.lower()))

    def similarity(example: Example) -> float:
        other = set(_WORD.findall(example.instruction.lower()))
        return len(words & other) / max(1, len(words | other))

    ranked = sorted(range(len(examples)), key=lambda i: (similarity(examples[i]), -i), reverse=True)[:k]
    return [examples[i] for i in reversed(ranked)]


def _system(vocab: Vocabulary, prompt: LanguageAssets, rules: bool, goals: bool = False) -> str:
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
        from embodied.types import InvalidPlanError

        oracle, steps = world_spec(vocab.world).load_rules(), example.plan
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
                  plan_key: str = "", goals: bool = False, fixed_examples: bool = False) -> list[dict[str, Any]]:
    """The task (and the world's rules), `examples` worked examples most like the instruction as earlier turns
    (0 = all), then this state and instruction (and the camera image). Example replies are JSON lists, or
    objects holding the list under `plan_key` (the form a structured-output backend is held to); with `goals`
    the model is asked only for the goals the instruction names (`example_goals`), not the steps."""
    prompt = world_prompt(vocab)
    messages: list[dict[str, Any]] = [{"role": "system", "content": _system(vocab, prompt, rules, goals)}]
    for example in select_examples(prompt.examples, instruction, examples, fixed_examples):
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
