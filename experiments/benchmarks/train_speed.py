"""Training throughput: `embodied.training.train` (the shared loop, embodied/trainer.py) against bare PyTorch.

    OMP_NUM_THREADS=1 python experiments/benchmarks/train_speed.py [--dataset X.hdf5] [--rounds 5 --steps 150]

Without --dataset it records a small Crafter dataset first (`embodied.collection.collect`, 4 expert episodes
of "make a stone pickaxe"). Per round, in alternating order on the same dataset, network sizes, batch size
and seed: the trainer (`train` with TrainConfig defaults but steps/batch), a bare loop (the same policy,
`WindowDataset.batches`, AdamW: forward, backward, step, nothing else) and the bare loop plus the same math as
the trainer (gradient clipping and the LR schedule). Steps/s count the steps after `--warmup`, in CPU time of
this process (`time.process_time`: on a CPU shared with other jobs, wall time mostly measures the others); the
trainer's is (run of `--steps`) - (run of `--warmup` steps), so its set-up and final checkpoint cancel. It
prints medians over rounds and the trainer's overhead against each bare loop (target: <= 10% against bare).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import tempfile
import time

import numpy as np
import torch

from embodied.trainer import LoopSettings, lr_factor
from embodied.training import TrainConfig, build_policy, train

SIZES = {"dim": 64, "layers": 2, "heads": 4, "image_channels": 8, "obs_horizon": 2}


def trainer_steps_per_second(dataset: str, config: TrainConfig, warmup: int, out: str) -> float:
    seconds = []
    for steps in (config.steps, warmup):
        began = time.process_time()
        train([dataset], "transformer", SIZES, dataclasses.replace(config, steps=steps), f"{out}-{steps}")
        seconds.append(time.process_time() - began)
    return (config.steps - warmup) / (seconds[0] - seconds[1])


def bare_steps_per_second(dataset: str, config: TrainConfig, warmup: int, same_math: bool) -> float:
    """The textbook loop on the same policy and batches; `same_math` adds clipping and the LR schedule."""
    torch.manual_seed(config.seed)
    policy, windows = build_policy("transformer", SIZES, [dataset])
    policy.train()
    batches = windows.batches(config.batch_size, np.random.default_rng(config.seed))
    optimizer = torch.optim.AdamW(policy.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    settings = LoopSettings(steps=config.steps, lr=config.lr, warmup_steps=config.warmup_steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(settings)) if same_math else None
    parameters = list(policy.parameters())
    for step in range(config.steps):
        if step == warmup:
            began = time.process_time()
        loss, _ = policy(policy.prepare(next(batches)))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if same_math:
            torch.nn.utils.clip_grad_norm_(parameters, config.grad_clip)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    return (config.steps - warmup) / (time.process_time() - began)


def record(folder: str, episodes: int) -> str:
    from embodied.collection import CollectConfig, collect

    path = os.path.join(folder, "crafter.hdf5")
    collect(CollectConfig(env="crafter", episodes=episodes, out=path, workers=1, noise=0.0,
                          instruction="make a stone pickaxe"))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="", help="an HDF5 dataset (default: record 4 Crafter episodes)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=80, help="steps per run")
    parser.add_argument("--warmup", type=int, default=20, help="steps left out of the timing")
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1"))))
    folder = tempfile.mkdtemp(prefix="train_speed_")
    dataset = args.dataset or record(folder, 4)
    config = TrainConfig(steps=args.steps, batch_size=args.batch, device="cpu", log_every=25)
    torch.optim.AdamW([torch.zeros(1, requires_grad=True)])  # its first call imports torch._dynamo (seconds)
    quiet = dataclasses.replace(config, checkpoint_seconds=0.0)
    rates: dict[str, list[float]] = {"trainer": [], "trainer, no timed checkpoint": [], "bare": [],
                                     "bare + clip + schedule": []}
    for index in range(args.rounds):
        out = os.path.join(folder, f"run{index}")
        jobs = {"trainer": lambda out=out: trainer_steps_per_second(dataset, config, args.warmup, out),
                "trainer, no timed checkpoint": lambda out=out: trainer_steps_per_second(dataset, quiet, args.warmup,
                                                                                         out + "q"),
                "bare": lambda: bare_steps_per_second(dataset, config, args.warmup, False),
                "bare + clip + schedule": lambda: bare_steps_per_second(dataset, config, args.warmup, True)}
        names = list(jobs) if index % 2 == 0 else list(reversed(jobs))
        for name in names:
            rates[name].append(jobs[name]())
        print(f"round {index}: " + ", ".join(f"{name} {rates[name][-1]:.1f}" for name in jobs) + " steps/s (CPU time)",
              flush=True)
    trainer = statistics.median(rates["trainer"])
    print(f"\ntransformer {SIZES}, batch {args.batch}, {torch.get_num_threads()} thread(s), "
          f"median of {args.rounds} rounds")
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"{name:24s} {median:7.2f} steps/s (CPU time)  trainer overhead {median / trainer - 1:+6.1%}")


if __name__ == "__main__":
    main()
