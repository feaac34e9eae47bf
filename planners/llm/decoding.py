"""Greedy decoding on a causal LM with a reused KV cache, free or constrained to a JSON list of choices.

Constrained decoding walks token tries of the allowed list items (`["collect wood",` ... ` "place table"]`):
where the trie has one continuation the token is forced without running the model (forced tokens are fed
together at the next branch), so a plan costs one forward pass per real choice, not per token. The cache
keeps the longest common prefix between calls, so the system prompt and worked examples are computed once.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from planners.language import Feasible


@functools.cache
def _cache_keyword(model_class: type) -> str:
    return "cache" if "cache" in inspect.signature(model_class.forward).parameters else "past_key_values"


def forward_cached(model: Any, cache: Any, **inputs: Any) -> tuple[Any, Any]:
    """`model(**inputs)` continuing `cache`: (the output, the grown cache). transformers 5 renamed the argument
    and the output field `past_key_values` to `cache` (the old name warns, and goes in 5.40); whichever the
    installed model's forward takes is used (looked up once per model class)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model  # a peft wrapper forwards kwargs
    key = _cache_keyword(type(base))
    out = model(**inputs, **{key: cache}, use_cache=True)
    return out, getattr(out, key)


@dataclass
class Trie:
    """Token trie of list items. An item is the choice index `i` ending the list (id `2 * i + 1`, `"...", ]`)
    or continuing it (id `2 * i`, `"...",`); `ids` are the items below a node, `id` the one a leaf ends."""

    children: dict[int, Trie] = field(default_factory=dict)
    ids: set[int] = field(default_factory=set)
    id: int = -1

    def add(self, tokens: Sequence[int], id: int) -> None:  # noqa: A002 (the item's id)
        node = self
        node.ids.add(id)
        for token in tokens:
            node = node.children.setdefault(token, Trie())
            node.ids.add(id)
        node.id = id

    def allowed(self, banned: set[int]) -> list[int]:
        """Next tokens that still lead to an item not in `banned`."""
        return [token for token, child in self.children.items() if not child.ids <= banned]


@dataclass
class ListGrammar:
    """Tries of the first list item (it opens the list with `[`) and of later items (after `, `); `spellings`
    holds each item's tokens by (first in the list?, item id)."""

    first: Trie
    later: Trie
    size: int
    spellings: dict[tuple[bool, int], list[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, tokenizer: Any, choices: Sequence[str]) -> ListGrammar:
        first, later, spellings = Trie(), Trie(), {}
        for index, choice in enumerate(choices):
            quoted = json.dumps(choice)
            for trie, opening in ((first, "["), (later, " ")):
                for closing, closes in ((",", 0), ("]", 1)):
                    tokens = tokenizer.encode(opening + quoted + closing, add_special_tokens=False)
                    trie.add(tokens, 2 * index + closes)
                    spellings[trie is first, 2 * index + closes] = tokens
        return cls(first, later, len(choices), spellings)

    def spell(self, position: int, items: Sequence[int]) -> list[int]:
        """The tokens of choices `items` as the list's items from `position` on, the last one closing it."""
        tokens: list[int] = []
        for offset, item in enumerate(items):
            tokens += self.spellings[position + offset == 0, 2 * item + (offset == len(items) - 1)]
        return tokens


class CachedRunner:
    """Feeds tokens to a causal LM, keeping the KV cache of everything fed so far for the next call."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.cache: Any = None
        self.tokens: list[int] = []

    @torch.inference_mode()
    def start(self, prompt: list[int]) -> torch.Tensor:
        """Logits (V,) after `prompt`, reusing the cached common prefix with the previous call."""
        from transformers import DynamicCache

        common = 0
        for a, b in zip(self.tokens, prompt, strict=False):
            if a != b:
                break
            common += 1
        common = min(common, len(prompt) - 1)  # at least one token is fed, to get its logits
        if self.cache is None or common == 0:
            self.cache, self.tokens, common = DynamicCache(), [], 0
        elif common < len(self.tokens):
            self.cache.crop(common - len(self.tokens))
            self.tokens = self.tokens[:common]
        return self.feed(prompt[common:])

    def feed(self, tokens: list[int]) -> torch.Tensor:
        return self.feed_all(tokens)[-1]

    @torch.inference_mode()
    def feed_all(self, tokens: list[int]) -> torch.Tensor:
        """Like `feed`, but what it gives after each of the tokens: (len(tokens), ...)."""
        ids = torch.tensor([tokens], dtype=torch.long)
        out, self.cache = forward_cached(self.model, self.cache, input_ids=ids)
        self.tokens.extend(tokens)
        return out.logits[0]

    def rewind(self, count: int) -> None:
        """Forget the last `count` tokens fed."""
        self.cache.crop(-count)
        self.tokens = self.tokens[:len(self.tokens) - count]

    def begin(self, prompt: list[int]) -> tuple[torch.Tensor | None, list[int]]:
        """(logits after `prompt`, tokens still to feed): here the prompt is fed at once, nothing is left."""
        return self.start(prompt), []

    def scores(self, logits: torch.Tensor, candidates: list[int] | None = None) -> torch.Tensor:
        """Logits of the `candidates` tokens (all when None) from what `feed` returned."""
        return logits if candidates is None else logits[torch.tensor(candidates)]


class Guess:
    """A guessed reply (choice indices) that `decode_list` checks as it decodes: speculative decoding (Leviathan
    et al., 2023) with a guess in place of the draft model. The guess's tokens are fed with the next forward
    pass, and each later choice of the model is read from the position the guess already holds as long as the
    two agree, so an agreeing guess costs one forward pass for the whole reply. Where they part, the guess's fed
    positions are dropped from the cache and the rest is spelled again from there (the guessed item that starts
    like the model's, or the guessed items not yet chosen from the next item on). Holds the guessed tokens not
    yet fed (`unfed`), those fed but not yet chosen (`ahead`) and what the runner gave after each of them."""

    def __init__(self, runner: CachedRunner, grammar: ListGrammar, items: Sequence[int]) -> None:
        self.runner, self.grammar = runner, grammar
        self.items = list(items) if callable(getattr(runner, "rewind", None)) else []
        self.unfed: list[int] = []
        self.ahead: list[int] = []
        self.ahead_outputs: list[torch.Tensor] = []
        self.left: list[int] = []

    def start_item(self, position: int, chosen: list[int]) -> None:
        """At the start of the list's item `position`: spell the guessed items not chosen yet, if idle."""
        self.left = [item for item in self.items if item not in chosen]
        if not self.ahead and not self.unfed and self.left:
            self.unfed = self.grammar.spell(position, self.left)

    def feed(self, pending: list[int]) -> torch.Tensor:
        """Feed `pending` (and the unfed guess with it, in the same forward): what the runner gives after it."""
        if not self.unfed:
            return self.runner.feed(pending)
        outputs = self.runner.feed_all(pending + self.unfed)
        self.ahead, self.ahead_outputs, self.unfed = self.unfed, list(outputs[len(pending):]), []
        return outputs[len(pending) - 1]

    def take(self, token: int, position: int, spelled: list[int]) -> tuple[bool, torch.Tensor | None]:
        """The model chose `token` (`spelled`: this item's tokens so far, it included): (whether the token
        must still be fed, what the runner gave after it if it was fed ahead)."""
        expected = self.ahead[0] if self.ahead else self.unfed[0] if self.unfed else None
        if expected == token:  # the guess goes on
            if self.ahead:
                self.ahead.pop(0)
                return False, self.ahead_outputs.pop(0)
            self.unfed.pop(0)
            return True, None
        self.finish()  # the model parts from the guess: its fed positions go
        if expected is not None:  # guess again: a guessed item spelled as the model has begun this one
            for index, item in enumerate(self.left):
                spelling = self.grammar.spellings[position == 0, 2 * item + (index == len(self.left) - 1)]
                if spelling[:len(spelled)] == spelled:
                    self.unfed = spelling[len(spelled):] + self.grammar.spell(position + 1, self.left[index + 1:])
                    break
        return True, None

    def finish(self) -> None:
        """Drop the guessed positions fed but not chosen from the runner's cache, and the rest of the guess."""
        if self.ahead:
            self.runner.rewind(len(self.ahead))
        self.ahead, self.ahead_outputs, self.unfed = [], [], []


def decode_list(runner: CachedRunner, prompt: list[int], grammar: ListGrammar, max_items: int,
                feasible: Feasible | None = None, draft: Sequence[int] = ()) -> list[int]:
    """Greedy tokens of a JSON list of 1 to `max_items` distinct allowed items.

    Items never repeat: a small model otherwise loops on one subgoal until the length limit. With `feasible`
    (grounded decoding, as SayCan scores skills by affordance) each item must be one the world's rules allow
    after the items before it, and the list may go on past an item only if something can follow it; where
    nothing is feasible at the start, any item is allowed and validation reports why.

    `draft` (choice indices: a guessed reply, see `Guess`) saves forward passes; the reply is the same with any
    guess or none.
    """
    logits, pending = runner.begin(prompt)
    guess = Guess(runner, grammar, draft)
    out: list[int] = []
    chosen: list[int] = []
    everything = set(range(grammar.size))
    memo: dict[tuple[int, ...], set[int]] = {}

    def can_follow(prefix: list[int]) -> set[int]:
        key = tuple(prefix)
        if key not in memo:
            memo[key] = (everything if feasible is None else set(feasible(prefix)) & everything) - set(prefix)
        return memo[key]

    for position in range(max(1, max_items)):
        allowed = can_follow(chosen) or everything - set(chosen)
        banned = {2 * i + closes for i in everything - allowed for closes in (0, 1)}
        if position == max_items - 1:
            banned |= {2 * i for i in everything}
        node, looked, spelled = (grammar.first if position == 0 else grammar.later), set(), []
        guess.start_item(position, chosen)
        while node.children:
            live = {id // 2 for id in node.ids - banned}
            if len(live) == 1 and (item := live.pop()) not in looked:
                looked.add(item)
                if not can_follow(chosen + [item]):
                    banned.add(2 * item)  # nothing could follow this item: it must end the list
            tokens = node.allowed(banned)
            if len(tokens) == 1:
                token = tokens[0]
            else:
                if pending:
                    logits, pending = guess.feed(pending), []
                token = tokens[int(torch.argmax(runner.scores(logits, tokens)))]
            spelled.append(token)
            out.append(token)
            node = node.children[token]
            unfed, fed_ahead = guess.take(token, position, spelled)
            if unfed:
                pending.append(token)
            else:
                logits = fed_ahead
        chosen.append(node.id // 2)
        if node.id % 2:
            break
    guess.finish()
    return out


def decode_free(runner: CachedRunner, prompt: list[int], max_tokens: int, stop_tokens: set[int],
                tokenizer: Any, stop: Sequence[str] = ()) -> str:
    """Greedy text until a stop token, a stop string (cut off) or `max_tokens`."""
    logits = runner.start(prompt)
    out: list[int] = []
    for _ in range(max_tokens):
        token = int(torch.argmax(runner.scores(logits)))
        if token in stop_tokens:
            break
        out.append(token)
        text = tokenizer.decode(out)
        cut = min((text.find(s) for s in stop if s and s in text), default=-1)
        if cut >= 0:
            return text[:cut]
        logits = runner.feed([token])
    return tokenizer.decode(out)
