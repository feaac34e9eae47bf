"""`llm` planner latency, before vs after (prefix cache, guessed-reply drafts, options), on the same cases.

    OMP_NUM_THREADS=1 python experiments/benchmarks/planner_latency.py --worlds crafter:200,tabletop:30,kitchen:30

"before" is by default the code path before the multi-entry prefix cache, the drafts and oneDNN
(`planner.prefix_cache=0`: one KV cache, the previous call's; logits of the whole vocabulary at every fed
position; `planner.draft=''`; `planner.onednn=false`: torch's default BLAS), or what --before-entries /
--before-draft / --before-onednn set (e.g. `--before-entries 16`: the prefix cache alone).
"after" is the default (`PrefixCacheRunner`, `planner.draft=guess`, oneDNN) or what the options set (--entries,
--draft, --onednn, --quantize, --runtime, --examples / --example-choice fixed: one few-shot prefix for every call);
--threads sets both. Both planners share the model weights and see `eval-planner`'s cases (seed 0) in the same
order, alternating which one plans a case first. Per world and decoding mode it prints median (p90) ms per plan,
the ratio of the medians, the median of the per-case ratios, forwards and tokens fed per plan, and how many
plans are identical (subgoal texts and where the plan came from). Times are wall clock, or with --cpu-time
this process's CPU time (on a CPU shared with other jobs wall time mostly measures the others); --progress
prints every case as it ends.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from embodied.types import InvalidPlanError
from planners.instructions import generate
from planners.llm import LLMPlanner
from planners.validation import vocabulary

MODES = {"goals": {"expand": True}, "grounded": {"expand": False, "grounded": True}}


def counted(planner) -> dict:
    """Wrap the planner's runner.feed_all (which the torch runners' `feed` calls too; llama.cpp's runner has
    only `feed`) to count forwards and tokens fed."""
    runner, counts = planner.model.runner, {"forwards": 0, "tokens": 0}
    name = "feed_all" if hasattr(runner, "feed_all") else "feed"
    feed = getattr(runner, name)

    def counting(tokens):
        counts["forwards"] += 1
        counts["tokens"] += len(tokens)
        return feed(tokens)

    setattr(runner, name, counting)
    return counts


def run(world: str, n: int, mode: str, after: dict, clock=time.perf_counter, progress: bool = False,
        before: dict | None = None) -> dict:
    """Interleave the "before" planner (LLMPlanner keys `before`; default the code path before the prefix
    cache and the draft) and the "after" one (keys `after`) over n cases of a world."""
    cases, vocab = generate(n, 0, world), vocabulary(world)
    before = before or {"prefix_cache": 0, "draft": "", "onednn": False}
    planners = {"before": LLMPlanner(**before, **MODES[mode]), "after": LLMPlanner(**after, **MODES[mode])}
    counts = {name: counted(p) for name, p in planners.items()}
    ms = {name: [] for name in planners}
    plans = {name: [] for name in planners}
    for index, case in enumerate(cases):
        order = ("before", "after") if index % 2 == 0 else ("after", "before")
        for name in order:
            began = clock()
            try:
                plan = planners[name].plan(case.instruction, case.observation, vocab.skills)
                outcome = ([s.text for s in plan.subgoals], plan.planner)
            except InvalidPlanError:  # refused (outside the world): an outcome like any plan
                outcome = ([], "refused")
            ms[name].append(1000 * (clock() - began))
            plans[name].append(outcome)
        if progress:
            print(f"  {world} {mode} case {index}: before {ms['before'][-1]:.0f} ms, after {ms['after'][-1]:.0f} ms, "
                  f"{'same' if plans['before'][-1] == plans['after'][-1] else 'DIFFERENT'} plan", flush=True)
    same = sum(a == b for a, b in zip(plans["before"], plans["after"], strict=True))
    row = {"world": world, "mode": mode, "cases": n, "identical": same}
    for name in planners:
        row[name] = {"median_ms": statistics.median(ms[name]),
                     "p90_ms": sorted(ms[name])[int(0.9 * (n - 1))],
                     "forwards_per_plan": counts[name]["forwards"] / n,
                     "tokens_per_plan": counts[name]["tokens"] / n}
    row["ratio_of_medians"] = row["before"]["median_ms"] / row["after"]["median_ms"]
    row["median_ratio"] = statistics.median(b / a for b, a in zip(ms["before"], ms["after"], strict=True))
    row["differing"] = [(cases[i].instruction, plans["before"][i], plans["after"][i])
                        for i in range(n) if plans["before"][i] != plans["after"][i]]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worlds", default="crafter:200,tabletop:30,kitchen:30", help="world:cases,...")
    parser.add_argument("--modes", default="goals,grounded", help=f"of {sorted(MODES)}")
    parser.add_argument("--entries", type=int, default=16, help="the after runner's cached prompts")
    parser.add_argument("--out", default="", help="also write the rows as JSON here")
    parser.add_argument("--cpu-time", action="store_true", help="time plans in this process's CPU time")
    parser.add_argument("--progress", action="store_true", help="print every case")
    parser.add_argument("--quantize", default="", help="the after planner's planner.quantize (e.g. int8)")
    parser.add_argument("--runtime", default="torch", help="the after planner's planner.runtime (torch, llama.cpp)")
    parser.add_argument("--model", default="", help="the after planner's planner.model (a .gguf file)")
    parser.add_argument("--examples", type=int, default=4, help="the after planner's planner.examples")
    parser.add_argument("--example-choice", default="similar", help="the after planner's planner.example_choice")
    parser.add_argument("--threads", type=int, default=1, help="the planners' planner.threads")
    parser.add_argument("--draft", default="guess", help="the after planner's planner.draft ('' = none)")
    parser.add_argument("--before-entries", type=int, default=0, help="the before planner's planner.prefix_cache")
    parser.add_argument("--before-draft", default="", help="the before planner's planner.draft")
    parser.add_argument("--before-onednn", type=int, default=0, help="the before planner's planner.onednn (0/1)")
    parser.add_argument("--onednn", type=int, default=1, help="the after planner's planner.onednn (0/1)")
    args = parser.parse_args()
    after = {"prefix_cache": args.entries, "quantize": args.quantize, "runtime": args.runtime, "model": args.model,
             "examples": args.examples, "example_choice": args.example_choice, "threads": args.threads,
             "draft": args.draft if args.runtime == "torch" else "", "onednn": bool(args.onednn)}
    before = {"prefix_cache": args.before_entries, "draft": args.before_draft, "threads": args.threads,
              "onednn": bool(args.before_onednn)}
    rows = []
    print(f"{'world':9s} {'mode':9s} {'n':>4s} {'before ms':>16s} {'after ms':>16s} {'ratio':>6s} "
          f"{'case ratio':>10s} {'fwd b/a':>11s} {'tokens b/a':>13s} {'identical':>9s}")
    for spec in args.worlds.split(","):
        world, n = spec.split(":")
        for mode in args.modes.split(","):
            row = run(world, int(n), mode, after, time.process_time if args.cpu_time else time.perf_counter,
                      args.progress, before)
            rows.append(row)
            b, a = row["before"], row["after"]
            print(f"{world:9s} {mode:9s} {row['cases']:4d} {b['median_ms']:7.0f} ({b['p90_ms']:6.0f}) "
                  f"{a['median_ms']:7.0f} ({a['p90_ms']:6.0f}) {row['ratio_of_medians']:5.2f}x "
                  f"{row['median_ratio']:9.2f}x {b['forwards_per_plan']:5.1f}/{a['forwards_per_plan']:<5.1f} "
                  f"{b['tokens_per_plan']:6.0f}/{a['tokens_per_plan']:<6.0f} {row['identical']:4d}/{row['cases']}",
                  flush=True)
            for instruction, before, after in row["differing"]:
                print(f"  differs: {instruction!r}: {before} vs {after}")
            if args.out:
                with open(args.out, "w") as file:
                    json.dump(rows, file, indent=1)


if __name__ == "__main__":
    main()
