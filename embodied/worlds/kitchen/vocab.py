"""FrankaKitchen's subgoal vocabulary: its 7 tasks as canonical texts, skills and instruction patterns.

Shared by the env (`parse`) and the symbolic planner (TASK_PATTERNS), so both build the same Subgoal
objects. A task's key is its gymnasium-robotics name ("light switch"), its skill the key with
underscores ("light_switch") and its text canonical lower-case English ("turn on the light switch").
"""

from __future__ import annotations

import re

from embodied.types import Skill, Subgoal, UnknownSubgoalError
from embodied.worlds.base import Vocabulary

# gymnasium-robotics task key -> canonical subgoal text
TASK_TEXTS: dict[str, str] = {
    "microwave": "open the microwave",
    "kettle": "move the kettle",
    "light switch": "turn on the light switch",
    "slide cabinet": "open the slide cabinet",
    "hinge cabinet": "open the hinge cabinet",
    "bottom burner": "turn on the bottom burner",
    "top burner": "turn on the top burner",
}
# task key -> regex finding a mention of the task in a lower-case instruction
TASK_PATTERNS: dict[str, str] = {
    "microwave": r"\bmicrowave\b",
    "kettle": r"\b(kettle|teapot|tea pot)\b",
    "light switch": r"\b(light|lights|lamp)\b|\bthe switch\b",
    "slide cabinet": r"\b(slide|sliding)( cabinet| cupboard| door)\b|\bslider\b",
    "hinge cabinet": r"\b(hinge|hinged)( cabinet| cupboard| door)\b",
    "bottom burner": r"\b(bottom|lower)( burner| knob| stove)\b|\bburners\b|\bknobs\b",
    "top burner": r"\b(top|upper)( burner| knob| stove)\b|\bburners\b|\bknobs\b",
}
# mentions that name a kind of object but not which one -> the tasks they could mean
AMBIGUOUS_PATTERNS: dict[str, tuple[str, ...]] = {
    r"\b(cabinet|cupboard)\b": ("slide cabinet", "hinge cabinet"),
    r"\b(burner|stove|knob|oven)\b": ("bottom burner", "top burner"),
}
GOAL_TEXTS: tuple[str, ...] = tuple(TASK_TEXTS.values())
SKILLS: tuple[Skill, ...] = tuple(Skill(key.replace(" ", "_"), (), text) for key, text in TASK_TEXTS.items())
_TEXT_TO_KEY = {text: key for key, text in TASK_TEXTS.items()}
_ARTICLES = re.compile(r"\b(a|an|the|please)\b")


def make_subgoal(task: str) -> Subgoal:
    """Canonical Subgoal for a task key ("light switch") or skill name ("light_switch")."""
    key = task.replace("_", " ")
    if key not in TASK_TEXTS:
        raise UnknownSubgoalError(f"unknown kitchen task {task!r}; expected one of {list(TASK_TEXTS)}")
    return Subgoal(key.replace(" ", "_"), (), TASK_TEXTS[key])


def normalise(text: str) -> str:
    """Lower-case, underscores to spaces, no articles or punctuation, single spaces."""
    text = re.sub(r"[^a-z0-9 ]", " ", text.lower().replace("_", " "))
    return " ".join(_ARTICLES.sub(" ", text).split())


def mentioned_tasks(text: str) -> list[str]:
    """Task keys mentioned in `text`, ordered by first mention, without repeats."""
    lowered = " ".join(text.lower().replace("_", " ").split())
    found = sorted((match.start(), key) for key, pattern in TASK_PATTERNS.items()
                   for match in re.finditer(pattern, lowered))
    return list(dict.fromkeys(key for _, key in found))


def parse(subgoal: str | Subgoal) -> Subgoal:
    """Canonical Subgoal from a text, skill name, task key or Subgoal; raises UnknownSubgoalError."""
    raw = (subgoal.text or subgoal.skill) if isinstance(subgoal, Subgoal) else str(subgoal)
    if isinstance(subgoal, Subgoal) and subgoal.skill.replace("_", " ") in TASK_TEXTS:
        return make_subgoal(subgoal.skill)
    text = " ".join(raw.lower().replace("_", " ").split())
    if text in TASK_TEXTS:
        return make_subgoal(text)
    if text in _TEXT_TO_KEY:
        return make_subgoal(_TEXT_TO_KEY[text])
    tasks = mentioned_tasks(text)
    if len(tasks) == 1 and normalise(text) in {normalise(t) for t in _variants(tasks[0])}:
        return make_subgoal(tasks[0])
    raise UnknownSubgoalError(f"unknown kitchen subgoal {raw!r}; expected one of: {', '.join(GOAL_TEXTS)}")


def _variants(key: str) -> list[str]:
    """Accepted phrasings of one task ("open microwave", "turn on the light", ...)."""
    text = TASK_TEXTS[key]
    verb, _, rest = text.partition(" the ")
    light = [f"{verb} the light", "switch on the light", "turn the light on"] if key == "light switch" else []
    return [text, f"{verb} {rest}", rest, key, f"{verb} {key}", *light]

VOCABULARY = Vocabulary("kitchen", SKILLS, GOAL_TEXTS, parse, ())
