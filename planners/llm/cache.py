"""A runner that keeps the KV caches of several earlier calls (LRU) and reuses the longest common prefix.

Plan prompts share their system message and often their first worked examples, but not always with the
previous call: the examples are chosen per instruction, and an explain or repair call in between replaces a
single cached prefix. Each call here starts from the stored entry that shares most leading tokens with the
prompt (the entry itself when all of it is shared, else a copy cut there), feeds the rest of the prompt
together with the reply's first forced tokens, and scores only the last position and only the candidate
tokens (the vocabulary projection is a fifth of the model's weights).
"""

from __future__ import annotations

from typing import Any

import torch

from planners.llm.decoding import CachedRunner, forward_cached


def common_prefix(a: list[int], b: list[int], limit: int) -> int:
    """How many leading tokens `a` and `b` share, at most `limit`."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if n >= limit or x != y:
            break
        n += 1
    return n


def copy_prefix(cache: Any, length: int) -> Any:
    """A new DynamicCache holding the first `length` positions of `cache` (the original is left whole)."""
    from transformers import DynamicCache

    copy = DynamicCache()
    for index, layer in enumerate(cache.layers):
        copy.update(layer.keys[:, :, :length].clone(), layer.values[:, :, :length].clone(), index)
    return copy


class PrefixCacheRunner(CachedRunner):
    """CachedRunner with up to `entries` caches; `feed` returns the last hidden state (D,), `scores` the
    logits of chosen tokens from it."""

    def __init__(self, model: Any, entries: int = 16) -> None:
        super().__init__(model)
        self.entries = max(1, entries)
        self.store: list[tuple[list[int], Any]] = []  # (tokens, cache), least recently used first
        self.decoder = model.get_decoder()
        self.head = model.get_output_embeddings()

    def begin(self, prompt: list[int]) -> tuple[None, list[int]]:
        """Select the cache for `prompt`; (None, its tokens still to feed: at least one)."""
        from transformers import DynamicCache

        best, shared = -1, 0
        for index, (tokens, _) in enumerate(self.store):
            n = common_prefix(tokens, prompt, len(prompt) - 1)
            if n > shared:
                best, shared = index, n
        if best < 0:
            self.tokens, self.cache = [], DynamicCache()
        else:
            tokens, cache = self.store.pop(best)
            if shared == len(tokens):  # the whole entry starts the prompt: extend it in place
                self.tokens, self.cache = tokens, cache
            else:
                self.store.append((tokens, cache))  # kept whole, most recently used
                self.tokens, self.cache = prompt[:shared], copy_prefix(cache, shared)
        self.store.append((self.tokens, self.cache))
        del self.store[:-self.entries]
        return None, prompt[shared:]

    def start(self, prompt: list[int]) -> torch.Tensor:
        return self.feed(self.begin(prompt)[1])

    @torch.inference_mode()
    def feed_all(self, tokens: list[int]) -> torch.Tensor:
        ids = torch.tensor([tokens], dtype=torch.long)
        out, self.cache = forward_cached(self.decoder, self.cache, input_ids=ids)
        self.tokens.extend(tokens)
        self.store[-1] = (self.tokens, self.cache)
        return out.last_hidden_state[0]

    def rewind(self, count: int) -> None:
        super().rewind(count)
        self.store[-1] = (self.tokens, self.cache)

    @torch.inference_mode()
    def scores(self, hidden: torch.Tensor, candidates: list[int] | None = None) -> torch.Tensor:
        if candidates is None:
            return self.head(hidden)
        weight = self.head.weight[torch.tensor(candidates)]
        logits = weight @ hidden
        return logits if self.head.bias is None else logits + self.head.bias[torch.tensor(candidates)]
