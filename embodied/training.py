"""Training a policy on HDF5 demonstrations, with the shared loop (embodied/trainer.py).

A run directory holds `policy/` (the self-contained checkpoint, refreshed at every checkpoint),
`checkpoints/last.pt` (weights, EMA, optimiser, scheduler, step and RNG state, written atomically), `run.json`
and `log.csv`. Checkpoints are written every `checkpoint_every` steps and at least every `checkpoint_seconds`;
SIGINT/SIGTERM finish the current step, write a last checkpoint and the policy, and return. Starting again on
the same directory resumes from the last checkpoint and continues `log.csv` (steps and seconds). Under
torchrun each process trains on its slice of every global batch (embodied/distributed.py); rank 0 writes.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from embodied.datasets.windows import WindowDataset
from embodied.distributed import Distributed
from embodied.ranges import check_ranges
from embodied.trainer import LoopSettings, TrainTask, fit
from embodied.types import CheckpointError
from policies.base import Features, Policy, load_policy, policy_class
from policies.grow import with_new_inputs


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
    obs_keys: list[str] | None = None  # train on these recorded observation keys only (null: all of them)
    # a policy checkpoint to start from (fine-tuning): its network, weights and normalisation stats (policy.*
    # settings other than the name are not used); the dataset must give the same observations, actions and goals
    init: str | None = None
    # a step labelled on a DAgger rollout (source "dagger") is drawn this many times as often as a demonstration
    # step: the rollouts of one round are a few percent of a large demonstration set
    dagger_weight: float = 1.0
    # the step the warm-up and cosine start from: a run resumed for more steps (a DAgger round) gets a schedule of
    # its own instead of the old one's tail (0: one schedule over all `steps`)
    schedule_start: int = 0

    def __post_init__(self) -> None:
        check_ranges(self, "train",
                     positive=("steps", "batch_size", "lr", "checkpoint_every", "log_every", "dagger_weight"),
                     non_negative=("weight_decay", "warmup_steps", "grad_clip", "checkpoint_seconds", "schedule_start"),
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


def build_policy(name: str, overrides: dict[str, Any], dataset_paths: list[str],
                 obs_keys: list[str] | None = None) -> tuple[Policy, WindowDataset]:
    """Policy sized from the dataset (shapes, action space, goal vocabulary) plus its windows; `obs_keys`
    picks which recorded observations it sees (the env still makes them all, acting reads only these)."""
    cls = policy_class(name)
    config = cls.config_class(**overrides)
    dataset = WindowDataset(dataset_paths, cls.window_for(config), obs_keys=obs_keys)
    return cls(config, dataset_features(dataset), dataset.low_dim_stats()), dataset


def dataset_features(dataset: WindowDataset) -> Features:
    """The shapes and vocabularies a dataset gives a policy."""
    args = dataset.env_args
    return Features(
        obs_shapes={k: tuple(v.shape[1:]) for k, v in dataset.obs.items()},
        action_dim=int(args["action_dim"]), discrete=bool(args["discrete"]),
        goal_texts=tuple(dataset.goal_texts), env_name=dataset.env_name,
        env_kwargs=dict(args.get("env_kwargs") or {}),
    )


def start_from(checkpoint: str, policy_name: str, dataset_paths: list[str],
               obs_keys: list[str] | None = None) -> tuple[Policy, WindowDataset]:
    """A saved policy to train on (fine-tuning) and the windows of a dataset it can read: the checkpoint's
    config, weights and normalisation stats are kept; low-dim observation keys the checkpoint lacks are added
    (policies/grow.py); anything else the dataset gives differently is one error."""
    policy = load_policy(checkpoint)
    if policy_name != policy.name:
        raise CheckpointError(f"train.init={checkpoint}: a {policy.name} policy; give policy={policy.name}")
    dataset = WindowDataset(dataset_paths, type(policy).window_for(policy.config), obs_keys=obs_keys)
    theirs = dataset_features(dataset)
    added = {key: shape for key, shape in theirs.obs_shapes.items() if key not in policy.features.obs_shapes}
    if added:  # a new input (e.g. a new Crafter view): the policy grows zero weights for it
        policy = with_new_inputs(policy, added, dataset.low_dim_stats(), theirs.env_kwargs, checkpoint)
    ours = policy.features
    for key in _FEATURE_WORDS:
        if getattr(theirs, key) != getattr(ours, key):
            raise CheckpointError(f"train.init={checkpoint}: the dataset's {_FEATURE_WORDS[key]} "
                                  f"({getattr(theirs, key)}) are not the checkpoint's ({getattr(ours, key)})")
    return policy, dataset


_FEATURE_WORDS = {"obs_shapes": "observations", "action_dim": "action_dim", "discrete": "discrete actions",
                  "goal_texts": "goal_texts", "env_name": "world", "env_kwargs": "world settings"}


class PolicyTask(TrainTask):
    """A policy (and its EMA) on windows of a dataset; the batch order comes from a saved numpy generator."""

    def __init__(self, policy: Policy, ema: Policy | None, dataset: WindowDataset, config: TrainConfig,
                 ddp: Distributed, out: str) -> None:
        self.policy, self.ema, self.config, self.ddp, self.out = policy, ema, config, ddp, out
        self.is_main = ddp.is_main
        self.rng = np.random.default_rng(config.seed)
        self.model = ddp.wrap(policy)
        self._batches = ddp.shard(dataset.batches(config.batch_size, self.rng, config.dagger_weight))

    def parameters(self) -> list[torch.nn.Parameter]:
        return list(self.policy.parameters())

    def loss(self, step: int) -> tuple[torch.Tensor, dict[str, float]]:
        batch = next(self._batches)
        loss, logs = self.model(self.policy.prepare(batch))
        return self.ddp.scale(loss, batch), logs

    def after_step(self) -> None:
        if self.ema is not None:
            _ema_update(self.ema, self.policy, self.config.ema_decay)

    def reduce_logs(self, logs: dict[str, float], loss: torch.Tensor) -> dict[str, float]:
        return self.ddp.logs(logs, loss)

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.policy.state_dict(), "ema": self.ema.state_dict() if self.ema else None,
                "numpy_rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.policy.load_state_dict(state["model"])
        if self.ema is not None and state.get("ema"):
            self.ema.load_state_dict(state["ema"])
        self.rng.bit_generator.state = state["numpy_rng"]

    def export(self, step: int) -> None:
        (self.ema or self.policy).save(os.path.join(self.out, "policy"))


def train(dataset_paths: list[str], policy_name: str, policy_overrides: dict[str, Any], config: TrainConfig,
          out: str) -> TrainRun:
    """Train (or resume training of) a policy; returns where it is and how it went."""
    torch.manual_seed(config.seed)
    device = resolve_device(config.device)
    ddp = Distributed.from_env(device)  # torchrun: this rank's slice of each global batch (embodied.distributed)
    device = ddp.device or device
    if config.init:
        policy, dataset = start_from(config.init, policy_name, dataset_paths, config.obs_keys)
    else:
        policy, dataset = build_policy(policy_name, policy_overrides, dataset_paths, config.obs_keys)
    policy.to(device).train()
    ema = copy.deepcopy(policy).eval().requires_grad_(False) if config.ema_decay > 0 else None
    task = PolicyTask(policy, ema, dataset, config, ddp, out)
    if ddp.is_main:
        os.makedirs(out, exist_ok=True)
        _write_run_json(out, dataset_paths, policy_name, policy_overrides, config)
    settings = LoopSettings(
        steps=config.steps, lr=config.lr, weight_decay=config.weight_decay, warmup_steps=config.warmup_steps,
        grad_clip=config.grad_clip, schedule_start=config.schedule_start, checkpoint_every=config.checkpoint_every,
        checkpoint_seconds=config.checkpoint_seconds, log_every=config.log_every, amp=config.amp,
        device=device.type, name=f"train {policy_name}")
    try:
        run = fit(task, settings, out)
    finally:
        ddp.close()
    final_loss = run.losses[-1] if run.losses else float("nan")
    return TrainRun(out, run.steps, final_loss, run.seconds, run.resumed_from, run.interrupted, run.history)


@torch.no_grad()
def _ema_update(ema: Policy, policy: Policy, decay: float) -> None:
    for target, source in zip(ema.parameters(), policy.parameters(), strict=True):
        target.lerp_(source, 1 - decay)
    for target, source in zip(ema.buffers(), policy.buffers(), strict=True):  # statistics, caches: copied
        target.copy_(source)


def _write_run_json(out: str, paths: list[str], policy: str, overrides: dict[str, Any], config: TrainConfig) -> None:
    with open(os.path.join(out, "run.json"), "w") as handle:
        json.dump({"datasets": [os.path.abspath(p) for p in paths], "policy": policy, "policy_config": overrides,
                   "train": dataclasses.asdict(config)}, handle, indent=2)
