"""The `embodied` subcommands: compose a config, call the library, print results."""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import sys
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from embodied.cli.config import ConfigError, compose, plain, typed
from embodied.ranges import check_ranges, check_video_path

console = Console(highlight=False)


def cmd_collect(overrides: list[str]) -> None:
    from embodied.collection import CollectConfig, collect

    values = plain(compose("collect", overrides))
    env = values.pop("env")
    check_engine(values["engine"])
    config = typed(CollectConfig, {**values, "env": env["name"], "env_kwargs": env.get("kwargs") or {}}, "collect")
    began = time.time()
    result = collect(config)
    table = Table(title=f"expert success per subgoal ({config.env})")
    for column in ("subgoal", "success", "attempts"):
        table.add_column(column)
    for subgoal, outcomes in sorted(result.subgoal_success.items()):
        table.add_row(subgoal, f"{sum(outcomes) / len(outcomes):.0%}", str(len(outcomes)))
    console.print(table)
    console.print(f"wrote {result.episodes} episodes ({result.steps} steps, {result.successful} fully successful) "
                  f"to {config.out} in {time.time() - began:.1f} s")
    if config.video:
        console.print(f"video: {config.video}")


def cmd_data_info(path: str) -> None:
    from embodied.datasets.info import summarize

    summary = summarize(path)
    console.print(f"[bold]{summary.path}[/bold]  ({summary.size_mb:.2f} MB)")
    console.print(f"env: {json.dumps(summary.env_args)}")
    console.print(f"episodes: {summary.episodes} ({summary.successful_episodes} fully successful), "
                  f"steps: {summary.steps}")
    if set(summary.sources) - {"expert"}:
        console.print("steps by label source: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.sources.items())))
    keys = Table(title="columns (per step)")
    for column in ("key", "shape", "dtype"):
        keys.add_column(column)
    for key, (shape, dtype) in summary.columns.items():
        keys.add_row(key, str(tuple(shape)), dtype)
    console.print(keys)
    subgoals = Table(title="subgoals")
    for column in ("subgoal", "segments", "steps"):
        subgoals.add_column(column)
    for subgoal, steps in sorted(summary.subgoal_steps.items()):
        subgoals.add_row(subgoal, str(summary.subgoal_segments[subgoal]), str(steps))
    console.print(subgoals)
    console.print("instructions: " + ", ".join(f"{k!r} x{v}" for k, v in summary.instructions.most_common()))


def existing_datasets(dataset: Any) -> list[str]:
    """`dataset=` (one path or a list) as paths that exist; a missing one is a ConfigError naming it."""
    from embodied.datasets.hdf5 import dataset_paths

    paths = dataset_paths(dataset)
    for path in paths:
        if not os.path.exists(path):
            raise ConfigError(f"dataset={path}: no such file (record one with `embodied collect out={path}`)")
    return paths


def cmd_train(overrides: list[str]) -> int:
    from embodied.training import TrainConfig, train

    cfg = compose("train", overrides)
    datasets = existing_datasets(plain(cfg.dataset))
    name, policy = checked_policy(plain(cfg.policy))
    config = typed(TrainConfig, cfg.train, "train")
    run = train(datasets, name, policy, config, cfg.out)
    if run.interrupted:
        print(f"embodied train: interrupted at step {run.steps}/{config.steps}; checkpoint "
              f"{os.path.join(run.out, 'checkpoints', 'last.pt')} and policy {os.path.join(run.out, 'policy')} "
              f"written; run the same command again to resume", file=sys.stderr)
        return 130
    resumed = f" (resumed from step {run.resumed_from})" if run.resumed_from else ""
    console.print(f"trained {name} for {run.steps} steps{resumed} in {run.seconds:.1f} s, "
                  f"final loss {run.final_loss:.4f}")
    console.print(f"checkpoint: {os.path.join(run.out, 'policy')}  log: {os.path.join(run.out, 'log.csv')}")
    return 0


def shipped_default(world_name: str | None) -> tuple[str, str]:
    """(path, world) of the shipped default policy of `world_name` (None: crafter), for a missing checkpoint=."""
    from embodied.checkpoints import shipped_checkpoint, shipped_worlds

    world_name = world_name or "crafter"
    path = shipped_checkpoint(world_name)
    if path is None:
        shipped = ", ".join(shipped_worlds()) or "none"
        raise ConfigError(f"no shipped default policy for env={world_name} (shipped: {shipped}); pass "
                          f"checkpoint=RUN_DIR (a run of `embodied train`)")
    console.print(f"checkpoint: the shipped default policy of {world_name} ({path})")
    return path, world_name


def checked_policy(policy: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name, config overrides) of the composed policy group; a bad key or value is one ConfigError."""
    from policies.base import policy_class

    policy = dict(policy)
    name = policy.pop("name")
    try:  # a bad policy key or value is the user's mistake: one line, not a traceback
        policy_class(name).config_class(**policy)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"policy={name}: {error}") from None
    return name, policy


def cmd_eval(overrides: list[str]) -> None:
    from embodied.evaluation import EvalConfig, evaluate

    overrides = [re.sub(r"^([+~]*)backend(?=[=.])", r"\1planner", o) for o in overrides]
    if "actor=expert" in overrides and not any(o.startswith("checkpoint=") for o in overrides):
        overrides = [*overrides, "checkpoint="]  # the scripted expert needs no checkpoint
    cfg = compose("eval", overrides)
    check_engine(cfg.engine)
    values = plain(cfg)
    planner_cfg = values.pop("planner")
    env_values = values.pop("env", None) or {}
    world_name, env_kwargs = env_values.get("name"), env_values.get("kwargs") or {}
    given = [o for o in overrides if re.match(r"^[+~]*env\.kwargs\b", o)]  # the env group's own are defaults
    if given and not (values.get("open_ended") and values.get("actor") == "expert"):
        raise ConfigError("env.kwargs: a policy is evaluated in the world settings it was trained in (its "
                          "checkpoint's); +env.kwargs.K=V sets the world only for open_ended=true actor=expert")
    if values["checkpoint"] is None:
        values["checkpoint"], world_name = shipped_default(world_name)
        values["out"] = values["out"] or os.path.join("data", "runs", f"shipped_{world_name}", "eval.json")
    config = typed(EvalConfig, values | {"env_kwargs": env_kwargs}, "eval")
    try:
        check_ranges(config, "eval", positive=("episodes",), non_negative=("max_replans",))
        check_video_path(config.video, "eval")
    except ValueError as error:
        raise ConfigError(str(error)) from None
    if config.actor != "policy" and not config.open_ended:
        raise ConfigError(f"actor={config.actor}: only open_ended=true plays another actor; eval measures a policy")
    if config.open_ended:
        from embodied.open_ended import evaluate_open_ended, report_table

        if planner_cfg.get("name") not in ("symbolic", "curriculum", "llm", "mllm", "openai"):
            raise ConfigError(f"planner={planner_cfg.get('name')}: open_ended=true takes planner=curriculum, or a "
                              f"language backend (llm, mllm, openai) choosing among the curriculum's candidates")

        metrics = evaluate_open_ended(config, functools.partial(planner_from_config, planner_cfg))
        console.print(report_table(metrics))
        print(json.dumps({k: v for k, v in metrics.items() if k != "episodes_detail"}))
        return
    metrics = evaluate(config, functools.partial(planner_from_config, planner_cfg))
    table = Table(title=f"policy success per subgoal ({metrics['env']}, {metrics['episodes']} episodes)")
    for column in ("subgoal", "success", "95% CI", "attempts"):
        table.add_column(column)
    for subgoal, row in metrics["subgoals"].items():
        table.add_row(subgoal, f"{row['success_rate']:.0%}", f"[{row['ci95'][0]:.0%}, {row['ci95'][1]:.0%}]",
                      str(row["attempts"]))
    for key, label in (("chain_success", "every planned subgoal (policy alone)"),
                       ("instruction_success", f"instruction done (policy alone, planner {metrics['planner']})")):
        row = metrics[key]
        table.add_row(f"[bold]{label}[/bold]", f"{row['success_rate']:.0%}",
                      f"[{row['ci95'][0]:.0%}, {row['ci95'][1]:.0%}]", str(row["attempts"]))
    done = metrics["subgoals_done_per_episode"]
    table.add_row("different subgoals done per episode (policy alone)", f"{done['mean']:.2f}",
                  f"[{done['ci95'][0]:.2f}, {done['ci95'][1]:.2f}]", str(done["episodes"]))
    if "crafter_score" in metrics:
        table.add_row("[bold]Crafter score[/bold]", f"{metrics['crafter_score']:.1f}%", "", "")
    console.print(table)
    if config.video:
        console.print(f"video: {config.video}")
    print(json.dumps(metrics))


def cmd_run(instruction: str, overrides: list[str]) -> None:
    from embodied.agent import Agent, AgentConfig, PolicyActor
    from embodied.evaluation import policy_dir
    from embodied.hooks import ConsoleReporter, FrameRecorder
    from embodied.registry import world
    from policies.base import load_policy

    cfg = compose("run", overrides)
    try:
        check_video_path(cfg.video, "run")
    except ValueError as error:
        raise ConfigError(str(error)) from None
    checkpoint = cfg.checkpoint or shipped_default((plain(cfg.get("env")) or {}).get("name"))[0]
    policy = load_policy(policy_dir(checkpoint), cfg.device)
    spec = world(policy.features.env_name)
    env = policy.features.make_env()
    planner = make_planner(spec, plain(cfg.planner))
    recorder = FrameRecorder()
    survival = spec.load_survival() if cfg.survival else None
    agent = Agent(env, planner, PolicyActor(policy, env, cfg.seed), AgentConfig(cfg.max_replans, survival=survival),
                  hooks=[ConsoleReporter(console.print), recorder] if cfg.video else [ConsoleReporter(console.print)])
    console.print(f"[bold]{instruction}[/bold] in {spec.name} (seed {cfg.seed})")
    trajectory = agent.run(instruction, cfg.seed)
    done = sum(r.success for r in trajectory.results)
    console.print(f"{'SUCCESS' if trajectory.success else 'not achieved'}: {done}/{len(trajectory.results)} "
                  f"subgoal attempts succeeded, {len(trajectory.actions)} steps, {len(trajectory.plans) - 1} re-plans")
    if cfg.video and recorder.frames:
        from embodied.video import write_video

        console.print(f"video: {write_video(cfg.video, recorder.video_frames())}")


def cmd_train_planner(overrides: list[str]) -> None:
    """Fine-tune the `mllm` planner (planners/mllm) on pairs built from datasets; resumes from `out`."""
    from planners.mllm.train import TrainPlannerConfig, train_planner

    cfg = compose("train_planner", overrides)
    values = plain(cfg)
    datasets = existing_datasets(values.pop("dataset"))
    out = values.pop("out")
    run = train_planner(datasets, out, typed(TrainPlannerConfig, values, "train_planner"))
    resumed = f" (resumed from step {run.resumed_from})" if run.resumed_from else ""
    console.print(f"trained the mllm planner to step {run.steps}{resumed} on {run.pairs} pairs in {run.seconds:.1f} s;"
                  f" final loss {run.final_loss:.4f}, probe loss {run.probe_loss_before:.4f} -> "
                  f"{run.probe_loss_after:.4f}")
    console.print(f"checkpoint: {out}  log: {os.path.join(out, 'log.csv')}  (use: planner=mllm "
                  f"planner.checkpoint={out})")


def make_planner(spec: Any, planner_cfg: dict[str, Any]) -> Any:
    from embodied.registry import PLANNERS
    from embodied.registry import make_planner as make_named_planner

    name = planner_cfg.get("name", "symbolic")
    if name not in PLANNERS:
        raise ConfigError(f"planner={name}: unknown planner; expected one of {sorted(PLANNERS)}")
    kwargs = {k: v for k, v in planner_cfg.items() if k != "name"}
    try:
        return make_named_planner(name, spec.name, **kwargs)
    except TypeError as error:
        if "unexpected keyword" not in str(error):
            raise
        raise ConfigError(f"planner={name}: {error} (keys of experiments/conf/planner/{name}.yaml)") from None
    except ValueError as error:  # a planner config's own check names the key: planner.KEY=VALUE: expected ...
        if not str(error).startswith("planner."):
            raise
        raise ConfigError(str(error)) from None


def check_engine(engine: str) -> None:
    if engine not in ("local", "ray"):
        raise ConfigError(f"engine={engine}: expected local or ray")


def planner_from_config(planner_cfg: dict[str, Any], spec: Any) -> Any:
    """`make_planner` with the config first, so `functools.partial` of it pickles to worker processes."""
    return make_planner(spec, planner_cfg)


def cmd_eval_planner(overrides: list[str]) -> None:
    """`backend=NAME` is an alias of `planner=NAME` (and `backend.KEY=...` of `planner.KEY=...`)."""
    from embodied.registry import world
    from planners.evaluation import evaluate_planner
    from planners.instructions import generate

    overrides = [re.sub(r"^([+~]*)backend(?=[=.])", r"\1planner", o) for o in overrides]
    logging.getLogger("planners").setLevel(logging.ERROR)  # fallbacks are counted in the table, not logged
    cfg = compose("eval_planner", overrides)
    spec = world(cfg.env.name)
    planner_cfg = plain(cfg.planner)
    planner = make_planner(spec, planner_cfg)
    cases = generate(cfg.n, cfg.seed, spec.name)
    name = planner_cfg.get("name", "symbolic")
    every = max(1, cfg.n // 10)
    summary, rows = evaluate_planner(planner, cases, spec.name, name, progress=lambda i, r: (i + 1) % every or
                                     console.print(f"  {i + 1}/{cfg.n} planned ({r.latency_ms:.0f} ms last)"))
    table = Table(title=f"planner {name} vs the symbolic oracle ({spec.name}, {summary['instructions']} "
                        f"instructions, seed {cfg.seed})")
    for column in ("metric", "value"):
        table.add_column(column)
    for key, value in summary.items():
        if isinstance(value, float):
            table.add_row(key, f"{value:.2f}" if key.endswith("_ms") else f"{value:.1%}")
    console.print(table)
    if cfg.out:
        os.makedirs(os.path.dirname(os.path.abspath(cfg.out)), exist_ok=True)
        with open(cfg.out, "w") as file:
            json.dump({"summary": summary, "cases": rows}, file, indent=1)
        console.print(f"wrote {cfg.out}")
    print(json.dumps(summary))


def cmd_demo(overrides: list[str]) -> None:
    """Serve the web demo (embodied/demo/README.md) until interrupted; needs the `demo` extra."""
    try:
        from embodied.demo.server import DemoConfig, serve
    except ModuleNotFoundError as error:
        raise ConfigError(f"embodied demo needs {error.name!r}: pip install -e '.[demo]'") from None
    config = typed(DemoConfig, plain(compose("demo", overrides)), "demo")
    if config.host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"[bold red]warning:[/bold red] host={config.host} lets other machines open sessions "
                      "and drive agents on this one")
    console.print(f"embodied demo: open http://{config.host}:{config.port}/  (Ctrl-C stops it)")
    serve(config)


def cmd_dagger(overrides: list[str]) -> None:
    """DAgger rounds (embodied/dagger.py); a per-round success table, RUN/dagger.json."""
    from embodied.dagger import DaggerConfig, DaggerError, run_dagger
    from embodied.training import TrainConfig

    values = plain(compose("dagger", overrides))
    name, policy = checked_policy(values.pop("policy"))
    train_config = typed(TrainConfig, values.pop("train"), "train")
    config = typed(DaggerConfig, values, "dagger")
    existing_datasets(config.dataset)
    try:
        state = run_dagger(config, name, policy, train_config)
    except DaggerError as error:
        raise ConfigError(str(error)) from None
    what = "open-ended Crafter score" if config.open_ended else "instruction success"
    table = Table(title=f"DAgger: {what} (policy alone) per round, {config.eval_episodes} held-out seeds")
    for column in ("round", "beta", "train steps", "expert steps", "dagger steps", "success", "95% CI"):
        table.add_column(column)
    for row in state["rounds"]:
        if "crafter_score" in row:
            result = f"{row['crafter_score']:.1f}% ({row['mean_achievements']:.1f} achievements)"
            interval = f"[{row['ci95'][0]:.1f}, {row['ci95'][1]:.1f}]"
        else:
            result = f"{row['success_rate']:.0%} ({row['successes']}/{row['attempts']})"
            interval = f"[{row['ci95'][0]:.0%}, {row['ci95'][1]:.0%}]"
        table.add_row(str(row["round"]), "-" if row["beta"] is None else f"{row['beta']:.3f}",
                      str(row["train_steps"]), str(row["expert_steps"]), str(row["dagger_steps"]), result, interval)
    console.print(table)
    dataset = os.path.join(config.out, "dataset.hdf5")
    console.print(f"wrote {os.path.join(config.out, 'dagger.json')}; dataset: {dataset} ({row['episodes']} episodes)")
