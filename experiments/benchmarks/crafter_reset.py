"""Crafter's reset against the fast (vectorised world generation) reset, side by side in one run.

    python experiments/benchmarks/crafter_reset.py [--rounds 21] [--first-seed 100000] [--json F]

Two CrafterEnv instances that differ only in `fast_reset` take turns (interleaved rounds, the order alternating
each round) resetting to the same seed; every seed is used in one round only and the fast side's layout cache
is off, so each fast reset generates a world it has never seen. Prints the median ms of each side, the ratio
of the medians and the median of the per-round ratios, and checks each round's two first observations are
identical. The fast side's one-off set-up (the seed-independent noise lattice, built on the first reset in a
process) is timed apart, before the rounds.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from embodied.worlds.crafter import worldgen
from embodied.worlds.crafter.env import CrafterEnv


def timed_reset(env: CrafterEnv, seed: int) -> tuple[float, dict]:
    """(milliseconds, observation) of one `env.reset(seed=seed)`."""
    began = time.perf_counter()
    obs, _ = env.reset(seed=seed)
    return 1e3 * (time.perf_counter() - began), obs


def compare(rounds: int, first_seed: int) -> dict:
    """Median reset ms of crafter's and the fast generator over interleaved rounds, one fresh seed per round."""
    worldgen.LAYOUT_CACHE.maxsize = 0
    worldgen.LAYOUT_CACHE.clear()
    sides = {"crafter": CrafterEnv(fast_reset=False), "fast": CrafterEnv(fast_reset=True)}
    first_fast_ms, _ = timed_reset(sides["fast"], first_seed - 1)  # builds the per-process lattice
    timed_reset(sides["crafter"], first_seed - 1)
    times: dict[str, list[float]] = {"crafter": [], "fast": []}
    identical = 0
    for r in range(rounds):
        seed = first_seed + r
        order = ("crafter", "fast") if r % 2 == 0 else ("fast", "crafter")
        observations = {}
        for name in order:
            elapsed, observations[name] = timed_reset(sides[name], seed)
            times[name].append(elapsed)
        identical += all(np.array_equal(observations["crafter"][k], observations["fast"][k])
                         for k in observations["crafter"])
    crafter_ms, fast_ms = np.asarray(times["crafter"]), np.asarray(times["fast"])
    return {"crafter_median_ms": float(np.median(crafter_ms)), "fast_median_ms": float(np.median(fast_ms)),
            "ratio_of_medians": float(np.median(crafter_ms) / np.median(fast_ms)),
            "median_paired_ratio": float(np.median(crafter_ms / fast_ms)), "first_fast_reset_ms": first_fast_ms,
            "identical_first_observations": f"{identical}/{rounds}", "rounds": times,
            "seeds": [first_seed, first_seed + rounds - 1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--first-seed", type=int, default=100000)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    row = compare(args.rounds, args.first_seed)
    print(f"crafter reset  median {row['crafter_median_ms']:8.1f} ms")
    print(f"fast reset     median {row['fast_median_ms']:8.1f} ms  (first reset in the process "
          f"{row['first_fast_reset_ms']:.0f} ms: builds the noise lattice)")
    print(f"speed-up       {row['ratio_of_medians']:.1f}x (ratio of medians), {row['median_paired_ratio']:.1f}x "
          f"(median of per-round ratios); identical first observations {row['identical_first_observations']}; "
          f"seeds {row['seeds'][0]}..{row['seeds'][1]}, one round each")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(row, handle, indent=2)


if __name__ == "__main__":
    main()
