"""The `llm` planner's model run by llama.cpp (`llama-cpp-python`) on the GGUF file itself: `planner.runtime=llama.cpp`.

torch runs the de-quantised fp32 copy of the bundled Q4_1 GGUF; llama.cpp multiplies by the 4-bit weights
directly (a fifth of the memory traffic per forward) with its own CPU kernels. Tokens come from the same
transformers tokenizer, so the prompts, the tries of allowed items and the decoding are the torch runtime's;
only the logits differ (planners/LATENCY.md counts how many plans change). The runner keeps the KV caches of
up to `entries` earlier prompts, as PrefixCacheRunner does: the live one in the context and the others as
saved sequence states, restored when a prompt shares more leading tokens with one of them.
"""

from __future__ import annotations

import ctypes
import importlib.util
from typing import Any

import numpy as np
import torch

from embodied.registry import MissingDependencyError
from planners.llm.cache import common_prefix

BUILD_HINT = ('CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" '
              'pip install llama-cpp-python==0.3.36')


class LlamaCppRunner:
    """Feeds tokens to a llama.cpp context (sequence 0) and reuses the longest cached prefix of a prompt;
    `feed` returns the logits after the last token fed, `scores` picks the candidates' from them."""

    def __init__(self, path: str, threads: int = 1, entries: int = 16, context: int = 4096) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise MissingDependencyError(f"planner.runtime=llama.cpp needs llama-cpp-python: `{BUILD_HINT}`")
        import llama_cpp

        self.lib = llama_cpp
        threads = max(1, threads)
        self.llm = llama_cpp.Llama(model_path=path, n_ctx=context, n_batch=512, n_threads=threads,
                                   n_threads_batch=threads, logits_all=False, verbose=False)
        self.context, self.vocab = context, self.llm.n_vocab()
        self.entries = max(1, entries)
        self.tokens: list[int] = []  # what the live context holds
        self.store: list[tuple[list[int], Any]] = []  # saved (tokens, state) of other prompts, LRU first

    def begin(self, prompt: list[int]) -> tuple[None, list[int]]:
        """Continue from the live cache or a saved one, whichever shares most of `prompt`; (None, the tokens
        still to feed: at least one)."""
        if len(prompt) >= self.context:
            raise ValueError(f"llm planner: the prompt has {len(prompt)} tokens, llama.cpp's context {self.context}")
        limit = len(prompt) - 1
        shared, best = common_prefix(self.tokens, prompt, limit), -1
        for index, (tokens, _) in enumerate(self.store):
            n = common_prefix(tokens, prompt, limit)
            if n > shared:
                best, shared = index, n
        if best >= 0:  # switch to a saved state, keeping the live one
            tokens, state = self.store.pop(best)
            self.save()
            self.restore(state)
            self.tokens = tokens
        elif shared < len(self.tokens):  # the live context is cut back: keep it whole as a saved state
            self.save()
        self.tokens = self.tokens[:shared]
        self.llm.n_tokens = shared  # Llama.eval drops the cache from here on
        return None, prompt[shared:]

    def start(self, prompt: list[int]) -> torch.Tensor:
        return self.feed(self.begin(prompt)[1])

    def feed(self, tokens: list[int]) -> torch.Tensor:
        if len(self.tokens) + len(tokens) >= self.context:
            raise ValueError(f"llm planner: more than llama.cpp's context of {self.context} tokens")
        self.llm.eval(tokens)
        self.tokens = self.tokens + list(tokens)
        logits = self.lib.llama_get_logits_ith(self.llm.ctx, -1)
        return torch.from_numpy(np.ctypeslib.as_array(logits, shape=(self.vocab,)).copy())

    def scores(self, logits: torch.Tensor, candidates: list[int] | None = None) -> torch.Tensor:
        return logits if candidates is None else logits[torch.tensor(candidates)]

    def save(self) -> None:
        """Keep the live cache as a saved state (most recently used), unless another entry already holds it."""
        if not self.tokens or any(tokens[:len(self.tokens)] == self.tokens for tokens, _ in self.store):
            return
        ctx = self.llm.ctx
        size = self.lib.llama_state_seq_get_size(ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        self.lib.llama_state_seq_get_data(ctx, buffer, size, 0)
        self.store.append((self.tokens, buffer))
        surplus = len(self.store) - (self.entries - 1)  # the live cache is one of the entries
        if surplus > 0:
            del self.store[:surplus]

    def restore(self, state: Any) -> None:
        ctx = self.llm.ctx
        self.llm._ctx.kv_cache_seq_rm(0, 0, -1)  # noqa: SLF001 (the binding's only handle on the memory)
        if self.lib.llama_state_seq_set_data(ctx, state, len(state), 0) == 0:
            raise RuntimeError("llama.cpp could not restore a saved KV cache")
