"""Scripted expert success per world and per subgoal over N seeds, through the registry's parts.

    python experiments/benchmarks/expert_success.py --worlds fetch_reach fetch_push --seeds 100 [--noise 0.1]
        [--json out.json] [--instruction "do the task" [--instruction ...]]
    python experiments/benchmarks/expert_success.py --worlds crafter --crafter-achievements --seeds 50 --noise 0
    python experiments/benchmarks/expert_success.py --worlds crafter --seeds 40 --first-seed 7000 --noise 0 \
        --env expert_knows=seen --max-replans 2 --instruction "make an iron pickaxe"   # the demos' own expert

Each seed runs the agent's loop (embodied/agent.py, as `embodied collect` does): the world's instruction
sampler (or --instruction), its symbolic planner's plan from env.describe(), and the expert on each subgoal
for at most env.max_subgoal_steps steps until info["is_success"]. The chain stops at the first
failed subgoal (no re-planning unless --max-replans), so a subgoal counts as attempted when the chain reaches it.
An empty plan (the instruction is already satisfied at reset) counts as a success of the whole instruction.
`--env KEY=VALUE` sets a world option (e.g. Crafter's expert_knows=seen); deaths are counted where the world
has a player with health.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from typing import Any

import numpy as np

from embodied.agent import Agent, AgentConfig
from embodied.registry import make_planner, world

FETCH_WORLDS = ("fetch_reach", "fetch_push", "fetch_pick_and_place", "fetch_slide")
# Crafter instructions whose plans together unlock all 22 achievements
CRAFTER_ACHIEVEMENTS = (
    "make a stone pickaxe", "make an iron pickaxe", "collect diamond", "make stone sword", "make wood sword",
    "make iron sword", "place stone", "collect drink", "collect sapling", "place plant", "eat cow",
    "defeat zombie", "defeat skeleton", "wake up", "eat plant",
)


def run_episode(name: str, env: Any, planner: Any, seed: int, noise: float, instruction: str | None,
                max_replans: int = 0) -> dict:
    """One seed of world `name` through the agent's loop with the expert as the actor: instruction, plan,
    per-subgoal (text, success, steps) and whether the player died."""
    spec = world(name)
    expert = spec.make_expert(env, noise=noise, seed=seed)
    instruction = instruction or spec.sample_instruction(np.random.default_rng(seed))
    trajectory = Agent(env, planner, expert, AgentConfig(max_replans=max_replans)).run(instruction, seed)
    results = [(r.subgoal, r.success, r.steps) for r in trajectory.results]
    player = getattr(env.unwrapped, "player", None)
    return {"instruction": instruction, "plan": [s.text for s in trajectory.plans[0].subgoals], "results": results,
            "success": trajectory.success, "died": bool(player is not None and getattr(player, "health", 1) <= 0)}


def measure(name: str, seeds: int, noise: float, instruction: str | None = None,
            env_kwargs: dict[str, Any] | None = None, first_seed: int = 0, max_replans: int = 0) -> dict:
    """Success of the whole instruction and of each subgoal over seeds first_seed.. of one world."""
    spec = world(name)
    env = spec.make_env(**(env_kwargs or {}))
    planner = make_planner("symbolic", spec.name)
    per_subgoal: dict[str, list[tuple[bool, int]]] = defaultdict(list)
    whole, deaths, began = 0, 0, time.time()
    for seed in range(first_seed, first_seed + seeds):
        episode = run_episode(name, env, planner, seed, noise, instruction, max_replans)
        whole += episode["success"]
        deaths += episode["died"]
        for text, success, steps in episode["results"]:
            per_subgoal[text].append((success, steps))
    env.close()
    subgoals = {}
    for text, runs in per_subgoal.items():
        steps = [n for success, n in runs if success]
        subgoals[text] = {"successes": len(steps), "attempts": len(runs),
                          "mean_steps_success": float(np.mean(steps)) if steps else None,
                          "max_steps_success": max(steps, default=None)}
    return {"world": name, "instruction": instruction, "seeds": seeds, "first_seed": first_seed, "noise": noise,
            "env_kwargs": env_kwargs or {}, "max_replans": max_replans, "whole_instruction": whole, "deaths": deaths,
            "max_subgoal_steps": env.max_subgoal_steps, "subgoals": subgoals, "seconds": time.time() - began}


def print_row(row: dict) -> None:
    seeds = row["seeds"]
    label = f"({row['instruction'] or 'whole instruction'})"
    print(f"{row['world']:22s} {label[:40]:40s} {row['whole_instruction']:>4d}/{seeds:<4d} "
          f"{100 * row['whole_instruction'] / seeds:6.1f}%  ({row['seconds']:.0f} s, "
          f"budget {row['max_subgoal_steps']} steps/subgoal, {row['deaths']} deaths)", flush=True)
    for text, stats in sorted(row["subgoals"].items()):
        rate = 100 * stats["successes"] / stats["attempts"]
        steps = "" if stats["mean_steps_success"] is None else \
            f"  steps mean {stats['mean_steps_success']:.1f} max {stats['max_steps_success']}"
        count = f"{stats['successes']:>4d}/{stats['attempts']:<4d}"
        print(f"{'':22s} {text[:40]:40s} {count} {rate:6.1f}%{steps}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worlds", nargs="+", default=list(FETCH_WORLDS))
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--instruction", action="append", default=[],
                        help="an instruction for all seeds (repeatable; default: the world's sampler)")
    parser.add_argument("--crafter-achievements", action="store_true",
                        help="add the 15 Crafter instructions that cover all 22 achievements")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--max-replans", type=int, default=0)
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="a world option (repeatable), e.g. expert_knows=seen; true/false/numbers are parsed")
    parser.add_argument("--json", default=None, help="write the rows to this JSON file")
    args = parser.parse_args()
    env_kwargs = dict(_option(text, parser) for text in args.env)
    print(f"{'world':22s} {'subgoal':40s} {'success':>9s} {'rate':>7s}")
    rows = []
    instructions = args.instruction + (list(CRAFTER_ACHIEVEMENTS) if args.crafter_achievements else [])
    for name in args.worlds:
        for instruction in instructions or [None]:
            rows.append(measure(name, args.seeds, args.noise, instruction, env_kwargs, args.first_seed,
                                args.max_replans))
            print_row(rows[-1])
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)


def _option(text: str, parser: argparse.ArgumentParser) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        parser.error(f"--env {text!r}: expected KEY=VALUE")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


if __name__ == "__main__":
    main()
