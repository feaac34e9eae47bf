"""Parallel evaluation with batched inference: N env processes, ONE policy forward for every env waiting.

Each worker process (spawned: no simulator or GL state inherited) owns one env, the planner, the expert
for takeover and the agent loop; its actor is a proxy that sends (observation, goal id) to the parent and
waits for the action. The parent keeps one `ActingState` (history, action queue, generator) per worker,
gathers the requests that are pending, runs `policy.select_actions` once for all of them and replies.
Episodes are handed out one at a time; each depends only on its seed (`run_episode`), so the outcomes are
those of the serial run whichever worker runs which episode.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from embodied.types import Subgoal, UnknownSubgoalError

if TYPE_CHECKING:
    from embodied.evaluation import EvalConfig
    from policies.base import Policy


class ProxyActor:
    """A worker's actor: the policy lives in the parent, reached through `conn` (see module docstring)."""

    def __init__(self, conn: Connection, env: Any, seed: int) -> None:
        self.conn, self.env, self.seed = conn, env, seed
        self.goal_id = 0

    def reset(self) -> None:
        self.conn.send(("reset", self.seed))

    def start(self, subgoal: Subgoal) -> None:
        self.conn.send(("start", self.env.base_text(self.env.parse_subgoal(subgoal))))
        kind, value = self.conn.recv()
        if kind == "error":
            raise UnknownSubgoalError(value)
        self.goal_id = value

    def act(self, observation: dict[str, np.ndarray]) -> Any:
        self.conn.send(("act", observation, self.goal_id))
        return self.conn.recv()


def _worker(conn: Connection, config: EvalConfig, features: dict[str, Any],
            make_planner_for: Callable[[Any], Any] | None) -> None:
    """Worker process: ask for an episode, run it through the proxy actor, send its outcome; repeat."""
    import torch

    from embodied.evaluation import make_context, run_episode
    from policies.base import Features

    torch.set_num_threads(1)
    try:
        context = make_context(Features.from_json(features), make_planner_for)
        while True:
            conn.send(("next",))
            episode = conn.recv()
            if episode is None:
                break
            conn.send(("done", run_episode(context, config, episode, lambda env, seed: ProxyActor(conn, env, seed))))
        context.env.close()
    except BaseException:  # the parent re-raises it with the worker's traceback
        conn.send(("failed", traceback.format_exc()))
    finally:
        conn.close()


class _Server:
    """The parent's side: hands out episodes, answers goal ids, batches the action requests."""

    def __init__(self, policy: Policy, episodes: int, conns: list[Connection]) -> None:
        self.policy, self.conns = policy, conns
        self.states = [policy.new_state() for _ in conns]
        self.todo = list(range(episodes))[::-1]
        self.outcomes: list[dict[str, Any]] = []
        self.pending: dict[int, tuple[dict[str, np.ndarray], int]] = {}

    def handle(self, worker: int, message: tuple) -> None:
        kind, conn = message[0], self.conns[worker]
        if kind == "next":
            conn.send(self.todo.pop() if self.todo else None)
        elif kind == "reset":
            self.states[worker].reset(seed=message[1])
        elif kind == "start":
            self.states[worker].reset()
            try:
                conn.send(("ok", self.policy.goal_id(message[1])))
            except UnknownSubgoalError as error:
                conn.send(("error", str(error)))
        elif kind == "act":
            self.pending[worker] = (message[1], message[2])
        elif kind == "done":
            self.outcomes.append(message[1])
        else:
            raise RuntimeError(f"evaluation worker {worker} failed:\n{message[1]}")

    def answer(self) -> None:
        """One batched forward for every pending request."""
        workers = sorted(self.pending)
        actions = self.policy.select_actions([self.pending[w][0] for w in workers],
                                             [self.pending[w][1] for w in workers],
                                             [self.states[w] for w in workers])
        for worker, action in zip(workers, actions, strict=True):
            self.conns[worker].send(action)
        self.pending.clear()


def evaluate_batched(config: EvalConfig, policy: Policy, make_planner_for: Callable[[Any], Any] | None = None
                     ) -> list[dict[str, Any]]:
    """Outcomes (`run_episode` dicts) of `config.episodes` episodes on `config.workers` env processes."""
    workers = max(1, min(config.workers, config.episodes))
    context = multiprocessing.get_context("spawn")
    pipes = [context.Pipe() for _ in range(workers)]
    processes = [context.Process(target=_worker, args=(child, config, policy.features.to_json(), make_planner_for),
                                 daemon=True) for _, child in pipes]
    for process in processes:
        process.start()
    for _, child in pipes:
        child.close()
    conns = [parent for parent, _ in pipes]
    server, alive = _Server(policy, config.episodes, conns), set(range(workers))
    try:
        with tqdm(total=config.episodes, desc=f"eval {policy.features.env_name} x{workers}", unit="ep") as bar:
            while alive:
                for conn in wait([conns[w] for w in alive]):
                    worker = conns.index(conn)
                    while worker in alive and conn.poll():
                        try:
                            message = conn.recv()
                        except EOFError:
                            alive.discard(worker)
                            break
                        server.handle(worker, message)
                        bar.n = len(server.outcomes)
                        bar.refresh()
                if server.pending:
                    server.answer()
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
    if len(server.outcomes) != config.episodes:
        raise RuntimeError(f"evaluation workers returned {len(server.outcomes)} of {config.episodes} episodes")
    return server.outcomes
