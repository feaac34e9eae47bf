"""`embodied train-planner`: fine-tune the `mllm` planner (LoRA + image encoder/projector) on generated pairs.

Trained by the shared loop (embodied/trainer.py). The checkpoint directory `out` (the planner's adapter,
vision weights and config.json, written last so a run killed mid-save keeps the previous one readable) is
rewritten every `save_every` steps and at the end, with `checkpoints/last.pt` (optimiser and schedule state)
and `log.csv` beside it. Running again with the same `out` resumes from the saved step up to `steps`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from embodied.trainer import LoopSettings, TrainTask, fit
from planners.mllm.model import MLLM, MLLMModelConfig, Sample
from planners.mllm.pairs import dataset_states, make_pairs


@dataclass
class TrainPlannerConfig:
    """Knobs of one training run (experiments/conf/train_planner.yaml)."""

    steps: int = 300
    batch: int = 8
    lr: float = 1e-3
    warmup: int = 10
    image_dropout: float = 0.3  # share of image samples trained with the "no image" tokens instead
    pairs: int = 4000
    synthetic: float = 0.5  # share of pairs on generated text-only start states
    max_episodes: int = 0  # episodes read from each dataset (0 = all)
    seed: int = 0
    save_every: int = 50
    max_minutes: float = 0.0  # stop (and save) after this much training time (0 = no limit)
    threads: int = 1
    visual_tokens: int = 4
    lora_rank: int = 16
    world: str = "crafter"


@dataclass
class TrainPlannerResult:
    """What a run did: steps (total, including resumed ones), losses on a fixed probe batch, where it wrote."""

    out: str
    steps: int
    resumed_from: int
    seconds: float
    pairs: int
    probe_loss_before: float
    probe_loss_after: float
    final_loss: float  # mean training loss of the last 10 steps
    model: MLLM | None = field(default=None, repr=False)  # the trained model, in eval mode


class PlannerTask(TrainTask):
    """The mllm's trainable parts (LoRA adapters, image encoder and projector) on (state, instruction) -> plan
    pairs; each step's batch and image dropout are drawn from (seed, step), so a resumed run sees the same."""

    def __init__(self, model: MLLM, pairs: list[Sample], config: TrainPlannerConfig, out: str) -> None:
        self.model, self.pairs, self.config, self.out = model, pairs, config, out

    def parameters(self) -> list[torch.nn.Parameter]:
        return self.model.trainable()

    def loss(self, step: int) -> tuple[torch.Tensor, dict[str, float]]:
        rng = np.random.default_rng([self.config.seed, step])
        batch = [self.pairs[i] for i in rng.choice(len(self.pairs), min(self.config.batch, len(self.pairs)),
                                                   replace=False)]
        drop = [s.image is not None and bool(rng.random() < self.config.image_dropout) for s in batch]
        loss = self.model.loss(batch, drop)
        return loss, {"loss": float(loss.detach())}

    def state_dict(self) -> dict[str, Any]:
        lm = {name: p.detach().clone() for name, p in self.model.lm.named_parameters() if p.requires_grad}
        return {"lora": lm, "vision": self.model.vision.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        named = dict(self.model.lm.named_parameters())
        with torch.no_grad():
            for name, value in state["lora"].items():
                named[name].copy_(value)
        self.model.vision.load_state_dict(state["vision"])

    def export(self, step: int) -> None:
        self.model.config.step = step
        self.model.save(self.out)


def train_planner(datasets: Sequence[str], out: str, config: TrainPlannerConfig, progress: bool = True,
                  ) -> TrainPlannerResult:
    """Fine-tune (or resume fine-tuning of) the mllm planner in `out` with the shared training loop."""
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    states = dataset_states(datasets, config.max_episodes, config.world)
    pairs = make_pairs(states, config.pairs, config.seed + 1, config.synthetic, config.world)
    if not pairs:
        raise ValueError(f"train-planner: no training pairs from {list(datasets)}")
    if os.path.isfile(os.path.join(out, "config.json")):
        model = MLLM.load(out, config.threads)
    else:
        model = MLLM(MLLMModelConfig(world=config.world, visual_tokens=config.visual_tokens,
                                     lora_rank=config.lora_rank, lora_alpha=2 * config.lora_rank),
                     threads=config.threads)
    probe = [pairs[i] for i in np.random.default_rng(config.seed).choice(len(pairs), min(8, len(pairs)), False)]
    before = probe_loss(model, probe)
    os.makedirs(out, exist_ok=True)
    settings = LoopSettings(steps=config.steps, lr=config.lr, warmup_steps=config.warmup, lr_floor=0.1,
                            grad_clip=1.0, checkpoint_every=config.save_every, log_every=1,
                            max_minutes=config.max_minutes, name="train-planner", progress=progress)
    model.train()
    run = fit(PlannerTask(model, pairs, config, out), settings, out)
    model.eval()
    after = probe_loss(model, probe)
    return TrainPlannerResult(out, run.steps, run.resumed_from, run.seconds, len(pairs), before, after,
                              float(np.mean(run.losses[-10:])) if run.losses else float("nan"), model)


def probe_loss(model: MLLM, samples: list[Sample]) -> float:
    """Loss on fixed samples with their images, in eval mode (comparable before and after training)."""
    model.eval()
    with torch.no_grad():
        return float(model.loss(samples))
