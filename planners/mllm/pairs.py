"""Training pairs for the `mllm` planner: (frame, state summary, instruction) -> the symbolic oracle's plan.

States come from HDF5 datasets recorded by `embodied collect` (the real scripted expert) in the world being
trained for. The file keeps each step's observation (Crafter: frame and inventory) but not the symbolic state
(what was nearby, what is on what), so every episode is replayed in the world from its recorded seed with its
recorded actions, and the env's own `describe()` is taken at each step whose replayed observation equals the
recorded one (steps where the replay diverged are skipped). The frame is the recorded `obs/rgb` where the
dataset has one (MuJoCo worlds record it with `env.kwargs.render=true`), else the pair is text-only. The
user turn is exactly what planners/prompts.py writes at planning time (`user_turn(describe_state(...))`).

Instructions are drawn with planners/instructions.py's templates (`sample_case`); any text that
`generate(200, seed=0)` produces (the evaluation set of `embodied eval-planner`) is never used, so the
planner is scored on instructions it never trained on. A `synthetic` share of pairs uses the generator's
own random start states, without an image (as `eval-planner` and other text-only callers plan).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from embodied.registry import world as world_spec
from embodied.types import InvalidPlanError
from embodied.worlds.language import describe_state
from planners import prompts
from planners.instructions import generate, sample_case
from planners.mllm.model import Sample
from planners.validation import vocabulary

EVAL_N, EVAL_SEED = 200, 0  # `embodied eval-planner` defaults: these instructions are held out


State = tuple[np.ndarray | None, dict[str, Any]]  # (rgb frame or None, planner-visible observation)


def dataset_states(paths: Sequence[str], max_episodes: int = 0, world: str = "") -> list[State]:
    """(frame, observation) for every step of the datasets whose replay reproduces the recording; datasets
    must be of `world` when it is given (a plan for one world's state is no use in another)."""
    from embodied.datasets.hdf5 import demo_names, env_args, open_dataset, read_episode

    states: list[State] = []
    for path in paths:
        with open_dataset(path) as file:
            args = env_args(file)
            if world and args["env_name"] != world:
                raise ValueError(f"train-planner: {path} holds {args['env_name']!r} episodes, but the planner is "
                                 f"trained for world={world!r}")
            env = world_spec(args["env_name"]).make_env(**(args.get("env_kwargs") or {}))
            for name in demo_names(file)[:max_episodes or None]:
                episode = read_episode(file, name)
                obs, _ = env.reset(seed=episode.seed)
                for t, action in enumerate(episode.actions):
                    if all(np.array_equal(obs[key], recorded[t]) for key, recorded in episode.obs.items()):
                        frame = episode.obs["rgb"][t] if "rgb" in episode.obs else None
                        states.append((frame, observation_of(env.describe())))
                    obs, *_ = env.step(action)
            env.close()
    return states


def observation_of(described: dict[str, Any]) -> dict[str, Any]:
    """The planner-visible part of an env's `describe()` (what prompts.describe_state shows)."""
    return {key: value for key, value in described.items() if key not in ("achievements", "subgoal")}


def held_out(world: str = "crafter") -> set[str]:
    return {case.instruction for case in generate(EVAL_N, EVAL_SEED, world)}


def make_pairs(states: Sequence[State], n: int, seed: int = 1,
               synthetic: float = 0.5, world: str = "crafter") -> list[Sample]:
    """`n` samples: a dataset state (with its frame) or, with probability `synthetic` (always, if there are no
    states), a generated text-only start state; a fresh instruction; the oracle's plan as the target."""
    vocab = vocabulary(world)
    oracle = world_spec(world).load_rules()
    hidden = prompts.world_prompt(vocab).hidden
    excluded = held_out(world)
    rng = np.random.default_rng(seed)
    samples: list[Sample] = []
    for _ in range(50 * n):
        if len(samples) >= n:
            break
        case = sample_case(rng, world)
        if case is None or case.instruction in excluded:
            continue
        image, observation = None, case.observation
        if states and rng.random() >= synthetic:
            image, observation = states[int(rng.integers(len(states)))]
        try:
            plan = oracle.plan(case.canonical, observation, vocab.skills)
        except InvalidPlanError:
            continue
        user = prompts.user_turn(describe_state(observation, hidden), case.instruction)
        samples.append(Sample(user, image, tuple(s.text for s in plan.subgoals)))
    return samples
