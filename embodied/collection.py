"""Recording demonstrations: scripted experts run under the symbolic planner, episodes written to HDF5.

Episodes run in parallel worker processes (which die with the parent); the parent writes each finished
episode at once, so an interrupted recording keeps every episode finished before the interruption. Recording
into an existing file appends new seeds after the highest one it holds; a lock refuses a second writer.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
from tqdm import tqdm

from embodied.agent import Agent, AgentConfig, Trajectory
from embodied.datasets.hdf5 import DatasetWriter, Episode
from embodied.hooks import FrameRecorder
from embodied.ranges import check_ranges, check_video_path
from embodied.registry import make_planner, world
from embodied.scale import RayConfig
from embodied.types import InvalidPlanError


@dataclass
class CollectConfig:
    """What `embodied collect` records."""

    env: str = "crafter"
    episodes: int = 10
    out: str = "data/demos.hdf5"
    seed: int = 0
    noise: float = 0.05
    # record the expert's intended action rather than the noisy executed one (DART, Laskey et al. 2017): with a
    # larger `noise` the demos visit perturbed states and label them with the expert's correction
    record_intended: bool = False
    workers: int = 0  # 0: one per CPU core (at most one per episode)
    instruction: str | None = None  # None: the world's own instruction sampler
    open_ended: bool = False  # Crafter: whole episodes, the curriculum picks each next subgoal (embodied/open_ended.py)
    video: str | None = None  # mp4/gif of the first episode
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    engine: str = "local"  # local (process pool) | ray (episodes as Ray tasks; embodied.ray_engine)
    ray: RayConfig = field(default_factory=lambda: RayConfig())

    def __post_init__(self) -> None:
        check_ranges(self, "collect", positive=("episodes",), non_negative=("noise", "workers", "seed"))
        check_video_path(self.video, "collect")


@dataclass
class CollectResult:
    """Episodes written, steps and subgoal outcomes (for the summary line)."""

    episodes: int = 0
    steps: int = 0
    successful: int = 0
    subgoal_success: dict[str, list[bool]] = field(default_factory=dict)
    first_seed: int = 0  # the seed of episode 0 (after the highest seed already in the file)


_WORKER: dict[str, Any] = {}


def _worker_setup(config: CollectConfig, parent: int | None = None) -> None:
    if parent is not None:
        _die_with_parent(parent)
    spec = world(config.env)
    env = spec.make_env(**config.env_kwargs)
    planner = make_planner("curriculum" if config.open_ended else "symbolic", spec.name)
    _WORKER.update(config=config, spec=spec, env=env, planner=planner)


def _die_with_parent(parent: int) -> None:
    """Linux: SIGKILL this worker when its parent dies (prctl PR_SET_PDEATHSIG); exit if it already has."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def record_episode(index: int, record_frames: bool = False) -> tuple[Episode | None, Trajectory]:
    """Run episode `index` of the configured recording in this process (after `_worker_setup`)."""
    config, spec, env = _WORKER["config"], _WORKER["spec"], _WORKER["env"]
    seed = config.seed + index
    expert = spec.make_expert(env, noise=config.noise, seed=seed)
    rng = np.random.default_rng(seed)
    recorder = FrameRecorder() if record_frames else None
    settings = AgentConfig(max_replans=0, record_intended=config.record_intended)
    if config.open_ended:
        from embodied.open_ended import OpenEndedAgent
        from embodied.worlds.crafter.curriculum import INSTRUCTION

        instruction = INSTRUCTION
        agent = OpenEndedAgent(env, _WORKER["planner"], expert, settings, hooks=[recorder] if recorder else [],
                               keep_observations=True)
    else:
        instruction = config.instruction or spec.sample_instruction(rng)
        agent = Agent(env, _WORKER["planner"], expert, settings, hooks=[recorder] if recorder else [])
    trajectory = agent.run(instruction, seed=seed)
    if recorder is not None:
        trajectory.frames, trajectory.captions = recorder.frames, recorder.captions
    # keep the steps up to the end of the last subgoal the expert achieved: failures are not demos
    upto, kept = 0, 0
    for result in trajectory.results:
        kept += result.steps
        if result.success:
            upto = kept
    episode = trajectory.to_episode(instruction, seed, upto) if upto > 0 else None
    return episode, trajectory


def _iter_episodes(config: CollectConfig, workers: int) -> Iterator[tuple[Episode | None, Trajectory]]:
    if config.engine == "ray":
        from embodied.ray_engine import collect_on_ray

        yield from collect_on_ray(config)
        return
    if config.engine != "local":
        raise ValueError(f"engine={config.engine!r}: expected local or ray")
    if workers <= 1:
        _worker_setup(config)
        for index in range(config.episodes):
            yield record_episode(index, record_frames=config.video is not None and index == 0)
        return
    context = multiprocessing.get_context("spawn")  # no simulator / GL state inherited from the parent
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_setup,
                             initargs=(config, os.getpid())) as pool:
        # a bounded window of episodes in flight: a finished one is dropped once handed on (a list of every
        # future kept every recorded episode in memory to the end: 7.8 GB after 538 open-ended Crafter episodes)
        upcoming, running = iter(range(config.episodes)), set()

        def submit_next() -> None:
            for index in upcoming:
                running.add(pool.submit(_record_in_worker, index, config.video is not None and index == 0))
                return

        for _ in range(IN_FLIGHT_PER_WORKER * workers):
            submit_next()
        try:
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    running.discard(future)
                    submit_next()
                    yield future.result()
        except BaseException:
            for future in running:
                future.cancel()
            raise


IN_FLIGHT_PER_WORKER = 2  # episodes submitted ahead per worker process (keeps every worker busy)


def _record_in_worker(index: int, record_frames: bool) -> tuple[Episode | None, Trajectory]:
    """`record_episode` in a pool process or a Ray task: the episode holds what is kept, so the trajectory's
    per-step copy of the observations is not sent back (half the transfer)."""
    episode, trajectory = record_episode(index, record_frames)
    trajectory.observations, trajectory.actions = [], []
    return episode, trajectory


def dataset_env_args(env_name: str, env: Any, env_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The `env_args` a dataset of `env` carries (what training and evaluation rebuild the world from)."""
    space = env.action_space
    discrete = isinstance(space, gym.spaces.Discrete)
    return {"env_name": env_name, "type": "embodied", "env_kwargs": env_kwargs, "action_space": repr(space),
            "discrete": discrete, "action_dim": int(space.n) if discrete else int(np.prod(space.shape)),
            "max_subgoal_steps": env.max_subgoal_steps}


def collect(config: CollectConfig) -> CollectResult:
    """Record `config.episodes` expert episodes into `config.out`; returns counts for the summary."""
    spec = world(config.env)
    if config.open_ended and spec.name != "crafter":
        raise InvalidPlanError(f"open_ended=true records whole Crafter episodes; env={config.env} has no curriculum")
    probe = spec.make_env(**config.env_kwargs)
    env_args = dataset_env_args(config.env, probe, config.env_kwargs)
    goal_texts = probe.goal_texts
    probe.close()
    with DatasetWriter(config.out, env_args, goal_texts) as writer:
        recorded = writer.seeds()
        if recorded and max(recorded) >= config.seed:
            config = dataclasses.replace(config, seed=max(recorded) + 1)
            tqdm.write(f"{config.out} holds {len(recorded)} episodes (seeds up to {max(recorded)}): appending new "
                       f"seeds {config.seed}..{config.seed + config.episodes - 1}")
        return _record(config, writer)


def _record(config: CollectConfig, writer: DatasetWriter) -> CollectResult:
    workers = config.workers or min(config.episodes, os.cpu_count() or 1)
    result = CollectResult(first_seed=config.seed)
    with tqdm(total=config.episodes, desc=f"collect {config.env}", unit="ep") as bar:
        for episode, trajectory in _iter_episodes(config, workers):
            for sub in trajectory.results:
                result.subgoal_success.setdefault(sub.subgoal, []).append(sub.success)
            if trajectory.frames and config.video:
                from embodied.overlay import captioned
                from embodied.video import write_video

                write_video(config.video, captioned(trajectory.frames, trajectory.captions))
            if episode is not None:
                writer.write(episode)
                result.episodes += 1
                result.steps += len(episode)
                result.successful += int(episode.success)
            bar.update(1)
            bar.set_postfix(steps=result.steps, success=f"{result.successful}/{bar.n}")
    return result
