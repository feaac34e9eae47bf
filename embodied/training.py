"""ONE generic trainer for every policy: windows from HDF5 -> policy.forward loss -> AdamW.

A run directory holds `policy/` (the self-contained checkpoint, refreshed at every checkpoint),
`checkpoints/last.pt` (weights, optimiser, scheduler, step and RNG state, written atomically) and
`log.csv`. Checkpoints are written every `checkpoint_every` steps and at least every `checkpoint_seconds`;
SIGINT/SIGTERM finish the current step, write a last checkpoint and the policy, and return. Starting again on
the same directory resumes from the last checkpoint and continues `log.csv` (steps and seconds).
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import json
import math
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from embodied.datasets.windows import WindowDataset
from embodied.ranges import check_ranges
from embodied.types import CheckpointError
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
    checkpoint_seconds: float = 60.0  # also checkpoint when this long has passed since the last one
    log_every: int = 25
    device: str = "auto"  # auto: cuda when present
    amp: bool = False  # bfloat16 autocast on cuda
    ema_decay: float = 0.0  # > 0 keeps an exponential moving average of the weights (saved as the policy)
    seed: int = 0

    def __post_init__(self) -> None:
        check_ranges(self, "train", positive=("steps", "batch_size", "lr", "checkpoint_every", "log_every"),
                     non_negative=("weight_decay", "warmup_steps", "grad_clip", "checkpoint_seconds"),
                     unit=("ema_decay",))


@dataclass
class TrainRun:
    """What a finished (or resumed and finished) run produced."""

    out: str
    steps: int
    final_loss: float
    seconds: float
    resumed_from: int = 0
    interrupted: bool = False  # stopped by SIGINT/SIGTERM after writing a checkpoint and the policy
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
    policy, dataset = build_policy(policy_name, policy_overrides, dataset_paths)
    policy.to(device).train()
    ema = copy.deepcopy(policy).eval().requires_grad_(False) if config.ema_decay > 0 else None
    optimizer = torch.optim.AdamW(policy.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(config))
    rng = np.random.default_rng(config.seed)
    state = _State(policy, ema, optimizer, scheduler, rng)
    checkpoint = os.path.join(out, "checkpoints", "last.pt")
    start, elapsed = _resume(checkpoint, state) if os.path.exists(checkpoint) else (0, 0.0)
    os.makedirs(os.path.dirname(checkpoint), exist_ok=True)
    _write_run_json(out, dataset_paths, policy_name, policy_overrides, config)
    log = _CsvLog(os.path.join(out, "log.csv"), keep_upto=start)
    batches = dataset.batches(config.batch_size, rng)
    began, saved_at, history, loss_value, done = time.time() - elapsed, time.time(), [], float("nan"), start
    with _StopOnSignal() as stop:
        bar = tqdm(range(start, config.steps), initial=start, total=config.steps, desc=f"train {policy_name}")
        for step in bar:
            logs = _step(state, next(batches), config, device, step)
            loss_value, done = logs["loss"], step + 1
            if done % config.log_every == 0 or done == config.steps:
                row = {"step": done, **logs, "lr": scheduler.get_last_lr()[0], "seconds": time.time() - began}
                history.append(row)
                log.write(row)
                bar.set_postfix(loss=f"{loss_value:.4f}")
            if (done % config.checkpoint_every == 0 or done == config.steps or stop.requested
                    or time.time() - saved_at >= config.checkpoint_seconds):
                _save(checkpoint, out, done, state, time.time() - began)
                saved_at = time.time()
            if stop.requested:
                break
        bar.close()
    if start >= config.steps:  # nothing left to do: make sure the exported policy exists
        (ema or policy).save(os.path.join(out, "policy"))
    interrupted = stop.requested and done < config.steps
    return TrainRun(out, done, loss_value, time.time() - began, start, interrupted, history)


@dataclass
class _State:
    """Everything a checkpoint holds besides the step: weights, EMA, optimiser, schedule, data-order RNG."""

    policy: Policy
    ema: Policy | None
    optimizer: torch.optim.Optimizer
    scheduler: Any
    rng: np.random.Generator


def _step(state: _State, batch: dict[str, Any], config: TrainConfig, device: torch.device, step: int) -> dict:
    """One optimiser step on a batch; returns the scalars to log (with "loss")."""
    policy = state.policy
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.amp and device.type == "cuda"):
        loss, logs = policy(policy.prepare(batch))
    if not torch.isfinite(loss):
        raise FloatingPointError(f"non-finite loss {loss.item()} at step {step}; lower train.lr")
    state.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(policy.parameters(), config.grad_clip)
    state.optimizer.step()
    state.scheduler.step()
    if state.ema is not None:
        _ema_update(state.ema, policy, config.ema_decay)
    return {**logs, "loss": logs.get("loss", float(loss.detach()))}


class _StopOnSignal:
    """While active, SIGINT/SIGTERM only set `requested` (the loop checkpoints and stops); a second one aborts."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        tqdm.write(f"{signal.Signals(signum).name}: finishing this step, then writing a checkpoint")

    def __enter__(self) -> _StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


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


def _save(path: str, out: str, step: int, state: _State, elapsed: float) -> None:
    """checkpoints/last.pt (written atomically) and the exported policy/."""
    ema = state.ema
    torch.save({"step": step, "elapsed": elapsed, "model": state.policy.state_dict(),
                "ema": ema.state_dict() if ema else None, "optimizer": state.optimizer.state_dict(),
                "scheduler": state.scheduler.state_dict(), "numpy_rng": state.rng.bit_generator.state,
                "torch_rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}, path + ".tmp")
    os.replace(path + ".tmp", path)
    (ema or state.policy).save(os.path.join(out, "policy"))


def _resume(path: str, state: _State) -> tuple[int, float]:
    """Restore a checkpoint into `state`; returns its step and the seconds trained before it."""
    try:
        saved = torch.load(path, map_location=state.policy.device, weights_only=False)
        state.policy.load_state_dict(saved["model"])
        if state.ema is not None and saved.get("ema"):
            state.ema.load_state_dict(saved["ema"])
        state.optimizer.load_state_dict(saved["optimizer"])
        state.scheduler.load_state_dict(saved["scheduler"])
        state.rng.bit_generator.state = saved["numpy_rng"]
        torch.set_rng_state(saved["torch_rng"])
        if saved.get("cuda_rng") and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(saved["cuda_rng"])
    except Exception as error:  # any unreadable or foreign checkpoint: one line, the file named
        raise CheckpointError(f"{path}: cannot resume from it ({type(error).__name__}: "
                              f"{str(error).splitlines()[0] if str(error) else 'no detail'}); "
                              f"delete it to start over") from None
    tqdm.write(f"resuming from {path} at step {saved['step']}")
    return int(saved["step"]), float(saved.get("elapsed", 0.0))


def _write_run_json(out: str, paths: list[str], policy: str, overrides: dict[str, Any], config: TrainConfig) -> None:
    with open(os.path.join(out, "run.json"), "w") as handle:
        json.dump({"datasets": [os.path.abspath(p) for p in paths], "policy": policy, "policy_config": overrides,
                   "train": dataclasses.asdict(config)}, handle, indent=2)


class _CsvLog:
    """Appends rows to log.csv; on resume keeps the rows up to the checkpoint's step (none are repeated)."""

    def __init__(self, path: str, keep_upto: int) -> None:
        self.path = path
        self.header_written = False
        if not os.path.exists(path):
            return
        with open(path, newline="") as handle:
            rows = [row for row in csv.DictReader(handle) if _int(row.get("step")) <= keep_upto]
        with open(path + ".tmp", "w", newline="") as handle:
            if rows:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
                self.header_written = True
        os.replace(path + ".tmp", path)

    def write(self, row: dict[str, float]) -> None:
        with open(self.path, "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(row))
            if not self.header_written:
                writer.writeheader()
                self.header_written = True
            writer.writerow(row)


def _int(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 1 << 62  # an unreadable row (a torn last line) is dropped
