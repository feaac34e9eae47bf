"""Open-ended Crafter with a language model choosing each next subgoal (SPRING's "what next?").

`embodied eval open_ended=true planner=llm|mllm|openai` wraps the language planner's chat model in a
`SubgoalChooser`. After every subgoal the model is shown the state (inventory with health / food / drink /
energy, what is nearby and in reach, the creatures in view and those adjacent, the daylight, the achievements
unlocked so far) and the candidates, and replies with a one-item JSON list, decoded constrained to them (the
local models' grammar-constrained list decoding; the openai backend's JSON-schema enum). The candidates are
the curriculum's (embodied/worlds/crafter/curriculum.py): each achievement not yet unlocked that Crafter's rules
can plan for from here, shown with its plan's first step (missing prerequisites come first, and that step is
what the actor runs), plus the survival needs that are near (drink, food or energy within `slack` of the
critical levels), minus achievements that already failed `max_failures` times (unless nothing else is left).

Safety layer, kept in the rules: when survival is critical (an adjacent zombie or skeleton, drink / food /
energy at the curriculum's thresholds, night) the curriculum's survival subgoal is taken without asking the
model. A reply that is not one of the candidates (or a model that is down) falls back to the curriculum's own
choice. Each plan's `planner` says where the choice came from (`SOURCES`), so the benchmark counts them.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from embodied.types import OBS_RGB, Feedback, InvalidPlanError, Plan, Skill, Subgoal
from embodied.worlds.crafter import vocab
from embodied.worlds.crafter.curriculum import CurriculumPlanner, survival_needs, survival_subgoal
from embodied.worlds.language import describe_state

log = logging.getLogger(__name__)

SLACK = 2  # survival needs are offered this far above the levels at which the rules take over
MAX_FAILURES = 2  # an achievement whose subgoals failed this often is no longer offered
SYSTEM = ("You choose what an agent in the Crafter world does next, to unlock as many of its 22 achievements "
          "as it can. Each candidate is an achievement not unlocked yet (with the first step towards it) or a "
          "survival need. Reply with a JSON list holding exactly one candidate.")
SOURCES = {"model": "{name}", "fallback": "curriculum (fallback from {name})", "only": "curriculum (one candidate)",
           "survival": "curriculum (survival rules)"}


class SubgoalChooser:
    """A planner (plan / replan) whose one-subgoal plans are chosen by a chat model among the curriculum's
    candidates; survival overrides and the fallback are the curriculum's."""

    def __init__(self, model: Any, name: str, slack: int = SLACK, max_failures: int = MAX_FAILURES) -> None:
        self.model, self.name = model, name
        self.slack, self.max_failures = slack, max_failures
        self.wants_image = bool(getattr(model, "accepts_images", False))
        self.curriculum = CurriculumPlanner()
        self.last_reply = ""
        self.agreed = 0  # model choices this episode that are also the curriculum's (its first candidate)

    @classmethod
    def around(cls, planner: Any) -> SubgoalChooser:
        """The chooser for a language planner (planners/language.py): its chat model and name."""
        trained_for = getattr(planner.model, "world", "")
        if trained_for and trained_for != "crafter":
            raise InvalidPlanError(f"{planner.name} planner: {planner.model.name} was trained for the "
                                   f"{trained_for!r} world, not crafter")
        return cls(planner.model, planner.name)

    def source(self, key: str) -> str:
        return SOURCES[key].format(name=self.name)

    def reset(self) -> None:
        self.curriculum.reset()
        self.agreed = 0

    def plan(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...] = ()) -> Plan:
        if survival_subgoal(observation) is not None:  # critical: the rules decide, the model is not asked
            plan = self.curriculum.plan(instruction, observation, skills)
            plan.planner = self.source("survival")
            return plan
        options = self.offer(observation)
        if len(options) <= 1:
            plan = self.curriculum.plan(instruction, observation, skills)
            plan.planner = self.source("only") if plan.subgoals else plan.planner
            return plan
        self.last_reply = self.ask(instruction, observation, options)
        text = chosen(self.last_reply, options)
        if text:
            target, step = options[text]
            self.agreed += text == next(iter(options))
            return self.curriculum.aim(instruction, target, step, self.name, f"{self.name} chose {text!r}")
        log.warning("%s chooser: reply %r is not a candidate; the curriculum chooses", self.name, self.last_reply)
        plan = self.curriculum.plan(instruction, observation, skills)
        plan.planner = self.source("fallback")
        plan.explanation = f"{self.name}'s reply {self.last_reply[:80]!r} is not a candidate; {plan.explanation}"
        return plan

    def replan(self, plan: Plan, feedback: Feedback, skills: tuple[Skill, ...] = ()) -> Plan:
        self.curriculum.note(feedback)
        return self.plan(plan.instruction, feedback.observation, skills)

    def offer(self, observation: dict[str, Any]) -> dict[str, tuple[str, Subgoal]]:
        """Candidate text -> (achievement or "" for a survival need, the subgoal to run), in the curriculum's
        order, then the survival needs."""
        ranked = list(self.curriculum.options(observation))
        fresh = [(t, s) for t, s in ranked if self.curriculum.failures[t] < self.max_failures] or ranked
        options = {vocab.make_subgoal(target).text: (target, step) for target, step in fresh}
        for need in survival_needs(observation, self.slack):
            options.setdefault(need.text, ("", need))
        return options

    def ask(self, instruction: str, observation: dict[str, Any], options: dict[str, tuple[str, Subgoal]]) -> str:
        """The model's reply (constrained to a one-item list of the candidates), or the error's text."""
        from planners.language import ModelError

        messages = choice_messages(instruction, observation, options, self.wants_image)
        try:
            return self.model.complete(messages, list(options), max_items=1, max_tokens=32)
        except ModelError as error:
            return f"model error: {error}"


def choice_messages(instruction: str, observation: dict[str, Any], options: dict[str, tuple[str, Subgoal]],
                    image: bool = False) -> list[dict[str, Any]]:
    """System turn, then the state, the achievements unlocked and the candidates (and the camera image)."""
    shown = {**observation, "daylight": round(float(observation.get("daylight", 1.0)), 2)}
    unlocked = sorted(name.replace("_", " ") for name, count in (observation.get("achievements") or {}).items()
                      if count)
    lines = [f"- {text}" + (f" (first: {step.text})" if step.text != text else "")
             for text, (_, step) in options.items()]
    text = (f"State: {describe_state(shown)}\nInstruction: {instruction}\n"
            f"Achievements unlocked: {', '.join(unlocked) or 'none'}\nCandidates:\n" + "\n".join(lines)
            + "\nWhich candidate next?")
    content: Any = text
    if image and observation.get(OBS_RGB) is not None:
        from planners.prompts import png_data_url

        content = [{"type": "text", "text": text},
                   {"type": "image_url", "image_url": {"url": png_data_url(observation[OBS_RGB])}}]
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": content}]


def chosen(reply: str, options: dict[str, Any]) -> str:
    """The candidate a reply names: a one-item JSON list, or an object holding one (structured outputs); ""
    for anything else."""
    try:
        items = json.loads(reply)
    except (TypeError, ValueError):
        return ""
    if isinstance(items, dict):
        items = next((value for value in items.values() if isinstance(value, list)), None)
    if isinstance(items, list) and len(items) == 1 and isinstance(items[0], str) and items[0] in options:
        return items[0]
    return ""
