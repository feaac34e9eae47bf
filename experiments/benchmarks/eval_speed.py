"""Evaluation episodes/s, side by side in one run: serial vs `workers=N` (N env processes, batched inference).

    embodied collect env=crafter episodes=4 out=/tmp/bench/crafter.hdf5 instruction="make a stone pickaxe"
    embodied train dataset=/tmp/bench/crafter.hdf5 policy=transformer train.steps=200 out=/tmp/bench/run
    python experiments/benchmarks/eval_speed.py --checkpoint /tmp/bench/run --episodes 8 --workers 2 4

The Crafter stone-pickaxe evaluation (`instruction="make a stone pickaxe"`, takeover on, seeds 10000..):
every setting runs the same seeds; the script checks that their per-episode outcomes are identical and
prints episodes/s and the ratio to the serial run (worker start-up: spawn, imports, env build, counted),
and the CPU seconds per episode of all processes (less sensitive than wall time to other load on the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time

from embodied.evaluation import EvalConfig, evaluate


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the env workers, once joined)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(checkpoint: str, episodes: int, workers: int, out_dir: str) -> tuple[float, float, list]:
    """Episodes/s (wall clock, start-up included), CPU seconds per episode, per-episode outcomes."""
    config = EvalConfig(checkpoint=checkpoint, episodes=episodes, instruction="make a stone pickaxe",
                        workers=workers, out=os.path.join(out_dir, f"eval_w{workers}.json"))
    began, cpu = time.perf_counter(), _cpu_seconds()
    metrics = evaluate(config)
    wall, cpu = time.perf_counter() - began, _cpu_seconds() - cpu
    return episodes / wall, cpu / episodes, metrics["per_episode"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="a run directory from `embodied train` (Crafter)")
    parser.add_argument("--episodes", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    args = parser.parse_args()
    rows, reference = [], None
    with tempfile.TemporaryDirectory() as out_dir:
        for workers in [1, *args.workers]:
            rate, cpu, episodes = measure(args.checkpoint, args.episodes, workers, out_dir)
            reference = reference if reference is not None else (rate, episodes)
            rows.append({"workers": workers, "episodes_per_s": round(rate, 3), "cpu_s_per_episode": round(cpu, 3),
                         "ratio_to_serial": round(rate / reference[0], 2), "same_outcomes": episodes == reference[1]})
            print(json.dumps(rows[-1]), flush=True)
    print(f"{'workers':>8} {'episodes/s':>11} {'vs serial':>10} {'CPU s/ep':>9} {'same outcomes':>14}")
    for row in rows:
        print(f"{row['workers']:>8} {row['episodes_per_s']:>11.3f} {row['ratio_to_serial']:>9.2f}x "
              f"{row['cpu_s_per_episode']:>9.2f} {str(row['same_outcomes']):>14}")
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}, episodes per setting: "
          f"{args.episodes}")


if __name__ == "__main__":
    main()
