"""Evaluation episodes/s, side by side in one run: serial vs `workers=N` (N env processes, batched inference).

    embodied collect env=crafter episodes=4 out=/tmp/bench/crafter.hdf5 instruction="make a stone pickaxe"
    embodied train dataset=/tmp/bench/crafter.hdf5 policy=transformer train.steps=200 out=/tmp/bench/run
    python experiments/benchmarks/eval_speed.py --checkpoint /tmp/bench/run --episodes 8 --workers 2 4

The Crafter stone-pickaxe evaluation (`instruction="make a stone pickaxe"`, takeover on, seeds 10000..):
every setting runs the same seeds, first as evaluation ran before this round ("before": serial, crafter's own
world generation on every reset), then serially with the vectorised reset, then with N workers; the script
checks that their per-episode outcomes are identical and
prints episodes/s and the ratio to the serial run (worker start-up: spawn, imports, env build, counted),
and the CPU seconds per episode of all processes (less sensitive than wall time to other load on the machine).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import tempfile
import time

from embodied.evaluation import EvalConfig, evaluate
from embodied.worlds.crafter import env as crafter_env


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the env workers, once joined)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@contextlib.contextmanager
def crafters_own_reset():
    """Serial evaluation as before the vectorised reset: every reset runs crafter's own world generation."""
    use = crafter_env.worldgen.use_for_reset
    crafter_env.worldgen.use_for_reset = lambda env: None
    try:
        yield
    finally:
        crafter_env.worldgen.use_for_reset = use


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
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    args = parser.parse_args()
    rows, reference = [], None
    settings = [("before", 1), ("serial", 1), *((f"workers={n}", n) for n in args.workers)]
    with tempfile.TemporaryDirectory() as out_dir:
        for name, workers in settings:
            with crafters_own_reset() if name == "before" else contextlib.nullcontext():
                rate, cpu, episodes = measure(args.checkpoint, args.episodes, workers, out_dir)
            reference = reference if reference is not None else (rate, cpu, episodes)
            rows.append({"setting": name, "episodes_per_s": round(rate, 3), "cpu_s_per_episode": round(cpu, 3),
                         "ratio_to_before": round(rate / reference[0], 2),
                         "cpu_ratio_to_before": round(reference[1] / cpu, 2),
                         "same_outcomes": episodes == reference[2]})
            print(json.dumps(rows[-1]), flush=True)
    print(f"{'setting':>10} {'episodes/s':>11} {'vs before':>10} {'CPU s/ep':>9} {'CPU vs before':>14} "
          f"{'same outcomes':>14}")
    for row in rows:
        print(f"{row['setting']:>10} {row['episodes_per_s']:>11.3f} {row['ratio_to_before']:>9.2f}x "
              f"{row['cpu_s_per_episode']:>9.2f} {row['cpu_ratio_to_before']:>13.2f}x {str(row['same_outcomes']):>14}")
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}, episodes per setting: "
          f"{args.episodes}")


if __name__ == "__main__":
    main()
