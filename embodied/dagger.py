"""DAgger (Ross, Gordon and Bagnell, 2011) with the world's privileged scripted expert.

Round 0 trains on the demonstrations (or starts from a given run). Round i >= 1 rolls the current policy out
under the symbolic planner, asks the expert at every visited state what it would do for the current subgoal
(the label), executes the expert's action with probability beta_i = beta ** i and the policy's otherwise,
appends those steps (`source` = "dagger") to one growing dataset, trains on for more steps (resuming the run)
and evaluates on held-out seeds (10000...); `RUN/policy_round_I` keeps each round's policy.
`RUN/dagger.json` holds one row per finished round: an
interrupted run resumes at the first unfinished round, and a round's finished rollouts are not redone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm import tqdm

from embodied.agent import Agent, AgentConfig, PolicyActor, Trajectory
from embodied.datasets.hdf5 import (
    DatasetWriter,
    Episode,
    dataset_paths,
    demo_names,
    open_dataset,
    read_episode,
    step_sources,
)
from embodied.evaluation import EvalConfig, evaluate
from embodied.registry import make_planner, world
from embodied.training import TrainConfig, train
from embodied.types import Subgoal

DATASET = "dataset.hdf5"  # the aggregated dataset inside RUN
TRAIN_DIR = "train"  # the training run inside RUN (policy/, checkpoints/, log.csv)
EVAL_SEED = 10_000


class DaggerError(ValueError):
    """A DAgger run cannot start as configured (one line says why)."""


@dataclass
class DaggerConfig:
    """What `embodied dagger` runs (policy and optimisation settings come with it separately)."""

    dataset: Any = "data/demos/crafter.hdf5"  # one HDF5 file, or a list of them (copied into one aggregate)
    out: str = "data/runs/dagger"
    rounds: int = 3  # DAgger rounds after round 0 (training on the demonstrations)
    episodes_per_round: int = 10
    beta: float = 0.5  # round i executes the expert's action with probability beta ** i
    steps_per_round: int = 500  # training steps added in each round (round 0 trains train.steps)
    init: str | None = None  # a finished `embodied train` run to start from instead of training in round 0
    instruction: str | None = None  # None: the world's instruction sampler, seeded per episode
    seed: int | None = None  # first rollout seed; None: one past the dataset's largest seed
    max_replans: int = 2
    eval_episodes: int = 5
    eval_instruction: str | None = None  # None: the rollout instruction
    device: str = "cpu"  # where the policy runs during rollouts and evaluation
    open_ended: bool = False  # Crafter: whole-episode rollouts under the curriculum, rounds scored by Crafter score
    max_steps: int = 10_000  # open_ended: episode length cap of the rollouts and the evaluation
    # each round's training gets its own warm-up and cosine from train.lr (false: one schedule stretched over the
    # rounds, whose tail is a tenth of train.lr or less: the rounds barely move a long run's weights)
    restart_schedule: bool = False
    eval_workers: int = 1  # envs in processes for each round's evaluation (embodied.rollouts)


class ExpertLabeller:
    """Actor for DAgger rollouts: the expert labels every step, the policy (or, with probability beta, the
    expert) acts. The expert is asked at every step, whoever acts, so a stateful expert keeps its state.

    `intended` is the expert's action (recorded with AgentConfig(record_intended=True)); `controllers`
    says per step who acted ("policy" / "expert")."""

    def __init__(self, policy_actor: Any, expert: Any, beta: float, seed: int) -> None:
        self.policy_actor, self.expert, self.beta = policy_actor, expert, beta
        self.rng = np.random.default_rng(seed)
        self.intended: Any = None
        self.controllers: list[str] = []

    def reset(self) -> None:
        self.policy_actor.reset()
        self.expert.reset()
        self.controllers = []

    def start(self, subgoal: Subgoal) -> None:
        self.expert.start(subgoal)
        self.policy_actor.start(subgoal)

    def act(self, observation: dict[str, np.ndarray]) -> Any:
        label = self.expert.act(observation)  # ExpertStuck ends the subgoal, as for the expert itself
        meant = getattr(self.expert, "intended", None)
        self.intended = label if meant is None else meant
        action = self.policy_actor.act(observation)  # every step: the policy's history stays its own
        expert_acts = self.rng.random() < self.beta
        self.controllers.append("expert" if expert_acts else "policy")
        return label if expert_acts else action


def dagger_episode(env: Any, spec: Any, policy: Any, planner: Any, seed: int, beta: float, instruction: str,
                   max_replans: int = 2, hooks: tuple = (), open_ended: bool = False
                   ) -> tuple[Episode | None, Trajectory]:
    """One expert-labelled rollout of `policy` (None when it took no step); `open_ended`: a whole Crafter
    episode, the curriculum `planner` choosing each next subgoal (embodied/open_ended.py)."""
    expert = spec.make_expert(env, noise=0.0, seed=seed)
    labeller = ExpertLabeller(PolicyActor(policy, env, seed), expert, beta, seed)
    settings = AgentConfig(max_replans, takeover=False, record_intended=True)
    if open_ended:
        from embodied.open_ended import OpenEndedAgent

        agent: Agent = OpenEndedAgent(env, planner, labeller, settings, hooks=list(hooks), keep_observations=True)
    else:
        agent = Agent(env, planner, labeller, settings, hooks=list(hooks))
    trajectory = agent.run(instruction, seed)
    if not trajectory.actions:
        return None, trajectory
    episode = trajectory.to_episode(instruction, seed)
    episode.source = ["dagger"] * len(episode)
    return episode, trajectory


def run_dagger(config: DaggerConfig, policy_name: str, policy_overrides: dict[str, Any],
               train_config: TrainConfig) -> dict[str, Any]:
    """Run (or resume) DAgger; returns the dagger.json content (one row per finished round)."""
    os.makedirs(config.out, exist_ok=True)
    state_path = os.path.join(config.out, "dagger.json")
    state = _load_state(state_path)
    aggregate = os.path.join(config.out, DATASET)
    run_dir = os.path.join(config.out, TRAIN_DIR)
    if not os.path.exists(aggregate):
        _copy_dataset(config.dataset, aggregate)
    if config.init:  # the policy is the given run's (also when resuming)
        policy_name, policy_overrides, trained_with = _start_from(config.init, run_dir)
        train_config = _continue_settings(train_config, trained_with, run_dir)
    if "first_seed" not in state:  # fixed at the start, so a resumed run draws the same seeds
        state["first_seed"] = _first_seed(config, aggregate)
        state["base_steps"] = _trained_steps(run_dir) if config.init else train_config.steps
        _save_state(state_path, state)
    first_seed, base_steps = int(state["first_seed"]), int(state["base_steps"])
    done = {row["round"] for row in state["rounds"]}
    for round_index in range(config.rounds + 1):
        if round_index in done:
            tqdm.write(f"dagger round {round_index}: finished before, kept")
            continue
        began = time.time()
        beta = config.beta ** round_index
        if round_index > 0:
            seeds = [first_seed + (round_index - 1) * config.episodes_per_round + j
                     for j in range(config.episodes_per_round)]
            if seeds[-1] >= EVAL_SEED:
                raise DaggerError(f"round {round_index} would roll out on evaluation seeds (>= {EVAL_SEED})")
            _rollouts(config, run_dir, aggregate, seeds, beta, round_index)
        steps = base_steps + round_index * config.steps_per_round
        start = steps - config.steps_per_round if config.restart_schedule and round_index else 0
        train([aggregate], policy_name, policy_overrides,
              dataclasses.replace(train_config, steps=steps, schedule_start=start), run_dir)
        metrics = _evaluate_round(config, run_dir, round_index)
        kept = os.path.join(config.out, f"policy_round_{round_index}")  # each round's policy, to pick the best
        shutil.copytree(os.path.join(run_dir, "policy"), kept, dirs_exist_ok=True)
        state["rounds"].append(_row(round_index, beta, steps, aggregate, metrics, time.time() - began))
        state["config"] = dataclasses.asdict(config)
        _save_state(state_path, state)
    return state


def _evaluate_round(config: DaggerConfig, run_dir: str, round_index: int) -> dict[str, Any]:
    """The policy alone on `eval_episodes` held-out seeds: instruction success, or the open-ended Crafter score."""
    settings = EvalConfig(
        checkpoint=run_dir, episodes=config.eval_episodes, seed=EVAL_SEED,
        instruction=config.eval_instruction or config.instruction, takeover=False, max_replans=config.max_replans,
        out=os.path.join(config.out, f"eval_round_{round_index}.json"), device=config.device,
        open_ended=config.open_ended, max_steps=config.max_steps, workers=config.eval_workers)
    if config.open_ended:
        from embodied.open_ended import evaluate_open_ended

        return evaluate_open_ended(settings)
    return evaluate(settings)


def _rollouts(config: DaggerConfig, run_dir: str, aggregate: str, seeds: list[int], beta: float,
              round_index: int) -> None:
    """Expert-labelled rollouts of the current policy for `seeds` not yet in the aggregate, appended to it."""
    from embodied.worlds.crafter.curriculum import INSTRUCTION as OPEN_ENDED_INSTRUCTION
    from policies.base import load_policy

    policy = load_policy(os.path.join(run_dir, "policy"), config.device)
    spec = world(policy.features.env_name)
    if config.open_ended and spec.name != "crafter":
        raise DaggerError(f"open_ended=true rolls out whole Crafter episodes; the policy is of {spec.name!r}")
    env = policy.features.make_env(max_steps=config.max_steps) if config.open_ended else policy.features.make_env()
    planner = make_planner("curriculum" if config.open_ended else "symbolic", spec.name)
    with open_dataset(aggregate) as file:
        recorded = {int(file["data"][name].attrs.get("seed", -1)) for name in demo_names(file)}
        writer_args = (json.loads(file["data"].attrs["env_args"]), json.loads(file["data"].attrs["goal_texts"]))
    writer = DatasetWriter(aggregate, *writer_args)
    todo = [seed for seed in seeds if seed not in recorded]
    labelled, succeeded = 0, 0
    bar = tqdm(todo, desc=f"dagger round {round_index} (beta {beta:.2f})", unit="ep")
    for seed in bar:
        instruction = (OPEN_ENDED_INSTRUCTION if config.open_ended
                       else config.instruction or spec.sample_instruction(np.random.default_rng(seed)))
        episode, trajectory = dagger_episode(env, spec, policy, planner, seed, beta, instruction, config.max_replans,
                                             open_ended=config.open_ended)
        if episode is not None:
            writer.write(episode)
            labelled += len(episode)
        succeeded += int(trajectory.success)
        bar.set_postfix(labelled_steps=labelled, success=f"{succeeded}/{bar.n + 1}")
    bar.close()
    writer.close()


def _copy_dataset(sources: Any, target: str) -> None:
    """The demonstrations, copied into the aggregate with `source` marked per step (written then renamed)."""
    partial = target + ".partial"
    if os.path.exists(partial):
        os.remove(partial)
    writer, first_args = None, None
    for source in dataset_paths(sources):
        with open_dataset(source) as file:
            env_args = json.loads(file["data"].attrs["env_args"])
            goal_texts = tuple(json.loads(file["data"].attrs["goal_texts"]))
            names = demo_names(file)
            if not names:
                raise DaggerError(f"dataset={source}: holds no finished episodes")
            if first_args is not None and env_args != first_args:
                raise DaggerError(f"dataset={source}: recorded with other env settings than the first file")
            first_args = env_args
            writer = writer or DatasetWriter(partial, env_args, goal_texts)
            for name in tqdm(names, desc=f"copy demonstrations ({os.path.basename(source)})", unit="ep"):
                episode = read_episode(file, name)
                episode.source = episode.source or ["expert"] * len(episode)
                writer.write(episode)
    if writer is not None:
        writer.close()
    with contextlib.suppress(FileNotFoundError):
        os.remove(partial + ".lock")  # the partial file's own lock, free now (the aggregate gets its own)
    os.replace(partial, target)


def _first_seed(config: DaggerConfig, aggregate: str) -> int:
    """Rollout seeds continue after the demonstrations' seeds; they must stay below the evaluation seeds."""
    if config.seed is not None:
        first = config.seed
    else:
        with open_dataset(aggregate) as file:
            seeds = [int(file["data"][n].attrs.get("seed", -1)) for n in demo_names(file)]
        first = max(seeds, default=-1) + 1
    last = first + config.rounds * config.episodes_per_round - 1
    if last >= EVAL_SEED:
        raise DaggerError(f"rollout seeds {first}..{last} reach the evaluation seeds (>= {EVAL_SEED}); "
                          f"pass a smaller seed= or fewer rounds / episodes_per_round")
    return first


def _start_from(init: str, run_dir: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Copy a finished training run (run.json, checkpoints/last.pt, policy/) to continue it (once); its policy
    name, policy settings and train settings."""
    run_json = os.path.join(init, "run.json")
    if not os.path.exists(os.path.join(init, "checkpoints", "last.pt")) or not os.path.exists(run_json):
        raise DaggerError(f"init={init}: not a training run directory (needs run.json and checkpoints/last.pt)")
    if not os.path.exists(run_dir):
        shutil.copytree(init, run_dir + ".partial", dirs_exist_ok=True)
        os.replace(run_dir + ".partial", run_dir)
    with open(os.path.join(run_dir, "run.json")) as handle:
        run = json.load(handle)
    return str(run["policy"]), dict(run.get("policy_config") or {}), dict(run.get("train") or {})


def _continue_settings(train_config: TrainConfig, trained_with: dict[str, Any], run_dir: str) -> TrainConfig:
    """Train settings that continue a given run: one that was itself a fine-tune (train.init) is rebuilt from its
    own exported policy, the network its checkpoint fits (its policy.* settings do not describe that network);
    its observation keys are kept unless train.obs_keys names others."""
    changes: dict[str, Any] = {}
    if trained_with.get("init") and not train_config.init:
        changes["init"] = os.path.join(run_dir, "policy")
    if train_config.obs_keys is None and trained_with.get("obs_keys"):
        changes["obs_keys"] = list(trained_with["obs_keys"])
    return dataclasses.replace(train_config, **changes)


def _trained_steps(run_dir: str) -> int:
    """The step a given training run ended at (round 0's training when starting from it)."""
    import torch

    state = torch.load(os.path.join(run_dir, "checkpoints", "last.pt"), map_location="cpu", weights_only=False)
    return int(state["step"])


def _row(round_index: int, beta: float, steps: int, aggregate: str, metrics: dict[str, Any],
         seconds: float) -> dict[str, Any]:
    with open_dataset(aggregate) as file:
        counts: dict[str, int] = {"expert": 0, "dagger": 0}
        for name in demo_names(file):
            for source in step_sources(file, name):
                counts[source] = counts.get(source, 0) + 1
        episodes = len(demo_names(file))
    row = {"round": round_index, "beta": beta if round_index else None, "train_steps": steps,
           "episodes": episodes, "expert_steps": counts["expert"], "dagger_steps": counts["dagger"],
           "eval_seeds": metrics["seeds"], "seconds": round(seconds, 1)}
    if metrics.get("open_ended"):
        return row | {"crafter_score": metrics["crafter_score"], "ci95": metrics["crafter_score_ci95"],
                      "mean_achievements": metrics["mean_achievements"], "mean_steps": metrics["mean_steps"]}
    success = metrics["instruction_success"]
    return row | {"success_rate": success["success_rate"], "ci95": success["ci95"],
                  "successes": success["successes"], "attempts": success["attempts"]}


def _load_state(path: str) -> dict[str, Any]:
    if not os.path.exists(path):
        return {"rounds": [], "config": {}}
    with open(path) as handle:
        return json.load(handle)


def _save_state(path: str, state: dict[str, Any]) -> None:
    with open(path + ".tmp", "w") as handle:
        json.dump(state, handle, indent=2)
    os.replace(path + ".tmp", path)

