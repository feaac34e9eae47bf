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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from embodied.agent import Agent, AgentConfig, PolicyActor, Trajectory
from embodied.hooks import AchievementTracker, FrameRecorder
from embodied.registry import World, make_planner, world
from embodied.types import InvalidPlanError
from policies.base import load_policy

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
    open_ended: bool = False  # Crafter: whole episodes, the curriculum picks each next subgoal (embodied/open_ended.py)
    actor: str = "policy"  # open_ended: policy | expert (the scripted expert through the same loop)
    max_steps: int = 10_000  # open_ended: episode length cap (Crafter's own length is 10,000)


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
    if any(r.actor != "policy" for r in trajectory.results):
        return False
    if not trajectory.success and oracle_length(oracle, instruction, trajectory.start_observation, env) < 0:
        return False
    achieved = [env.parse_subgoal(r.subgoal) for r in trajectory.results if r.success]
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


def evaluate(config: EvalConfig, make_planner_for: Callable[[World], Planner] | None = None) -> dict[str, Any]:
    """Roll the policy out for `config.episodes` seeded episodes; metrics dict (also written as JSON).

    `make_planner_for(world)` builds the agent's planner (default: the world's symbolic planner)."""
    policy = load_policy(policy_dir(config.checkpoint), config.device)
    spec = world(policy.features.env_name)
    env = policy.features.make_env()
    oracle = spec.load_rules()
    planner = make_planner_for(spec) if make_planner_for else make_planner("symbolic", spec.name)
    expert = spec.make_expert(env, noise=0.0, seed=config.seed) if config.takeover else None
    per_subgoal: dict[str, list[bool]] = defaultdict(list)
    chain, done, steps, began = [], [], [], time.time()
    plan_sources: dict[str, int] = defaultdict(int)
    by_length: dict[int, list[bool]] = defaultdict(list)  # instruction success by the oracle plan's length
    planning_ms: list[float] = []
    unlocked: dict[str, list[bool]] = defaultdict(list)  # worlds with achievements (Crafter)
    achievements = AchievementTracker()
    for episode in tqdm(range(config.episodes), desc=f"eval {spec.name}", unit="ep"):
        seed = config.seed + episode
        instruction = config.instruction or spec.sample_instruction(np.random.default_rng(seed))
        recorder = FrameRecorder() if config.video and episode == 0 else None
        agent = Agent(env, planner, PolicyActor(policy, env, seed), expert=expert,
                      config=AgentConfig(config.max_replans, takeover=config.takeover),
                      hooks=[achievements] + ([recorder] if recorder else []))
        trajectory = agent.run(instruction, seed)
        for result in trajectory.results:
            if result.actor == "policy":
                per_subgoal[result.subgoal].append(result.success)
        chain.append(all(r.success for r in trajectory.results if r.actor == "policy") and trajectory.success)
        done.append(instruction_done(trajectory, instruction, env, oracle))
        by_length[oracle_length(oracle, instruction, trajectory.start_observation, env)].append(done[-1])
        planning_ms += trajectory.planning_ms
        for plan in trajectory.plans:
            plan_sources[plan.planner] += 1
        steps.append(len(trajectory.actions))
        for name, flag in achievements.unlocked.items():
            unlocked[name].append(flag)
        if recorder is not None:
            from embodied.video import write_video

            write_video(config.video, recorder.frames)
    metrics = {
        "env": spec.name, "checkpoint": os.path.abspath(config.checkpoint), "episodes": config.episodes,
        "seeds": [config.seed, config.seed + config.episodes - 1], "takeover": config.takeover,
        "subgoals": {name: rate_summary(outcomes) for name, outcomes in sorted(per_subgoal.items())},
        "skills": _per_skill(per_subgoal, env),
        "chain_success": rate_summary(chain), "instruction_success": rate_summary(done),
        "instruction_success_by_steps": {str(n): rate_summary(flags) for n, flags in sorted(by_length.items())},
        "planner": getattr(planner, "name", type(planner).__name__), "plan_sources": dict(plan_sources),
        "median_planning_ms": float(np.median(planning_ms)) if planning_ms else 0.0,
        "mean_steps": float(np.mean(steps)),
        "seconds": round(time.time() - began, 2),
    }
    if unlocked and not config.takeover:  # with takeover the expert's achievements would count too
        rates = {name: 100.0 * float(np.mean(flags)) for name, flags in sorted(unlocked.items())}
        metrics["achievements_percent"] = rates
        metrics["crafter_score"] = crafter_score(rates)
    out = config.out or os.path.join(config.checkpoint, "eval.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as handle:
        json.dump(metrics, handle, indent=2)
    metrics["metrics_path"] = out
    return metrics
