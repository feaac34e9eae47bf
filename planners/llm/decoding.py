"""Greedy decoding on a causal LM with a reused KV cache, free or constrained to a JSON list of choices.

Constrained decoding walks token tries of the allowed list items (`["collect wood",` ... ` "place table"]`):
where the trie has one continuation the token is forced without running the model (forced tokens are fed
together at the next branch), so a plan costs one forward pass per real choice, not per token. The cache
keeps the longest common prefix between calls, so the system prompt and worked examples are computed once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class Trie:
    """Token trie of list items; `items` are the ids of the items below a node, `item` the one a leaf ends,
    `closes` whether that leaf ends the list (`]`) or continues it (`,`)."""

    children: dict[int, Trie] = field(default_factory=dict)
    items: set[int] = field(default_factory=set)
    item: int = -1
    closes: bool | None = None

    def add(self, tokens: Sequence[int], item: int, closes: bool) -> None:
        node = self
        node.items.add(item)
        for token in tokens:
            node = node.children.setdefault(token, Trie())
            node.items.add(item)
        node.item, node.closes = item, closes

    def allowed(self, banned: set[int]) -> list[int]:
        """Next tokens that still lead to an item not in `banned`."""
        return [token for token, child in self.children.items() if not child.items <= banned]


@dataclass
class ListGrammar:
    """Tries for the first item (it opens the list) and later items, with and without the option to go on."""

    first: Trie
    first_last: Trie
    later: Trie
    later_last: Trie

    @classmethod
    def build(cls, tokenizer: Any, choices: Sequence[str], allow_empty: bool = False) -> ListGrammar:
        tries = [Trie() for _ in range(4)]
        for item, choice in enumerate(choices):
            quoted = json.dumps(choice)
            for index, opening in ((0, "["), (2, " ")):
                for closing, closes in ((",", False), ("]", True)):
                    tokens = tokenizer.encode(opening + quoted + closing, add_special_tokens=False)
                    tries[index].add(tokens, item, closes)
                    if closes:
                        tries[index + 1].add(tokens, item, closes)
        if allow_empty:
            for index in (0, 1):
                tries[index].add(tokenizer.encode("[]", add_special_tokens=False), len(choices), True)
        return cls(*tries)


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

    @torch.inference_mode()
    def feed(self, tokens: list[int]) -> torch.Tensor:
        ids = torch.tensor([tokens], dtype=torch.long)
        out = self.model(input_ids=ids, past_key_values=self.cache, use_cache=True)
        self.cache = out.past_key_values
        self.tokens.extend(tokens)
        return out.logits[0, -1]


def decode_list(runner: CachedRunner, prompt: list[int], grammar: ListGrammar, max_items: int) -> list[int]:
    """Greedy tokens of a JSON list of distinct allowed items (1 to `max_items`; `[]` only if the grammar allows
    it). Items never repeat: a small model otherwise loops on one subgoal until the length limit."""
    logits = runner.start(prompt)
    pending: list[int] = []
    out: list[int] = []
    used: set[int] = set()
    for position in range(max(1, max_items)):
        last = position == max_items - 1 or len(used) + 1 >= len(grammar.first.items)
        node = (grammar.first_last if last else grammar.first) if position == 0 else (
            grammar.later_last if last else grammar.later)
        while node.children:
            allowed = node.allowed(used)
            if len(allowed) == 1:
                token = allowed[0]
            else:
                if pending:
                    logits, pending = runner.feed(pending), []
                candidates = torch.tensor(allowed)
                token = int(candidates[torch.argmax(logits[candidates])])
            pending.append(token)
            out.append(token)
            node = node.children[token]
        used.add(node.item)
        if node.closes:
            break
    return out


def decode_free(runner: CachedRunner, prompt: list[int], max_tokens: int, stop_tokens: set[int],
                tokenizer: Any, stop: Sequence[str] = ()) -> str:
    """Greedy text until a stop token, a stop string (cut off) or `max_tokens`."""
    logits = runner.start(prompt)
    out: list[int] = []
    for _ in range(max_tokens):
        token = int(torch.argmax(logits))
        if token in stop_tokens:
            break
        out.append(token)
        text = tokenizer.decode(out)
        cut = min((text.find(s) for s in stop if s and s in text), default=-1)
        if cut >= 0:
            return text[:cut]
        logits = runner.feed([token])
    return tokenizer.decode(out)
