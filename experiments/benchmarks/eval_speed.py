"""Evaluation episodes/s, side by side in one run: serial vs `workers=N` (N env processes, batched inference).

    embodied collect env=crafter episodes=4 out=/tmp/bench/crafter.hdf5 instruction="make a stone pickaxe"
    embodied train dataset=/tmp/bench/crafter.hdf5 policy=transformer train.steps=200 out=/tmp/bench/run
    python experiments/benchmarks/eval_speed.py --checkpoint /tmp/bench/run --episodes 8 --workers 2 4

The Crafter stone-pickaxe evaluation (`instruction="make a stone pickaxe"`, takeover on, seeds 10000..):
every setting runs the same seeds; the script checks that their per-episode outcomes are identical and
prints episodes/s and the ratio to the serial run. Worker start-up (spawn, imports, env build) is counted.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from embodied.evaluation import EvalConfig, evaluate


def measure(checkpoint: str, episodes: int, workers: int, out_dir: str) -> tuple[float, list]:
    config = EvalConfig(checkpoint=checkpoint, episodes=episodes, instruction="make a stone pickaxe",
                        workers=workers, out=os.path.join(out_dir, f"eval_w{workers}.json"))
    began = time.perf_counter()
    metrics = evaluate(config)
    return episodes / (time.perf_counter() - began), metrics["per_episode"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="a run directory from `embodied train` (Crafter)")
    parser.add_argument("--episodes", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    args = parser.parse_args()
    rows, reference = [], None
    with tempfile.TemporaryDirectory() as out_dir:
        for workers in [1, *args.workers]:
            rate, episodes = measure(args.checkpoint, args.episodes, workers, out_dir)
            reference = reference if reference is not None else (rate, episodes)
            rows.append({"workers": workers, "episodes_per_s": round(rate, 3),
                         "ratio_to_serial": round(rate / reference[0], 2), "same_outcomes": episodes == reference[1]})
            print(json.dumps(rows[-1]), flush=True)
    print(f"{'workers':>8} {'episodes/s':>11} {'vs serial':>10} {'same outcomes':>14}")
    for row in rows:
        print(f"{row['workers']:>8} {row['episodes_per_s']:>11.3f} {row['ratio_to_serial']:>9.2f}x "
              f"{str(row['same_outcomes']):>14}")
    print(f"cores: {os.cpu_count()}, episodes per setting: {args.episodes}")


if __name__ == "__main__":
    main()
