"""Backend `llm`: the bundled SmolLM2-135M-Instruct, few-shot prompted, constrained to the vocabulary."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from planners.language import LanguagePlanner, LanguagePlannerConfig


@dataclass
class LLMConfig(LanguagePlannerConfig):
    """The local model: `model` is a .gguf file or a model directory ("" = the bundled SmolLM2 GGUF)."""

    model: str = ""
    threads: int = 1  # torch CPU threads; 0 leaves torch's default
    expand: bool = True  # goals mode: the most accurate setting measured on Crafter and kitchen (README)
    prefix_cache: int = 16  # KV caches of earlier prompts kept for reuse (0 = only the previous call's)
    quantize: str = ""  # "int8" / "int8-mlp" / "int8-attn": dynamically quantised decoder layers (planners/LATENCY.md)
    runtime: str = "torch"  # or "llama.cpp": the GGUF run by llama-cpp-python (planners/LATENCY.md)
    draft: str = "guess"  # speculative decoding: guess / example (the last worked example's reply) / "" none
    onednn: bool = True  # fp32 matmuls through oneDNN (planners/llm/onednn.py); false: torch's default BLAS


def LLMPlanner(**kwargs: Any) -> LanguagePlanner:  # noqa: N802 (a factory registered like a class)
    """Build the `llm` planner from config keys (experiments/conf/planner/llm.yaml)."""
    from planners.llm.model import LocalChatModel

    config = LLMConfig(**kwargs)
    shared = LanguagePlannerConfig(**{f.name: getattr(config, f.name) for f in fields(LanguagePlannerConfig)})
    model = LocalChatModel(config.model, config.threads, config.prefix_cache, config.quantize,
                           config.runtime, config.draft, config.onednn)
    return LanguagePlanner(model, shared, name="llm")
