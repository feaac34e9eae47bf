"""`embodied train-planner`: fine-tune the `mllm` planner (LoRA + image encoder/projector) on generated pairs.

The checkpoint directory `out` is rewritten every `save_every` steps and at the end (config.json last, so a
run killed mid-save keeps the previous one readable); `optimizer.pt` and `log.csv` (step, loss, lr, seconds)
sit beside it. Running again with the same `out` resumes from the saved step and trains up to `steps`.
"""

from __future__ import annotations

import csv
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

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


def train_planner(datasets: Sequence[str], out: str, config: TrainPlannerConfig, progress: bool = True,
                  ) -> TrainPlannerResult:
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    states = dataset_states(datasets, config.max_episodes, config.world)
    pairs = make_pairs(states, config.pairs, config.seed + 1, config.synthetic, config.world)
    if not pairs:
        raise ValueError(f"train-planner: no training pairs from {list(datasets)}")
    resumed = os.path.isfile(os.path.join(out, "config.json"))
    if resumed:
        model = MLLM.load(out, config.threads)
    else:
        model = MLLM(MLLMModelConfig(world=config.world, visual_tokens=config.visual_tokens,
                                     lora_rank=config.lora_rank, lora_alpha=2 * config.lora_rank),
                     threads=config.threads)
    start = model.config.step
    optimizer = torch.optim.AdamW(model.trainable(), lr=config.lr, weight_decay=0.0)
    if resumed and os.path.isfile(os.path.join(out, "optimizer.pt")):
        optimizer.load_state_dict(torch.load(os.path.join(out, "optimizer.pt"), weights_only=True))
    probe = [pairs[i] for i in np.random.default_rng(config.seed).choice(len(pairs), min(8, len(pairs)), False)]
    before = probe_loss(model, probe)
    os.makedirs(out, exist_ok=True)
    log_path = os.path.join(out, "log.csv")
    new_log = not os.path.isfile(log_path)
    began, losses = time.time(), []
    bar = _bar(range(start, config.steps), progress, start, config.steps)
    with open(log_path, "a", newline="") as file:
        writer = csv.writer(file)
        if new_log:
            writer.writerow(["step", "loss", "lr", "seconds"])
        model.train()
        for step in bar:
            rng = np.random.default_rng([config.seed, step])
            batch = [pairs[i] for i in rng.choice(len(pairs), min(config.batch, len(pairs)), replace=False)]
            drop = [s.image is not None and bool(rng.random() < config.image_dropout) for s in batch]
            lr = _lr(step, config)
            for group in optimizer.param_groups:
                group["lr"] = lr
            loss = model.loss(batch, drop)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.trainable(), 1.0)
            optimizer.step()
            losses.append(float(loss.detach()))
            writer.writerow([step + 1, f"{losses[-1]:.5f}", f"{lr:.2e}", f"{time.time() - began:.1f}"])
            file.flush()
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{losses[-1]:.3f}")
            model.config.step = step + 1
            if (step + 1) % config.save_every == 0:
                _save(model, optimizer, out)
            if config.max_minutes and time.time() - began > 60 * config.max_minutes:
                break
    model.eval()
    _save(model, optimizer, out)
    after = probe_loss(model, probe)
    return TrainPlannerResult(out, model.config.step, start, time.time() - began, len(pairs), before, after,
                              float(np.mean(losses[-10:])) if losses else float("nan"), model)


def probe_loss(model: MLLM, samples: list[Sample]) -> float:
    """Loss on fixed samples with their images, in eval mode (comparable before and after training)."""
    model.eval()
    with torch.no_grad():
        return float(model.loss(samples))


def _lr(step: int, config: TrainPlannerConfig) -> float:
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    progress = (step - config.warmup) / max(1, config.steps - config.warmup)
    return config.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def _save(model: MLLM, optimizer: torch.optim.Optimizer, out: str) -> None:
    torch.save(optimizer.state_dict(), os.path.join(out, "optimizer.pt"))
    model.save(out)


def _bar(steps: range, progress: bool, start: int, total: int):
    if not progress:
        return steps
    from tqdm import tqdm

    return tqdm(steps, desc="train-planner", initial=start, total=total, dynamic_ncols=True)
