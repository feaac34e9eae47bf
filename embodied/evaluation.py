"""Evaluating a trained policy in its simulator: success per subgoal with 95% confidence intervals.

Each seeded episode runs a planner (the world's symbolic one unless another is given) and the policy.
With `takeover`, a subgoal the policy fails is finished by the scripted expert, so every later subgoal of
the chain is still attempted once per episode (per-subgoal rates stay comparable); `chain_success` counts
episodes the policy completed alone. `instruction_success` is the long-horizon measure of the full agent:
the policy alone achieved, in order, subgoals that satisfy the instruction under the world's rules (the
symbolic planner's `check` on what was achieved, from the start state), whatever planner wrote the plan.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from embodied.agent import Agent, AgentConfig, PolicyActor, Trajectory
from embodied.hooks import AchievementTracker, FrameRecorder
from embodied.registry import World, make_planner, world
from embodied.scale import RayConfig
from embodied.types import InvalidPlanError

if TYPE_CHECKING:
    from planners.base import Planner


@dataclass
class EvalConfig:
    """What `embodied eval` runs."""

    checkpoint: str = "data/run"
    episodes: int = 10
    seed: int = 10_000  # evaluation seeds start far from the collection seeds (0, 1, ...)
    instruction: str | None = None  # None: the world's instruction sampler, seeded per episode
    takeover: bool = True
    max_replans: int = 0
    video: str | None = None  # video of the first episode
    out: str | None = None  # metrics JSON; default <checkpoint>/eval.json
    device: str = "cpu"
    workers: int = 1  # > 1: that many envs in processes, one batched policy forward (embodied.rollouts)
    batch_inference: bool | None = None  # None: batched for discrete actions, one forward per env for continuous
    #                                       ones (bit-identical to workers=1: a batched matmul rounds differently)
    engine: str = "local"  # local | ray (episodes as Ray tasks; embodied.ray_engine)
    ray: RayConfig = field(default_factory=lambda: RayConfig())
    replan_each: bool = False  # plan the instruction again from the state after every subgoal done (not only failures)
    survival: bool = False  # Crafter: before each planned subgoal, the world's survival rule may insert one first
    preempt: bool = False  # with survival (open_ended: always there): a new survival need stops the running subgoal
    open_ended: bool = False  # Crafter: whole episodes, the curriculum picks each next subgoal (embodied/open_ended.py)
    actor: str = "policy"  # open_ended: policy | expert (the scripted expert through the same loop)
    max_steps: int = 10_000  # open_ended: episode length cap (Crafter's own length is 10,000)
    env_kwargs: dict[str, Any] = field(default_factory=dict)  # open_ended actor=expert: world settings (+env.kwargs)


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a success rate (well-behaved at 0 and 1 and for small n)."""
    if trials == 0:
        return (0.0, 1.0)
    rate = successes / trials
    denominator = 1 + z * z / trials
    centre = (rate + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate_summary(outcomes: list[bool]) -> dict[str, Any]:
    successes, trials = int(sum(outcomes)), len(outcomes)
    low, high = wilson_interval(successes, trials)
    return {"success_rate": successes / trials if trials else 0.0, "ci95": [low, high],
            "successes": successes, "attempts": trials}


def bootstrap_interval(episodes: int, statistic: Callable[[np.ndarray], float], samples: int = 1000,
                       seed: int = 0) -> tuple[float, float]:
    """Seeded 95% percentile bootstrap interval of `statistic(indices)` over resampled episode indices."""
    rng = np.random.default_rng(seed)
    values = [statistic(rng.integers(0, episodes, episodes)) for _ in range(samples)]
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def mean_summary(values: list[float], samples: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Mean of per-episode values with its bootstrap interval (`bootstrap_interval`)."""
    array = np.asarray(values, dtype=np.float64)
    if not array.size:
        return {"mean": 0.0, "ci95": [0.0, 0.0], "episodes": 0}
    low, high = bootstrap_interval(array.size, lambda indices: float(array[indices].mean()), samples, seed)
    return {"mean": float(array.mean()), "ci95": [low, high], "episodes": int(array.size)}


def subgoals_done(results: list[dict[str, Any]]) -> int:
    """How many different subgoals the policy itself achieved in an episode (kitchen: tasks done, of the four)."""
    return len({r["subgoal"] for r in results if r["actor"] == "policy" and r["success"]})


def crafter_score(success_rates_percent: dict[str, float]) -> float:
    """Crafter's score (Hafner, 2021): exp(mean(ln(1 + s_i))) - 1 over achievement success rates s_i in %."""
    rates = np.asarray(list(success_rates_percent.values()), dtype=np.float64)
    return float(np.exp(np.mean(np.log1p(rates))) - 1) if rates.size else 0.0


def policy_dir(checkpoint: str) -> str:
    """A run directory (holding policy/) or a policy directory itself."""
    nested = os.path.join(checkpoint, "policy")
    return nested if os.path.exists(os.path.join(nested, "policy.json")) else checkpoint


def instruction_done(trajectory: Trajectory, instruction: str, env: Any, oracle: Any) -> bool:
    """The policy alone achieved subgoals that, in the order achieved, do what `instruction` asks. Steps a
    planner added beyond that may fail (`chain_success` counts those); an instruction the world's rules cannot
    read counts only when the whole plan was done."""
    if any(r.actor not in ("policy", "survival") for r in trajectory.results):
        return False
    if not trajectory.success and oracle_length(oracle, instruction, trajectory.start_observation, env) < 0:
        return False
    achieved = [env.parse_subgoal(r.subgoal) for r in trajectory.results if r.success and r.actor == "policy"]
    try:
        oracle.check(achieved, trajectory.start_observation, instruction)
    except InvalidPlanError:
        return False
    return True


def oracle_length(oracle: Any, instruction: str, observation: dict[str, Any], env: Any) -> int:
    """Subgoals in the symbolic planner's plan for `instruction` (how long-horizon it is); -1 if it cannot plan."""
    try:
        return len(oracle.plan(instruction, observation, env.skills).subgoals)
    except InvalidPlanError:
        return -1


def _per_skill(per_subgoal: dict[str, list[bool]], env: Any) -> dict[str, Any]:
    """Success per skill (pick_up, place_on, ...): the subgoals' attempts pooled over their arguments."""
    pooled: dict[str, list[bool]] = defaultdict(list)
    for text, outcomes in per_subgoal.items():
        pooled[env.parse_subgoal(text).skill] += outcomes
    return {skill: rate_summary(outcomes) for skill, outcomes in sorted(pooled.items())}


@dataclass
class EpisodeContext:
    """What a process needs to run evaluation episodes: the world, one env, its rules and the planner."""

    spec: World
    env: Any
    oracle: Any
    planner: Any


def make_context(env_name: str, env_kwargs: dict[str, Any],
                 make_planner_for: Callable[[World], Planner] | None = None) -> EpisodeContext:
    """The world a policy was trained in (rebuilt from its recorded kwargs), its rules and the agent's planner."""
    spec = world(env_name)
    planner = make_planner_for(spec) if make_planner_for else make_planner("symbolic", spec.name)
    return EpisodeContext(spec, spec.make_env(**env_kwargs), spec.load_rules(), planner)


def run_episode(context: EpisodeContext, config: EvalConfig, episode: int,
                make_actor: Callable[[Any, int], Any]) -> dict[str, Any]:
    """Episode `episode` (seed `config.seed + episode`) with the actor `make_actor(env, seed)`: its outcome.

    Everything an episode depends on is derived from its seed (instruction, env, policy and expert RNG),
    so the outcome is the same whichever process or order runs it."""
    spec, env, oracle, seed = context.spec, context.env, context.oracle, config.seed + episode
    instruction = config.instruction or spec.sample_instruction(np.random.default_rng(seed))
    expert = spec.make_expert(env, noise=0.0, seed=seed) if config.takeover else None
    recorder = FrameRecorder() if config.video and episode == 0 else None
    achievements = AchievementTracker()
    agent = Agent(env, context.planner, make_actor(env, seed), expert=expert,
                  config=AgentConfig(config.max_replans, takeover=config.takeover, replan_each=config.replan_each,
                                     survival=spec.load_survival() if config.survival else None,
                                     preempt=config.preempt),
                  hooks=[achievements] + ([recorder] if recorder else []))
    trajectory = agent.run(instruction, seed)
    if recorder is not None:
        from embodied.video import write_video

        write_video(config.video, recorder.video_frames())
    done = instruction_done(trajectory, instruction, env, oracle)
    chain = all(r.success for r in trajectory.results if r.actor == "policy") and trajectory.success
    return {"seed": seed, "instruction": instruction, "results": [r.to_json() for r in trajectory.results],
            "success": trajectory.success, "chain_success": chain, "instruction_success": done,
            "steps": len(trajectory.actions), "unlocked": dict(achievements.unlocked),
            "oracle_steps": oracle_length(oracle, instruction, trajectory.start_observation, env),
            "plan_sources": [plan.planner for plan in trajectory.plans], "planning_ms": trajectory.planning_ms,
            "planner": getattr(context.planner, "name", type(context.planner).__name__)}


EPISODE_KEYS = ("seed", "instruction", "results", "success", "chain_success", "instruction_success", "steps",
                "unlocked")  # what eval.json lists per episode (everything but timings)


def evaluate(config: EvalConfig, make_planner_for: Callable[[World], Planner] | None = None) -> dict[str, Any]:
    """Roll the policy out for `config.episodes` seeded episodes; metrics dict (also written as JSON).

    `make_planner_for(world)` builds the agent's planner (default: the world's symbolic planner); it is
    pickled to the worker processes when `config.workers > 1` or `config.engine == "ray"`."""
    from policies.base import load_policy  # torch: not imported by the env worker processes

    began = time.time()
    policy = load_policy(policy_dir(config.checkpoint), config.device)
    if config.engine not in ("local", "ray"):
        raise ValueError(f"engine={config.engine!r}: expected local or ray")
    if config.survival:
        world(policy.features.env_name).load_survival()  # a world without survival rules: one line, before any episode
    if config.preempt and not config.survival:
        raise InvalidPlanError("preempt=true stops a subgoal for what the survival rule asks: add survival=true")
    if config.engine == "ray":
        from embodied.ray_engine import evaluate_on_ray

        outcomes, env = evaluate_on_ray(config, make_planner_for), policy.features.make_env()
    elif config.workers > 1:
        from embodied.rollouts import evaluate_batched

        outcomes, env = evaluate_batched(config, policy, make_planner_for), policy.features.make_env()
    else:
        context = make_context(policy.features.env_name, policy.features.env_kwargs, make_planner_for)
        outcomes = [run_episode(context, config, episode, lambda env, seed: PolicyActor(policy, env, seed))
                    for episode in tqdm(range(config.episodes), desc=f"eval {context.spec.name}", unit="ep")]
        env = context.env
    metrics = summarize(config, policy.features.env_name, env, sorted(outcomes, key=lambda o: o["seed"]),
                        time.time() - began)
    out = config.out or os.path.join(config.checkpoint, "eval.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as handle:
        json.dump(metrics, handle, indent=2)
    metrics["metrics_path"] = out
    return metrics


def summarize(config: EvalConfig, world_name: str, env: Any, outcomes: list[dict[str, Any]],
              seconds: float) -> dict[str, Any]:
    """The metrics of `outcomes` (from `run_episode`, in seed order)."""
    per_subgoal: dict[str, list[bool]] = defaultdict(list)
    by_length: dict[int, list[bool]] = defaultdict(list)  # instruction success by the oracle plan's length
    unlocked: dict[str, list[bool]] = defaultdict(list)  # worlds with achievements (Crafter)
    plan_sources: dict[str, int] = defaultdict(int)
    survival: dict[str, list[bool]] = defaultdict(list)  # subgoals inserted by the survival rule (survival=true)
    for outcome in outcomes:
        for result in outcome["results"]:
            if result["actor"] == "policy":
                per_subgoal[result["subgoal"]].append(result["success"])
            elif result["actor"] == "survival":
                survival[result["subgoal"]].append(result["success"])
        by_length[outcome["oracle_steps"]].append(outcome["instruction_success"])
        for source in outcome["plan_sources"]:
            plan_sources[source] += 1
        for name, flag in outcome["unlocked"].items():
            unlocked[name].append(flag)
    planning_ms = [ms for outcome in outcomes for ms in outcome["planning_ms"]]
    metrics = {
        "env": world_name,
        "checkpoint": os.path.abspath(config.checkpoint), "episodes": config.episodes,
        "seeds": [config.seed, config.seed + config.episodes - 1], "takeover": config.takeover,
        "subgoals": {name: rate_summary(flags) for name, flags in sorted(per_subgoal.items())},
        "survival_subgoals": {name: rate_summary(flags) for name, flags in sorted(survival.items())},
        "deaths": sum(any("agent died" in r["reason"] for r in o["results"]) for o in outcomes),
        "skills": _per_skill(per_subgoal, env),
        "chain_success": rate_summary([o["chain_success"] for o in outcomes]),
        "instruction_success": rate_summary([o["instruction_success"] for o in outcomes]),
        "instruction_success_by_steps": {str(n): rate_summary(flags) for n, flags in sorted(by_length.items())},
        "subgoals_done_per_episode": mean_summary([subgoals_done(o["results"]) for o in outcomes]),
        "planner": outcomes[0]["planner"] if outcomes else "", "plan_sources": dict(plan_sources),
        "median_planning_ms": float(np.median(planning_ms)) if planning_ms else 0.0,
        "mean_steps": float(np.mean([o["steps"] for o in outcomes])),
        "seconds": round(seconds, 2), "workers": config.workers, "engine": config.engine,
        "episodes_per_second": round(len(outcomes) / max(seconds, 1e-9), 3),
    }
    if unlocked and not config.takeover:  # with takeover the expert's achievements would count too
        rates = {name: 100.0 * float(np.mean(flags)) for name, flags in sorted(unlocked.items())}
        metrics["achievements_percent"] = rates
        metrics["crafter_score"] = crafter_score(rates)
    metrics["per_episode"] = [{key: outcome[key] for key in EPISODE_KEYS} for outcome in outcomes]
    return metrics
