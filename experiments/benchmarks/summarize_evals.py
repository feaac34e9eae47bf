"""Print a table of `embodied eval` JSON files: success per subgoal with 95% intervals.

    python experiments/benchmarks/summarize_evals.py data/matrix/eval_*.json
"""

from __future__ import annotations

import json
import sys


def main(paths: list[str]) -> None:
    print(f"| {'file':40s} | {'subgoal':45s} | success | 95% CI | n |")
    print("| --- | --- | --- | --- | --- |")
    for path in sorted(paths):
        with open(path) as handle:
            metrics = json.load(handle)
        rows = list(metrics["subgoals"].items()) + [("(whole instruction, policy alone)", metrics["chain_success"])]
        for subgoal, row in rows:
            low, high = row["ci95"]
            print(f"| {path.rsplit('/', 1)[-1]:40s} | {subgoal:45s} | {row['success_rate']:.0%} | "
                  f"[{low:.0%}, {high:.0%}] | {row['attempts']} |")


if __name__ == "__main__":
    main(sys.argv[1:])
