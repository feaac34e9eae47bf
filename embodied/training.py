"""ONE generic trainer for every policy: windows from HDF5 -> policy.forward loss -> AdamW.

A run directory holds `policy/` (the self-contained checkpoint, refreshed at every checkpoint),
`checkpoints/last.pt` (weights, optimiser, scheduler, step and RNG state, written atomically) and
`log.csv`. Starting again on the same directory resumes from the last checkpoint.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from embodied.datasets.windows import WindowDataset
from embodied.distributed import Distributed
from policies.base import Features, Policy, policy_class


@dataclass
class TrainConfig:
    """Optimisation settings shared by all policies."""

    steps: int = 2000
    batch_size: int = 64
    lr: float = 3e-4
    weight_decay: float = 1e-4
    warmup_steps: int = 100
    grad_clip: float = 1.0
    checkpoint_every: int = 500
    log_every: int = 25
    device: str = "auto"  # auto: cuda when present
    amp: bool = False  # bfloat16 autocast on cuda
    ema_decay: float = 0.0  # > 0 keeps an exponential moving average of the weights (saved as the policy)
    seed: int = 0


@dataclass
class TrainRun:
    """What a finished (or resumed and finished) run produced."""

    out: str
    steps: int
    final_loss: float
    seconds: float
    resumed_from: int = 0
    history: list[dict[str, float]] = field(default_factory=list)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def build_policy(name: str, overrides: dict[str, Any], dataset_paths: list[str]) -> tuple[Policy, WindowDataset]:
    """Policy sized from the dataset (shapes, action space, goal vocabulary) plus its windows."""
    cls = policy_class(name)
    config = cls.config_class(**overrides)
    dataset = WindowDataset(dataset_paths, cls.window_for(config))
    args = dataset.env_args
    features = Features(
        obs_shapes={k: tuple(v.shape[1:]) for k, v in dataset.obs.items()},
        action_dim=int(args["action_dim"]), discrete=bool(args["discrete"]),
        goal_texts=dataset.goal_texts, env_name=dataset.env_name, env_kwargs=dict(args.get("env_kwargs") or {}),
    )
    return cls(config, features, dataset.low_dim_stats()), dataset


def train(dataset_paths: list[str], policy_name: str, policy_overrides: dict[str, Any], config: TrainConfig,
          out: str) -> TrainRun:
    """Train (or resume training of) a policy; returns where it is and how it went."""
    torch.manual_seed(config.seed)
    device = resolve_device(config.device)
    ddp = Distributed.from_env(device)  # torchrun: this rank's slice of each global batch (embodied.distributed)
    device = ddp.device or device
    policy, dataset = build_policy(policy_name, policy_overrides, dataset_paths)
    policy.to(device).train()
    ema = copy.deepcopy(policy).eval().requires_grad_(False) if config.ema_decay > 0 else None
    optimizer = torch.optim.AdamW(policy.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(config))
    rng = np.random.default_rng(config.seed)
    checkpoint = os.path.join(out, "checkpoints", "last.pt")
    start = _resume(checkpoint, policy, ema, optimizer, scheduler, rng) if os.path.exists(checkpoint) else 0
    os.makedirs(os.path.dirname(checkpoint), exist_ok=True)
    if ddp.is_main:
        _write_run_json(out, dataset_paths, policy_name, policy_overrides, config)
    log = _CsvLog(os.path.join(out, "log.csv"), append=start > 0 or not ddp.is_main)
    batches, model = ddp.shard(dataset.batches(config.batch_size, rng)), ddp.wrap(policy)
    began, history, loss_value = time.time(), [], float("nan")
    bar = tqdm(range(start, config.steps), initial=start, total=config.steps, desc=f"train {policy_name}",
               disable=not ddp.is_main)
    for step in bar:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.amp and device.type == "cuda"):
            loss, logs = model(policy.prepare(batch := next(batches)))
            loss = ddp.scale(loss, batch)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"non-finite loss {loss.item()} at step {step}; lower train.lr")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), config.grad_clip)
        optimizer.step()
        scheduler.step()
        if ema is not None:
            _ema_update(ema, policy, config.ema_decay)
        loss_value = logs.get("loss", float(loss.detach()))
        if (step + 1) % config.log_every == 0 or step + 1 == config.steps:
            row = {"step": step + 1, **ddp.logs(logs, loss), "lr": scheduler.get_last_lr()[0],
                   "seconds": time.time() - began}
            history.append(row)
            if ddp.is_main:
                log.write(row)
            bar.set_postfix(loss=f"{loss_value:.4f}")
        if ddp.is_main and ((step + 1) % config.checkpoint_every == 0 or step + 1 == config.steps):
            _save(checkpoint, out, step + 1, policy, ema, optimizer, scheduler, rng)
    bar.close()
    ddp.close()
    if start >= config.steps and ddp.is_main:  # nothing left to do: make sure the exported policy exists
        (ema or policy).save(os.path.join(out, "policy"))
    return TrainRun(out, config.steps, loss_value, time.time() - began, start, history)


def _schedule(config: TrainConfig):
    def factor(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / config.warmup_steps
        progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return factor


@torch.no_grad()
def _ema_update(ema: Policy, policy: Policy, decay: float) -> None:
    for target, source in zip(ema.parameters(), policy.parameters(), strict=True):
        target.lerp_(source, 1 - decay)
    for target, source in zip(ema.buffers(), policy.buffers(), strict=True):  # statistics, caches: copied
        target.copy_(source)


def _save(path: str, out: str, step: int, policy: Policy, ema: Policy | None, optimizer, scheduler,
          rng: np.random.Generator) -> None:
    state = {"step": step, "model": policy.state_dict(), "ema": ema.state_dict() if ema else None,
             "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
             "numpy_rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state()}
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)
    (ema or policy).save(os.path.join(out, "policy"))


def _resume(path: str, policy: Policy, ema: Policy | None, optimizer, scheduler, rng: np.random.Generator) -> int:
    state = torch.load(path, map_location=policy.device, weights_only=False)
    policy.load_state_dict(state["model"])
    if ema is not None and state.get("ema"):
        ema.load_state_dict(state["ema"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    rng.bit_generator.state = state["numpy_rng"]
    torch.set_rng_state(state["torch_rng"])
    tqdm.write(f"resuming from {path} at step {state['step']}")
    return int(state["step"])


def _write_run_json(out: str, paths: list[str], policy: str, overrides: dict[str, Any], config: TrainConfig) -> None:
    with open(os.path.join(out, "run.json"), "w") as handle:
        json.dump({"datasets": [os.path.abspath(p) for p in paths], "policy": policy, "policy_config": overrides,
                   "train": dataclasses.asdict(config)}, handle, indent=2)


class _CsvLog:
    """Appends rows to log.csv (header written once)."""

    def __init__(self, path: str, append: bool) -> None:
        self.path = path
        self.header_written = append and os.path.exists(path)
        if not append and os.path.exists(path):
            os.remove(path)

    def write(self, row: dict[str, float]) -> None:
        with open(self.path, "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(row))
            if not self.header_written:
                writer.writeheader()
                self.header_written = True
            writer.writerow(row)
