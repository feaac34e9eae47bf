"""Re-measure the FetchSlide expert's strike tables (slide distance against hit strength, per direction).

    python experiments/benchmarks/fetch_slide_strikes.py --seeds 12 [--directions +x +y -y -x]

Prints, per direction, the mean and standard deviation over seeds of the distance the puck slides after a
hit of each strength in embodied.worlds.fetch.slide.STRENGTHS, next to the table the expert uses
(STRIKE_TABLES). Seeds whose puck was disturbed on the way behind it are left out.
"""

from __future__ import annotations

import argparse
import warnings

import gymnasium as gym
import numpy as np

from embodied.worlds.fetch.env import _register
from embodied.worlds.fetch.slide import STRENGTHS, STRIKE_TABLES, calibrate_strikes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--directions", nargs="+", default=["+x", "+y", "-y", "-x"])
    args = parser.parse_args()
    _register()
    env = gym.make("FetchSlide-v4").unwrapped
    print("strength " + " ".join(f"{s:6.2f}" for s in STRENGTHS))
    for direction in args.directions:
        distances = calibrate_strikes(env, direction, range(args.seeds))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            mean, sd = np.nanmean(distances, axis=0), np.nanstd(distances, axis=0)
        used = int(np.isfinite(distances).all(axis=1).sum())
        print(f"{direction} mean  " + " ".join(f"{m:6.3f}" for m in mean) + f"   ({used} seeds)")
        print(f"{direction} sd    " + " ".join(f"{s:6.3f}" for s in sd))
        print(f"{direction} table " + " ".join(f"{t:6.3f}" for t in STRIKE_TABLES[direction]), flush=True)


if __name__ == "__main__":
    main()
