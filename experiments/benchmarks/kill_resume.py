"""Interrupted training, measured: `kill -9` a real `embodied train` at random steps, resume, compare weights.

    embodied collect env=crafter episodes=2 out=/tmp/kill/crafter.hdf5 workers=1
    python experiments/benchmarks/kill_resume.py --dataset /tmp/kill/crafter.hdf5 --points 20

An uninterrupted run of --steps steps is the reference. For each of --points random steps, a fresh run
is killed (SIGKILL) once its log.csv reaches that step, then started again with the same command until it
finishes. Reported per point: the step killed at, the checkpoint it resumed from (the work lost is the
difference; checkpoints every --checkpoint-every steps and every --checkpoint-seconds seconds), whether
log.csv steps are strictly increasing and whether the final weights equal the reference's bit for bit.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
TINY = ["policy.dim=32", "policy.layers=1", "policy.heads=2", "policy.image_channels=8", "policy.obs_horizon=2",
        "train.batch_size=8", "train.warmup_steps=5", "train.log_every=5", "train.device=cpu"]


def train_command(dataset: str, out: str, args: argparse.Namespace) -> list[str]:
    return [sys.executable, "-m", "embodied.cli.main", "train", f"dataset={dataset}", f"out={out}", *TINY,
            f"train.steps={args.steps}", f"train.checkpoint_every={args.checkpoint_every}",
            f"train.checkpoint_seconds={args.checkpoint_seconds}"]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "MUJOCO_GL": "egl"}


def logged_steps(out: str) -> list[int]:
    try:
        with open(os.path.join(out, "log.csv"), newline="") as handle:
            return [int(row["step"]) for row in csv.DictReader(handle) if row.get("step", "").isdigit()]
    except FileNotFoundError:
        return []


def kill_at(command: list[str], out: str, step: int) -> int:
    """Start `command`, SIGKILL it once log.csv reaches `step`; returns the last step logged before the kill."""
    process = subprocess.Popen(command, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while process.poll() is None and (logged_steps(out) or [0])[-1] < step:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return (logged_steps(out) or [0])[-1]


def weights(out: str) -> dict[str, torch.Tensor]:
    return torch.load(os.path.join(out, "policy", "model.pt"), weights_only=True)


def same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--checkpoint-every", type=int, default=500)
    parser.add_argument("--checkpoint-seconds", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="kill_resume_")
    reference = os.path.join(work, "reference")
    subprocess.run(train_command(args.dataset, reference, args), env=environment(), check=True, capture_output=True)
    expected = weights(reference)
    rows = []
    for point, step in enumerate(np.random.default_rng(args.seed).integers(5, args.steps - 5, args.points)):
        out = os.path.join(work, f"run{point}")
        killed = kill_at(train_command(args.dataset, out, args), out, int(step))
        last = os.path.join(out, "checkpoints", "last.pt")
        resumed = int(torch.load(last, weights_only=False)["step"]) if os.path.exists(last) else 0
        subprocess.run(train_command(args.dataset, out, args), env=environment(), check=True, capture_output=True)
        steps = logged_steps(out)
        rows.append({"kill_step": killed, "resumed_from": resumed, "lost_steps": killed - resumed,
                     "log_increasing": all(a < b for a, b in zip(steps, steps[1:], strict=False)),
                     "same_weights": same_weights(weights(out), expected)})
        print(json.dumps(rows[-1]), flush=True)
        shutil.rmtree(out)
    shutil.rmtree(work)
    lost = [r["lost_steps"] for r in rows]
    print(json.dumps({"points": len(rows), "same_weights": sum(r["same_weights"] for r in rows),
                      "log_increasing": sum(r["log_increasing"] for r in rows), "max_lost_steps": max(lost),
                      "mean_lost_steps": float(np.mean(lost))}))


if __name__ == "__main__":
    main()
