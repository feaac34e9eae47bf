"""Scripted Crafter expert: success per subgoal over N seeds, for instructions covering all 22 achievements.

    python experiments/benchmarks/crafter_expert.py --seeds 50 [--noise 0.0] [--json out.json]

Each seed runs the symbolic planner's plan for the instruction with the expert (no re-planning): a subgoal
counts as attempted when the chain reaches it.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter

from embodied.agent import Agent, AgentConfig
from embodied.envs.crafter.env import CrafterEnv
from embodied.experts.crafter import CrafterExpert
from planners.symbolic.crafter import CrafterPlanner

INSTRUCTIONS = (
    "make a stone pickaxe", "make an iron pickaxe", "collect diamond", "make stone sword", "make wood sword",
    "make iron sword", "place stone", "collect drink", "collect sapling", "place plant", "eat cow",
    "defeat zombie", "defeat skeleton", "wake up", "eat plant",
)


def measure(instruction: str, seeds: int, noise: float) -> dict:
    env, planner = CrafterEnv(), CrafterPlanner()
    successes, attempts, whole, began = Counter(), Counter(), 0, time.time()
    for seed in range(seeds):
        expert = CrafterExpert(env, noise=noise, seed=seed)
        trajectory = Agent(env, planner, expert, AgentConfig(max_replans=0)).run(instruction, seed)
        whole += trajectory.success
        for result in trajectory.results:
            attempts[result.subgoal] += 1
            successes[result.subgoal] += result.success
    return {"instruction": instruction, "seeds": seeds, "whole_instruction": whole,
            "subgoals": {k: [successes[k], attempts[k]] for k in attempts}, "seconds": time.time() - began}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--noise", type=float, default=0.0)
    parser.add_argument("--instructions", nargs="*", default=list(INSTRUCTIONS))
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    rows = []
    print(f"{'instruction':24s} {'whole':>7s}  per subgoal (successes/attempts)")
    for instruction in args.instructions:
        row = measure(instruction, args.seeds, args.noise)
        rows.append(row)
        detail = ", ".join(f"{k} {s}/{n}" for k, (s, n) in row["subgoals"].items())
        print(f"{instruction:24s} {row['whole_instruction']:>3d}/{args.seeds:<3d}  {detail}  ({row['seconds']:.0f} s)",
              flush=True)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()
