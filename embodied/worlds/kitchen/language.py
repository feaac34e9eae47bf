"""Kitchen's language: instruction templates for recording and for scoring planners (1-3 of the seven tasks,
some maybe already done), the rules and worked examples for prompts."""

from __future__ import annotations

from typing import Any

import numpy as np

from embodied.worlds.kitchen.vocab import GOAL_TEXTS, TASK_TEXTS
from embodied.worlds.language import Example, LanguageAssets, choose, eager


def sample_instruction(rng: np.random.Generator) -> str:
    """A chain of 1-3 distinct kitchen tasks in random order and wording."""
    count = int(rng.integers(1, 4))
    keys = [str(key) for key in rng.choice(list(TASK_TEXTS), size=count, replace=False)]
    joiner = str(rng.choice([" and then ", ", then ", " and ", ", "]))
    return joiner.join(TASK_TEXTS[key] for key in keys)


# --- planner evaluation ---------------------------------------------------------------------------------
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


def _case(rng: np.random.Generator) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    keys = list(TASK_TEXTS)
    done: tuple[str, ...] = ()
    if rng.random() < 0.4:
        done = tuple(TASK_TEXTS[keys[i]] for i in rng.choice(len(keys), size=int(rng.integers(1, 3)), replace=False))
    start = kitchen_state(done)
    start["end_effector"] = [round(v + float(rng.uniform(-0.02, 0.02)), 3) for v in start["end_effector"]]
    chosen = [keys[i] for i in rng.choice(len(keys), size=int(rng.integers(1, 4)), replace=False)]
    parts = [choose(rng, K_TASKS[key]) for key in chosen]
    if len(parts) == 1:
        text = parts[0]
    elif len(parts) == 2:
        template = K_AFTER if rng.random() < 0.15 else choose(rng, K_TWO)
        text = template.format(a=parts[0], b=parts[1])
    else:
        text = choose(rng, K_THREE).format(a=parts[0], b=parts[1], c=parts[2])
    return text, tuple(TASK_TEXTS[key] for key in chosen), start


def _feasible(targets: tuple[str, ...], observation: dict[str, Any]) -> bool:
    """Something is left to do (a chain of tasks all already done would have an empty plan)."""
    return bool(set(targets) - set(observation["done"]))


# --- prompts -------------------------------------------------------------------------------------------
def kitchen_state(done: tuple[str, ...] = ()) -> dict[str, Any]:
    """A KitchenEnv.describe()-shaped dict with the tasks (canonical texts) in `done` already done."""
    kettle = [-0.23, 0.75, 1.62] if "move the kettle" in done else [-0.269, 0.35, 1.626]
    return {"world": "kitchen", "done": [t for t in GOAL_TEXTS if t in done],
            "remaining": [t for t in GOAL_TEXTS if t not in done], "end_effector": [-0.099, 0.46, 2.114],
            "kettle": kettle}


def _kitchen_summary(observation: dict[str, Any]) -> str:
    return f"already done: {', '.join(observation.get('done') or ()) or 'nothing'}"


LANGUAGE = LanguageAssets(
    record=sample_instruction,
    draft=eager(_case),
    feasible=_feasible,
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
