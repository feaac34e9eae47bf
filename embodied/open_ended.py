"""The open-ended Crafter benchmark: whole episodes (10,000 steps or death) driven by a curriculum.

After every subgoal the planner picks the next one from the state, until the episode ends: the `curriculum`
(embodied/worlds/crafter/curriculum.py), or a language backend (llm, mllm, openai) choosing among the
curriculum's candidates, with survival and invalid replies left to the curriculum (chooser.py); each
episode records which of them chose each subgoal (`choices`).

The score is the Crafter paper's (Hafner, 2021): the success rate s_i of each of the 22 achievements over
episodes (unlocked at least once), score = exp(mean(ln(1 + s_i))) - 1 with s_i in percent, with a seeded
bootstrap 95% interval over episodes. `actor=expert` plays the scripted expert through the same loop (the
upper bound of what the policies learn from).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
from tqdm import tqdm

from embodied.agent import Agent, AgentConfig, PolicyActor, Trajectory
from embodied.evaluation import bootstrap_interval, crafter_score, policy_dir
from embodied.hooks import AchievementTracker, AgentHooks
from embodied.registry import make_planner, world
from embodied.types import Feedback, InvalidPlanError
from embodied.worlds.crafter.curriculum import INSTRUCTION, describe_with_threats, survival_for
from embodied.worlds.crafter.vocab import ACHIEVEMENTS
from embodied.worlds.expert import Expert

IDLE_LIMIT = 20  # consecutive subgoals without a single env step: the actor is stuck, the episode ends


class _EpisodeEnd(AgentHooks):
    """Whether the env said the episode is over (a subgoal that succeeds on the last step hides it)."""

    def __init__(self) -> None:
        self.ended = False

    def on_episode_start(self, agent: Agent, instruction: str, seed: int) -> None:
        self.ended = False

    def on_step(self, agent: Agent, step: Any) -> None:
        self.ended = self.ended or step.terminated or step.truncated


class OpenEndedAgent(Agent):
    """The agent loop with no instruction to finish: ask the planner for the next subgoal until the end.

    `keep_observations=True` keeps every step's observation (recording demos, `collect open_ended=true`);
    evaluation keeps only actions and outcomes of these long episodes."""

    def __init__(self, *args: Any, keep_observations: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keep_observations = keep_observations
        self._end = _EpisodeEnd()
        self.hooks.append(self._end)

    def _observe(self) -> dict[str, Any]:
        observation = describe_with_threats(self.env)
        if getattr(self.planner, "wants_image", False):
            observation["rgb"] = self.env.render()
        return observation

    def run(self, instruction: str = INSTRUCTION, seed: int = 0) -> Trajectory:
        obs, self.info = self.env.reset(seed=seed)
        trajectory = Trajectory(start_observation=self.env.describe())
        self.actor.reset()
        getattr(self.planner, "reset", lambda: None)()
        self._emit("on_episode_start", instruction, seed)
        plan, idle = self._timed(trajectory, lambda: self._plan(instruction)), 0
        name = "expert" if isinstance(self.actor, Expert) else "policy"
        while plan.subgoals and not self._end.ended and idle < IDLE_LIMIT:
            before = len(trajectory.actions)
            obs, result = self._execute(plan.subgoals[0], self.actor, obs, trajectory, name)
            if not self.keep_observations:
                trajectory.observations.clear()  # long episodes: keep actions and outcomes, not the frames
            idle = 0 if len(trajectory.actions) > before else idle + 1
            if self._end.ended:
                break
            if result.success:
                plan = self._timed(trajectory, lambda: self._plan(instruction))
            else:
                feedback = Feedback(plan.subgoals[0], self._observe(), [], result.reason)
                plan = self._timed(trajectory, lambda p=plan, f=feedback: self.planner.replan(p, f, self.env.skills))
        trajectory.success = self.env.player.health > 0  # alive at the end
        self._emit("on_episode_end", trajectory)
        return trajectory

    def _timed(self, trajectory: Trajectory, make_plan: Callable[[], Any]) -> Any:
        began = time.perf_counter()
        plan = make_plan()
        trajectory.planning_ms.append(1000 * (time.perf_counter() - began))
        trajectory.plans.append(plan)
        self._emit("on_plan", plan, "plan")
        return plan


def open_ended_planner(planner: Any, world_name: str) -> Any:
    """The curriculum (for no planner, `symbolic` or `curriculum`), or a language planner's chat model choosing
    among the curriculum's candidates (embodied/worlds/crafter/chooser.py); anything else is refused."""
    if planner is None or getattr(planner, "name", "") == "symbolic":
        return make_planner("curriculum", world_name)
    if getattr(planner, "name", "") == "curriculum":
        return planner
    if callable(getattr(getattr(planner, "model", None), "complete", None)):
        from embodied.worlds.crafter.chooser import SubgoalChooser

        return SubgoalChooser.around(planner)
    raise InvalidPlanError(f"open-ended play asks planner=curriculum (or a language planner: llm, mllm, openai) "
                           f"for each next subgoal; planner={getattr(planner, 'name', planner)} cannot choose one")


def bootstrap_score(unlocked: np.ndarray, samples: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval of the Crafter score, resampling episodes. unlocked: (episodes, 22) bool."""
    return bootstrap_interval(
        len(unlocked), lambda indices: crafter_score(dict(enumerate(100.0 * unlocked[indices].mean(axis=0)))),
        samples, seed)


def evaluate_open_ended(config: Any, make_planner_for: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """Play `config.episodes` open-ended episodes (seeds config.seed ...); metrics dict, written as JSON."""
    policy = load = None
    if config.checkpoint:
        from policies.base import load_policy

        load = policy_dir(config.checkpoint)
        policy = load_policy(load, config.device) if config.actor == "policy" else None
    if config.actor not in ("policy", "expert") or (config.actor == "policy" and policy is None):
        raise InvalidPlanError(f"actor={config.actor}: open-ended play takes actor=policy with a checkpoint, "
                               f"or actor=expert")
    spec = world(policy.features.env_name if policy else "crafter")
    if spec.name != "crafter":
        raise InvalidPlanError(f"open_ended=true is the Crafter benchmark; the checkpoint is of {spec.name!r}")
    env = (policy.features.make_env(max_steps=config.max_steps) if policy
           else spec.make_env(max_steps=config.max_steps, **getattr(config, "env_kwargs", {})))
    planner = open_ended_planner(make_planner_for(spec) if make_planner_for else None, spec.name)
    tracker, rows, began = AchievementTracker(), [], time.time()
    bar = tqdm(range(config.episodes), desc=f"open-ended crafter ({config.actor})", unit="ep")
    for episode in bar:
        seed = config.seed + episode
        actor = (PolicyActor(policy, env, seed) if policy is not None
                 else spec.make_expert(env, noise=0.0, seed=seed))
        settings = AgentConfig(survival=survival_for, preempt=True) if getattr(config, "preempt", False) else None
        trajectory = OpenEndedAgent(env, planner, actor, settings, hooks=[tracker]).run(INSTRUCTION, seed)
        rows.append({"seed": seed, "steps": len(trajectory.actions), "died": env.player.health <= 0,
                     "subgoals": len(trajectory.results), "succeeded": sum(r.success for r in trajectory.results),
                     "unlocked": sorted(name for name, flag in tracker.unlocked.items() if flag),
                     "choices": dict(Counter(plan.planner for plan in trajectory.plans if plan.subgoals)),
                     "outcomes": [[r.subgoal, int(r.success), r.steps] for r in trajectory.results],
                     "planning_s": round(sum(trajectory.planning_ms) / 1000, 2)}
                    | ({"agreed": planner.agreed} if hasattr(planner, "agreed") else {}))
        bar.set_postfix(achievements=len(rows[-1]["unlocked"]), steps=rows[-1]["steps"])
    metrics = summarize(rows, config, load, time.time() - began, planner.name)
    out = config.out or os.path.join(config.checkpoint or ".", "open_ended.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as handle:
        json.dump(metrics, handle, indent=2)
    metrics["metrics_path"] = out
    return metrics


def summarize(rows: list[dict[str, Any]], config: Any, checkpoint: str | None, seconds: float,
              planner: str = "curriculum") -> dict[str, Any]:
    """Per-achievement success rates (%), the Crafter score and its bootstrap interval, episode statistics."""
    unlocked = np.array([[name in row["unlocked"] for name in ACHIEVEMENTS] for row in rows], dtype=bool)
    rates = {name: 100.0 * float(unlocked[:, i].mean()) for i, name in enumerate(ACHIEVEMENTS)}
    low, high = bootstrap_score(unlocked)
    return {
        "env": "crafter", "open_ended": True, "actor": config.actor,
        "checkpoint": os.path.abspath(checkpoint) if checkpoint else None, "episodes": len(rows),
        "seeds": [config.seed, config.seed + len(rows) - 1], "max_steps": config.max_steps,
        "achievements_percent": rates, "crafter_score": crafter_score(rates), "crafter_score_ci95": [low, high],
        "mean_achievements": float(unlocked.sum(axis=1).mean()),
        "mean_steps": float(np.mean([row["steps"] for row in rows])),
        "death_rate": float(np.mean([row["died"] for row in rows])),
        "planner": planner, "choices": dict(sum((Counter(row["choices"]) for row in rows), Counter())),
        "mean_planning_s": float(np.mean([row["planning_s"] for row in rows])),
        "agreed": sum(row.get("agreed", 0) for row in rows),  # model choices the curriculum would have made too
        **subgoal_statistics(rows),
        "episodes_detail": rows, "seconds": round(seconds, 1),
    }


def subgoal_statistics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per subgoal text: attempts and successes over all episodes, and the subgoal each death happened in
    (what failing subgoals and deaths to look at first)."""
    attempts: Counter = Counter()
    successes: Counter = Counter()
    deaths: Counter = Counter()
    for row in rows:
        outcomes = row.get("outcomes", [])
        for subgoal, success, _ in outcomes:
            attempts[subgoal] += 1
            successes[subgoal] += int(success)
        if row["died"]:
            deaths[outcomes[-1][0] if outcomes else "(no subgoal)"] += 1
    return {"subgoals": {name: {"attempts": count, "successes": successes[name]}
                         for name, count in attempts.most_common()},
            "died_during": dict(deaths.most_common())}


def report_table(metrics: dict[str, Any]) -> Any:
    """A rich table: each achievement's success rate, then the score with its interval."""
    from rich.table import Table

    table = Table(title=f"open-ended Crafter ({metrics['actor']}, planner {metrics['planner']}, "
                        f"{metrics['episodes']} episodes, up to {metrics['max_steps']} steps)")
    for column in ("achievement", "success rate"):
        table.add_column(column)
    for name, rate in metrics["achievements_percent"].items():
        table.add_row(name.replace("_", " "), f"{rate:.1f}%")
    low, high = metrics["crafter_score_ci95"]
    table.add_row("[bold]Crafter score[/bold]", f"{metrics['crafter_score']:.1f}% [{low:.1f}, {high:.1f}]")
    table.add_row("mean achievements / episode", f"{metrics['mean_achievements']:.1f}")
    table.add_row("mean steps / deaths", f"{metrics['mean_steps']:.0f} / {metrics['death_rate']:.0%}")
    table.add_row("subgoals chosen by", ", ".join(f"{name} {count}" for name, count in metrics["choices"].items()))
    deaths = list(metrics.get("died_during", {}).items())[:3]
    if deaths:
        table.add_row("died during (most often)", ", ".join(f"{name} {count}" for name, count in deaths))
    return table
