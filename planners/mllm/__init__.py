"""Backend `mllm`: a LLaVA-style planner of the project's own (a small CNN + projector into the bundled
SmolLM2's token space, LoRA adapters), trained by `embodied train-planner`, decoding constrained to the
world's vocabulary and validated / repaired / replaced by the symbolic planner like every language planner."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from planners.language import LanguagePlanner, LanguagePlannerConfig


@dataclass
class MLLMConfig(LanguagePlannerConfig):
    """`checkpoint`: a directory written by `embodied train-planner` (required)."""

    checkpoint: str = ""
    threads: int = 1  # torch CPU threads; 0 leaves torch's default
    examples: int = 1  # the model ignores few-shot turns; keep the prompt the planner builds small


def MLLMPlanner(**kwargs: Any) -> LanguagePlanner:  # noqa: N802 (a factory registered like a class)
    """Build the `mllm` planner from config keys (experiments/conf/planner/mllm.yaml)."""
    from planners.mllm.model import MLLMChatModel

    config = MLLMConfig(**kwargs)
    shared = LanguagePlannerConfig(**{f.name: getattr(config, f.name) for f in fields(LanguagePlannerConfig)})
    return LanguagePlanner(MLLMChatModel(config.checkpoint, config.threads), shared, name="mllm")
