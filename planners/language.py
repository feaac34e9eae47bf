"""A planner around any chat model: prompt, validate, repair once, fall back to the symbolic planner.

The chat model is a small protocol (`ChatModel.complete`), so the bundled local model (planners/llm) and an
OpenAI-compatible endpoint (planners/openai_compat.py) share everything else here. A reply that cannot be
read or executed is sent back once with the validator's reason; a second failure (or a model that is down)
falls back to the world's symbolic planner, with the reason logged and kept in `Plan.explanation`. Model
output never raises out of `plan` / `replan`. An instruction is refused before the model is asked
(InvalidPlanError) when it is longer than `max_instruction_chars`, or when the world's rules cannot read it and
none of its words names anything in the world's vocabulary ("build a rocket" in Crafter).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from embodied.registry import world as world_spec
from embodied.types import Feedback, InvalidPlanError, Plan, Skill, Subgoal
from embodied.worlds.base import Vocabulary
from embodied.worlds.rules import Rules
from planners import prompts
from planners.base import Planner
from planners.validation import parse_reply, validate, vocabulary

log = logging.getLogger(__name__)


class ModelError(RuntimeError):
    """The chat model could not answer (server down, bad HTTP status, malformed response)."""


Feasible = Callable[[Sequence[int]], Collection[int]]
"""Grounded decoding: the indices of the choices the world's rules allow after a plan prefix (given as indices)."""


class ChatModel(Protocol):
    """A chat model: messages in, reply text out; `choices` (subgoal texts) asks for a constrained JSON list,
    `feasible` (where the model runs here) restricts each item to what the world allows after the ones before."""

    name: str
    accepts_images: bool
    plan_key: str  # "" = plans are bare JSON lists; else the object key a structured reply holds them under

    def complete(self, messages: list[dict[str, Any]], choices: Sequence[str] | None = None,
                 max_items: int = 10, max_tokens: int = 128, stop: Sequence[str] = (),
                 feasible: Feasible | None = None) -> str: ...


@dataclass
class LanguagePlannerConfig:
    """Knobs shared by the language planners."""

    world: str = "crafter"  # used when the observation does not name its world
    max_subgoals: int = 12
    max_instruction_chars: int = 500  # longer instructions are refused (prompting cost grows with them)
    max_tokens: int = 160  # reply budget of an unconstrained plan
    explain_tokens: int = 40  # budget of the one-sentence failure explanation when re-planning
    constrain: bool = True  # restrict replies to the vocabulary (JSON list of allowed subgoal texts)
    grounded: bool = True  # and each item to one the world's rules allow after the ones before (local models)
    examples: int = 4  # worked examples shown, those most like the instruction (0 = all of the world's)
    example_choice: str = "similar"  # similar (per instruction) | fixed (the world's first `examples`, one prefix)
    rules: bool = False  # also list the world's rules (recipes) in the prompt; helps larger models
    expand: bool = False  # the model names only the goals; the world's symbolic planner writes the steps (LLM+P)
    repair: bool = True  # re-prompt once with the validator's error
    fallback: bool = True  # then use the world's symbolic planner

    def __post_init__(self) -> None:
        if self.example_choice not in ("similar", "fixed"):
            raise ValueError(f"planner.example_choice={self.example_choice!r}: expected similar or fixed")


class LanguagePlanner(Planner):
    """Plans with a chat model; replies are parsed and validated against the world, repaired or replaced."""

    def __init__(self, model: ChatModel, config: LanguagePlannerConfig, name: str) -> None:
        self.model, self.config, self.name = model, config, name
        self.wants_image = model.accepts_images
        self._choices: dict[str, list[Subgoal]] = {}

    def plan(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...] = ()) -> Plan:
        return self._plan(instruction, observation, skills, note="")

    def replan(self, plan: Plan, feedback: Feedback, skills: tuple[Skill, ...] = ()) -> Plan:
        """Describe the state, ask the model why the subgoal failed, then plan again from here."""
        if feedback.failed_subgoal is None:
            return self.plan(plan.instruction, feedback.observation, skills)
        failed = feedback.failed_subgoal.text
        vocab = self._vocab(feedback.observation)
        messages = prompts.explain_messages(vocab, plan.instruction, feedback.observation,
                                            [s.text for s in feedback.completed], failed, feedback.reason)
        try:
            why = " ".join(self.model.complete(messages, max_tokens=self.config.explain_tokens,
                                               stop=("\n",)).split()) or "no explanation"
        except ModelError as error:
            why = f"no explanation ({error})"
        note = f"Earlier, {failed!r} failed: {why} Plan again from this state."
        new_plan = self._plan(plan.instruction, feedback.observation, skills, note)
        new_plan.explanation = (f"subgoal {failed!r} failed ({feedback.reason or 'no reason given'}); "
                                f"model: {why} {new_plan.explanation}").strip()
        return new_plan

    # --- one plan: ask, validate, repair, fall back -------------------------------------------------
    def _plan(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...], note: str) -> Plan:
        vocab = self._vocab(observation)
        self._refuse_unreadable(instruction, vocab)
        trained_for = getattr(self.model, "world", "")
        if trained_for and trained_for != vocab.world:  # a set-up error, not a bad reply: say so
            raise InvalidPlanError(f"{self.name} planner: {self.model.name} was trained for the {trained_for!r} "
                                   f"world, not {vocab.world!r}; train one with `embodied train-planner "
                                   f"world={vocab.world} ...`")
        skills = skills or vocab.skills
        messages = prompts.plan_messages(vocab, instruction, observation, note, self.model.accepts_images,
                                         self.config.examples, self.config.rules, self.model.plan_key,
                                         goals=self.config.expand,
                                         fixed_examples=self.config.example_choice == "fixed")
        name = f"{self.name} expanded" if self.config.expand else self.name
        reply, subgoals, error = self._attempt(messages, vocab, instruction, observation, skills)
        if subgoals is not None:
            return Plan(instruction, subgoals, name)
        first_error, replies = error, [reply]
        if self.config.repair and reply is not None:
            messages = prompts.repair_messages(messages, reply, error)
            reply, subgoals, error = self._attempt(messages, vocab, instruction, observation, skills)
            if subgoals is not None:
                return Plan(instruction, subgoals, f"{name} (repaired)", f"first reply invalid: {first_error}")
            replies.append(reply)
        reason = f"{first_error}" + (f"; after repair: {error}" if error != first_error else "")
        return self._fall_back(instruction, observation, skills, vocab, reason, replies)

    def _refuse_unreadable(self, instruction: str, vocab: Vocabulary) -> None:
        """InvalidPlanError for an instruction too long, or outside the world as the symbolic planner is."""
        limit = self.config.max_instruction_chars
        if limit and len(instruction) > limit:
            raise InvalidPlanError(f"{self.name} planner: instruction too long ({len(instruction)} characters; at "
                                   f"most {limit}, planner.max_instruction_chars)")
        rules = self._oracle(vocab.world)
        never = rules.refuse(instruction)
        if never:
            raise InvalidPlanError(f"{self.name} planner: {instruction!r} is outside the {vocab.world} world: {never}")
        try:
            rules.parse(instruction)
            return
        except InvalidPlanError as error:
            why = str(error)
        if not names_something(instruction, vocab):
            raise InvalidPlanError(f"{self.name} planner: {instruction!r} is outside the {vocab.world} world: none "
                                   f"of its words names anything in its vocabulary, and {why}")

    def _attempt(self, messages: list[dict[str, Any]], vocab: Vocabulary, instruction: str,
                 observation: dict[str, Any], skills: tuple[Skill, ...]):
        """(reply, subgoals, None) for a valid reply; (reply or None, None, reason) otherwise."""
        choices = vocab.texts if self.config.constrain else None
        grounded = choices and self.config.grounded and not self.config.expand  # goals need not be possible yet
        feasible = self.feasible(observation) if grounded else None
        try:
            reply = self.model.complete(messages, choices, self.config.max_subgoals, self.config.max_tokens,
                                        feasible=feasible)
        except ModelError as error:
            return None, None, f"model error: {error}"
        try:
            subgoals = parse_reply(reply, vocab)
            if self.config.expand:
                subgoals = self._expand(subgoals, vocab, observation, skills)
            validate(subgoals, observation, skills, self._oracle(vocab.world).check, instruction,
                     self.config.max_subgoals)
        except InvalidPlanError as error:
            return reply, None, str(error)
        return reply, subgoals, None

    def _fall_back(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...],
                   vocab: Vocabulary, reason: str, replies: list[str | None]) -> Plan:
        """The symbolic planner on the instruction; if it cannot read it, on the model's own subgoals as
        targets (it fills in what they need and fixes the order: "symbolic completion")."""
        if not self.config.fallback:
            raise InvalidPlanError(f"{self.name} planner: no valid plan for {instruction!r}: {reason}")
        log.warning("%s planner: falling back to the symbolic planner: %s", self.name, reason)
        oracle = self._oracle(vocab.world)
        try:
            plan = oracle.plan(instruction, observation, skills)
            plan.planner = f"symbolic (fallback from {self.name})"
        except InvalidPlanError as error:
            plan = self._complete(instruction, observation, skills, vocab, replies)
            if plan is None:
                raise InvalidPlanError(f"{self.name} planner: the model's plan was invalid ({reason}) and the "
                                       f"symbolic planner could not plan either: {error}") from None
        plan.explanation = f"fell back to the symbolic planner: {reason}"
        return plan

    def _complete(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...],
                  vocab: Vocabulary, replies: list[str | None]) -> Plan | None:
        """The symbolic plan for the distinct subgoals of the model's last readable reply, if it validates."""
        for reply in reversed(replies):
            try:
                subgoals = self._expand(parse_reply(reply or "", vocab), vocab, observation, skills)
                validate(subgoals, observation, skills, self._oracle(vocab.world).check,
                         max_subgoals=self.config.max_subgoals)
            except InvalidPlanError:
                continue
            return Plan(instruction, subgoals, f"symbolic completion of {self.name}")
        return None

    def _expand(self, goals: list[Subgoal], vocab: Vocabulary, observation: dict[str, Any],
                skills: tuple[Skill, ...]) -> list[Subgoal]:
        """The symbolic planner's steps to the distinct goals, in their order (InvalidPlanError if none): goals
        mode, and the symbolic completion of an invalid reply."""
        if not goals:
            raise InvalidPlanError("the reply names no goal")
        texts = list(dict.fromkeys(goal.text for goal in goals))
        try:
            return self._oracle(vocab.world).plan(", then ".join(texts), observation, skills).subgoals
        except InvalidPlanError as error:
            raise InvalidPlanError(f"the goals {texts} cannot be planned for: {error}") from None

    def feasible(self, observation: dict[str, Any]) -> Feasible:
        """Grounded decoding's rule: the vocabulary texts whose preconditions hold after a prefix, from this
        observation, by the world's symbolic `check` (targets are not asked for: the model picks them)."""
        vocab = self._vocab(observation)
        check = self._oracle(vocab.world).check
        if vocab.world not in self._choices:
            self._choices[vocab.world] = [vocab.parse(text) for text in vocab.texts]
        subgoals = self._choices[vocab.world]

        def feasible(prefix: Sequence[int]) -> list[int]:
            done = [subgoals[i] for i in prefix]
            allowed = []
            for index, subgoal in enumerate(subgoals):
                try:
                    check(done + [subgoal], observation)
                except InvalidPlanError:
                    continue
                allowed.append(index)
            return allowed

        return feasible

    def _vocab(self, observation: dict[str, Any]) -> Vocabulary:
        return vocabulary(str(observation.get("world") or self.config.world))

    def _oracle(self, world: str) -> Rules:
        return world_spec(world).load_rules()


_STOP_WORDS = frozenset(("a", "an", "the", "to", "of", "on", "in", "at", "and", "then", "with", "for", "me", "my", "i",
                         "you", "it", "up"))


def _content_words(text: str) -> set[str]:
    """Lower-case words, plural 's' dropped, without function words."""
    words = (word.lower() for word in re.findall(r"[A-Za-z]+", text))
    return {word[:-1] if len(word) > 3 and word.endswith("s") else word for word in words} - _STOP_WORDS


def names_something(instruction: str, vocab: Vocabulary) -> bool:
    """Some word of the instruction is, or shares a 4-letter-or-longer stem with, a word of the vocabulary
    ("wooden pick" names "wood pickaxe"; "rocket" names nothing in Crafter)."""
    known = vocabulary_words(vocab) | world_spec(vocab.world).load_language().related_words
    return any(word in known or any(min(len(word), len(other)) >= 4 and (word.startswith(other) or
                                                                         other.startswith(word)) for other in known)
               for word in _content_words(instruction))


def vocabulary_words(vocab: Vocabulary) -> set[str]:
    """The words that name things (objects, places, tools) in a world's subgoal texts; a text's first word, its
    verb ("make", "collect", "pick"), does not count."""
    return set().union(*(_content_words(" ".join(text.split()[1:])) for text in vocab.texts))
