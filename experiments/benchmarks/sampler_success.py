"""Success of one trained diffusion policy under each sampler, side by side on the same seeds.

    python experiments/benchmarks/sampler_success.py --checkpoint RUN_DIR --episodes 50 \
        --samplers ddpm:100 ddim:10 dpmsolver:3 edm:3 edm:1 [--device cuda] [--workers 2]

A spec is SAMPLER:STEPS or SAMPLER:STEPS:ACTION_STEPS (how many actions of each chunk run before the next
prediction). The checkpoint's config is copied with only `sampler` / `inference_steps` (/ `action_steps`)
changed; evaluation is `embodied eval` without expert takeover, so a success is the policy's own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time

from embodied.evaluation import EvalConfig, evaluate, policy_dir


def with_sampler(source: str, target: str, sampler: str, steps: int, action_steps: int | None = None) -> int:
    """Copy the checkpoint with the sampler (and action steps) changed; returns the action steps it executes."""
    shutil.copytree(source, target)
    meta_path = os.path.join(target, "policy.json")
    with open(meta_path) as handle:
        meta = json.load(handle)
    meta["config"].update(sampler=sampler, inference_steps=steps)
    if action_steps is not None:
        meta["config"]["action_steps"] = action_steps
    with open(meta_path, "w") as handle:
        json.dump(meta, handle)
    return int(meta["config"]["action_steps"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--samplers", nargs="*", default=["ddpm:100", "ddim:10", "dpmsolver:3", "edm:3", "edm:1"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=1, help="env processes per evaluation (embodied eval workers=)")
    parser.add_argument("--max-replans", type=int, default=0, help="re-plans after a failed subgoal (tabletop: 2)")
    parser.add_argument("--instruction", default=None, help="one instruction for every episode (default: the world's "
                        "sampled ones), e.g. the kitchen's four-task chain")
    parser.add_argument("--seed", type=int, default=10000, help="first seed (held-out seeds start at 10000)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    rows = []
    print(f"{'sampler':12s} {'steps':>5s} {'executed':>8s} {'chain':>8s} {'95% CI':>14s} {'instruction':>11s} "
          f"{'95% CI':>14s} {'done/ep':>7s} {'eval s':>7s}")
    with tempfile.TemporaryDirectory() as scratch:
        for spec in args.samplers:
            sampler, steps, *executed = spec.split(":")
            action_steps = int(executed[0]) if executed else None
            directory = os.path.join(scratch, spec.replace(":", "_"))
            executes = with_sampler(policy_dir(args.checkpoint), directory, sampler, int(steps), action_steps)
            began = time.time()
            metrics = evaluate(EvalConfig(checkpoint=directory, episodes=args.episodes, takeover=False,
                                          device=args.device, workers=args.workers, seed=args.seed,
                                          instruction=args.instruction,
                                          max_replans=args.max_replans, out=os.path.join(directory, "eval.json")))
            chain, done = metrics["chain_success"], metrics["instruction_success"]
            per_episode = metrics["subgoals_done_per_episode"]
            rows.append({"sampler": sampler, "steps": int(steps), "action_steps": executes,
                         **chain, "instruction_success": done, "subgoals_done_per_episode": per_episode,
                         "skills": metrics["skills"], "seconds": time.time() - began})
            print(f"{sampler:12s} {steps:>5s} {executes:>8d} {chain['success_rate']:>8.0%} "
                  f"[{chain['ci95'][0]:5.0%}, {chain['ci95'][1]:5.0%}] {done['success_rate']:>11.0%} "
                  f"[{done['ci95'][0]:5.0%}, {done['ci95'][1]:5.0%}] {per_episode['mean']:7.2f} "
                  f"{time.time() - began:7.1f}", flush=True)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()
