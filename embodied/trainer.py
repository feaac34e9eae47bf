"""THE training loop, shared by every model (policies, the mllm planner): AdamW, linear warm-up then cosine
decay (to `lr_floor` x lr), gradient clipping, bf16 autocast on CUDA, a CSV log, atomic checkpoints and
resume. A model plugs in as a `TrainTask`: its loss for a step, its state and how to export it.

A run directory holds `checkpoints/last.pt` (step, the task's state, optimiser, scheduler, torch RNG; written
atomically), `log.csv` (appended on resume) and whatever the task exports (`policy/`, an adapter).
"""

from __future__ import annotations

import csv
import math
import os
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import torch
from tqdm import tqdm


@dataclass
class LoopSettings:
    """How long and how to optimise; what to log and when to save."""

    steps: int
    lr: float
    weight_decay: float = 0.0
    warmup_steps: int = 0
    lr_floor: float = 0.0  # the cosine decays to lr_floor * lr
    grad_clip: float = 1.0
    checkpoint_every: int = 500
    log_every: int = 25
    max_minutes: float = 0.0  # stop (and save) after this much training time (0 = no limit)
    amp: bool = False  # bfloat16 autocast on cuda
    device: str = "cpu"
    name: str = "train"  # progress bar label
    progress: bool = True


@dataclass
class FitResult:
    """Where a run stopped: total steps, the step it resumed from, the logged rows and every step's loss."""

    steps: int
    resumed_from: int
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)


class TrainTask(ABC):
    """A model the loop trains: `parameters` to optimise, `loss(step)` (it draws its own batch for that step),
    its checkpointed `state_dict` (flat keys next to the loop's), and `export(step)` of what is deployed."""

    @abstractmethod
    def parameters(self) -> list[torch.nn.Parameter]: ...

    @abstractmethod
    def loss(self, step: int) -> tuple[torch.Tensor, dict[str, float]]: ...

    def after_step(self) -> None:
        """After each optimiser step (e.g. an EMA update)."""

    @abstractmethod
    def state_dict(self) -> dict[str, Any]: ...

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    @abstractmethod
    def export(self, step: int) -> None: ...


def fit(task: TrainTask, settings: LoopSettings, out: str) -> FitResult:
    """Train `task` up to `settings.steps`, resuming from `out/checkpoints/last.pt` when it exists."""
    parameters = task.parameters()
    optimizer = torch.optim.AdamW(parameters, lr=settings.lr, weight_decay=settings.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(settings))
    checkpoint = os.path.join(out, "checkpoints", "last.pt")
    start = _resume(checkpoint, task, optimizer, scheduler) if os.path.exists(checkpoint) else 0
    os.makedirs(os.path.dirname(checkpoint), exist_ok=True)
    log = CsvLog(os.path.join(out, "log.csv"), append=start > 0)
    device = torch.device(settings.device)
    began, result = time.time(), FitResult(start, start, 0.0)
    bar = tqdm(range(start, settings.steps), initial=start, total=settings.steps, desc=settings.name,
               disable=not settings.progress, dynamic_ncols=True)
    for step in bar:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=settings.amp and device.type == "cuda"):
            loss, logs = task.loss(step)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"non-finite loss {loss.item()} at step {step}; lower the learning rate")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, settings.grad_clip)
        optimizer.step()
        scheduler.step()
        task.after_step()
        result.losses.append(logs.get("loss", float(loss.detach())))
        result.steps = step + 1
        last = step + 1 == settings.steps or (settings.max_minutes and time.time() - began > 60 * settings.max_minutes)
        if (step + 1) % settings.log_every == 0 or last:
            row = {"step": step + 1, **logs, "lr": scheduler.get_last_lr()[0], "seconds": time.time() - began}
            result.history.append(row)
            log.write(row)
            bar.set_postfix(loss=f"{result.losses[-1]:.4f}")
        if (step + 1) % settings.checkpoint_every == 0 or last:
            save(checkpoint, step + 1, task, optimizer, scheduler)
        if last:
            break
    bar.close()
    if start >= settings.steps:  # nothing left to do: make sure the export exists
        task.export(start)
    result.seconds = time.time() - began
    return result


def lr_factor(settings: LoopSettings):
    """Linear warm-up over `warmup_steps`, then cosine decay from 1 to `lr_floor` at `steps`."""
    def factor(step: int) -> float:
        if step < settings.warmup_steps:
            return (step + 1) / settings.warmup_steps
        progress = (step - settings.warmup_steps) / max(1, settings.steps - settings.warmup_steps)
        return settings.lr_floor + (1 - settings.lr_floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return factor


def save(path: str, step: int, task: TrainTask, optimizer: Any, scheduler: Any) -> None:
    """The checkpoint, written atomically, then the task's export."""
    state = {"step": step, **task.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict(), "torch_rng": torch.get_rng_state()}
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)
    task.export(step)


def _resume(path: str, task: TrainTask, optimizer: Any, scheduler: Any) -> int:
    state = torch.load(path, map_location="cpu", weights_only=False)
    task.load_state_dict(state)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    tqdm.write(f"resuming from {path} at step {state['step']}")
    return int(state["step"])


class CsvLog:
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
