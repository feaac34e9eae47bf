"""Merge open-ended Crafter runs over consecutive seed ranges (`embodied eval open_ended=true seed=S ...` JSON files)
into one result: the Crafter score with its bootstrap interval over all their episodes, as one run would report.

    python experiments/benchmarks/open_ended_merge.py llm_10000.json llm_10005.json [--out merged.json]
"""

from __future__ import annotations

import argparse
import json
from types import SimpleNamespace

from embodied.open_ended import summarize


def merge(paths: list[str]) -> dict:
    runs = []
    for path in paths:
        with open(path) as handle:
            runs.append(json.load(handle))
    runs.sort(key=lambda run: run["seeds"][0])
    for before, after in zip(runs, runs[1:], strict=False):
        if after["seeds"][0] != before["seeds"][1] + 1 or after["max_steps"] != before["max_steps"]:
            raise SystemExit("runs must cover consecutive seeds with the same max_steps")
    rows = [row for run in runs for row in run["episodes_detail"]]
    config = SimpleNamespace(actor=runs[0]["actor"], seed=runs[0]["seeds"][0], max_steps=runs[0]["max_steps"])
    return summarize(rows, config, runs[0]["checkpoint"], sum(run["seconds"] for run in runs), runs[0]["planner"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    metrics = merge(args.paths)
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(metrics, handle, indent=2)
    low, high = metrics["crafter_score_ci95"]
    print(f"{metrics['planner']}: {metrics['episodes']} episodes, seeds {metrics['seeds']}, max_steps "
          f"{metrics['max_steps']}: Crafter score {metrics['crafter_score']:.1f}% [{low:.1f}, {high:.1f}], "
          f"{metrics['mean_achievements']:.1f} achievements/episode, steps {metrics['mean_steps']:.0f}, "
          f"deaths {metrics['death_rate']:.0%}, planning {metrics['mean_planning_s']:.0f} s/episode, "
          f"choices {metrics['choices']}")


if __name__ == "__main__":
    main()
