"""THE training loop, shared by every model (policies, the mllm planner): AdamW, linear warm-up then cosine
decay (to `lr_floor` x lr), gradient clipping, bf16 autocast on CUDA, a CSV log, atomic checkpoints every
`checkpoint_every` steps and at least every `checkpoint_seconds`, SIGINT/SIGTERM handled (finish the step,
checkpoint, export, return), and resume (the log continues: no step repeated, seconds carried on). A model
plugs in as a `TrainTask`: its loss for a step, its state and how to export it; a task trained by several
processes (torchrun) says which one writes (`is_main`) and how to reduce the logged loss.

A run directory holds `checkpoints/last.pt` (step, elapsed seconds, the task's state, optimiser, scheduler,
torch RNG; written atomically), `log.csv` and whatever the task exports (`policy/`, an adapter).
"""

from __future__ import annotations

import csv
import math
import os
import signal
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import torch
from tqdm import tqdm

from embodied.types import CheckpointError


@dataclass
class LoopSettings:
    """How long and how to optimise; what to log and when to save."""

    steps: int
    lr: float
    weight_decay: float = 0.0
    warmup_steps: int = 0
    lr_floor: float = 0.0  # the cosine decays to lr_floor * lr
    schedule_start: int = 0  # the step the warm-up and the cosine start from (a later stage gets its own schedule)
    grad_clip: float = 1.0
    checkpoint_every: int = 500
    checkpoint_seconds: float = 0.0  # also checkpoint when this long has passed since the last one (0: off)
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
    interrupted: bool = False  # stopped by SIGINT/SIGTERM after writing a checkpoint and the export
    history: list[dict[str, float]] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)


class TrainTask(ABC):
    """A model the loop trains: `parameters` to optimise, `loss(step)` (it draws its own batch for that step),
    its checkpointed `state_dict` (flat keys next to the loop's) and `export(step)` of what is deployed."""

    is_main: bool = True  # the process that writes checkpoints, logs and exports

    @abstractmethod
    def parameters(self) -> list[torch.nn.Parameter]: ...

    @abstractmethod
    def loss(self, step: int) -> tuple[torch.Tensor, dict[str, float]]: ...

    def after_step(self) -> None:
        """After each optimiser step (e.g. an EMA update)."""

    def reduce_logs(self, logs: dict[str, float], loss: torch.Tensor) -> dict[str, float]:
        """The scalars to log for this step (several processes: of the global batch; all must call it)."""
        return logs

    @abstractmethod
    def state_dict(self) -> dict[str, Any]: ...

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    @abstractmethod
    def export(self, step: int) -> None: ...


@dataclass
class _Loop:
    """The optimiser side of a run: what a checkpoint holds besides the task."""

    task: TrainTask
    optimizer: torch.optim.Optimizer
    scheduler: Any
    checkpoint: str


def fit(task: TrainTask, settings: LoopSettings, out: str) -> FitResult:
    """Train `task` up to `settings.steps`, resuming from `out/checkpoints/last.pt` when it exists."""
    optimizer = torch.optim.AdamW(task.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    loop = _Loop(task, optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(settings)),
                 os.path.join(out, "checkpoints", "last.pt"))
    start, elapsed = _resume(loop) if os.path.exists(loop.checkpoint) else (0, 0.0)
    if task.is_main:
        os.makedirs(os.path.dirname(loop.checkpoint), exist_ok=True)
    log = CsvLog(os.path.join(out, "log.csv"), keep_upto=start) if task.is_main else None
    began, saved_at, result = time.time() - elapsed, time.time(), FitResult(start, start, 0.0)
    with _StopOnSignal() as stop:
        bar = tqdm(range(start, settings.steps), initial=start, total=settings.steps, desc=settings.name,
                   disable=not (settings.progress and task.is_main), dynamic_ncols=True)
        for step in bar:
            logs = _step(loop, settings, step)
            result.losses.append(logs["loss"])
            result.steps = done = step + 1
            timed_out = bool(settings.max_minutes) and time.time() - began > 60 * settings.max_minutes
            last = done == settings.steps or timed_out or stop.requested
            if done % settings.log_every == 0 or last:
                row = {"step": done, **logs, "lr": loop.scheduler.get_last_lr()[0], "seconds": time.time() - began}
                result.history.append(row)
                if log is not None:
                    log.write(row)
                bar.set_postfix(loss=f"{logs['loss']:.4f}")
            due = settings.checkpoint_seconds and time.time() - saved_at >= settings.checkpoint_seconds
            if task.is_main and (done % settings.checkpoint_every == 0 or last or due):
                save(loop, done, time.time() - began)
                saved_at = time.time()
            if last:
                break
        bar.close()
    result.interrupted = stop.requested and result.steps < settings.steps
    if start >= settings.steps and task.is_main:  # nothing left to do: make sure the export exists
        task.export(start)
    result.seconds = time.time() - began
    return result


def _step(loop: _Loop, settings: LoopSettings, step: int) -> dict[str, float]:
    """One optimiser step; the scalars to log (with "loss")."""
    device = torch.device(settings.device)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=settings.amp and device.type == "cuda"):
        loss, logs = loop.task.loss(step)
    if not torch.isfinite(loss):
        raise FloatingPointError(f"non-finite loss {loss.item()} at step {step}; lower the learning rate")
    loop.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(loop.task.parameters(), settings.grad_clip)
    loop.optimizer.step()
    loop.scheduler.step()
    loop.task.after_step()
    logs = loop.task.reduce_logs({**logs, "loss": logs.get("loss", float(loss.detach()))}, loss)
    return logs


def lr_factor(settings: LoopSettings):
    """From `schedule_start`: linear warm-up over `warmup_steps`, then cosine decay from 1 to `lr_floor` at `steps`."""
    def factor(step: int) -> float:
        step = max(0, step - settings.schedule_start)
        if step < settings.warmup_steps:
            return (step + 1) / settings.warmup_steps
        span = settings.steps - settings.schedule_start - settings.warmup_steps
        progress = (step - settings.warmup_steps) / max(1, span)
        return settings.lr_floor + (1 - settings.lr_floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return factor


def save(loop: _Loop, step: int, elapsed: float) -> None:
    """The checkpoint, written atomically, then the task's export."""
    state = {"step": step, "elapsed": elapsed, **loop.task.state_dict(), "optimizer": loop.optimizer.state_dict(),
             "scheduler": loop.scheduler.state_dict(), "torch_rng": torch.get_rng_state(),
             "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}
    torch.save(state, loop.checkpoint + ".tmp")
    os.replace(loop.checkpoint + ".tmp", loop.checkpoint)
    loop.task.export(step)


def _resume(loop: _Loop) -> tuple[int, float]:
    """Restore the checkpoint; its step and the seconds trained before it. Unreadable: one CheckpointError."""
    path = loop.checkpoint
    try:
        saved = torch.load(path, map_location="cpu", weights_only=False)
        loop.task.load_state_dict(saved)
        loop.optimizer.load_state_dict(saved["optimizer"])
        loop.scheduler.load_state_dict(saved["scheduler"])
        torch.set_rng_state(saved["torch_rng"])
        if saved.get("cuda_rng") and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(saved["cuda_rng"])
    except Exception as error:  # any unreadable or foreign checkpoint: one line, the file named
        raise CheckpointError(f"{path}: cannot resume from it ({type(error).__name__}: "
                              f"{str(error).splitlines()[0] if str(error) else 'no detail'}); "
                              f"delete it to start over") from None
    if loop.task.is_main:
        tqdm.write(f"resuming from {path} at step {saved['step']}")
    return int(saved["step"]), float(saved.get("elapsed", 0.0))


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


class CsvLog:
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
