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
import time
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

MAX_WAIT_S = 0.02  # longest a pending request waits for the other stepping envs to join its batch


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


def _worker(conn: Connection, config: EvalConfig, world: tuple[str, dict[str, Any]],
            make_planner_for: Callable[[Any], Any] | None) -> None:
    """Worker process: ask for an episode, run it through the proxy actor, send its outcome; repeat."""
    from embodied.evaluation import make_context, run_episode

    try:
        context = make_context(*world, make_planner_for)
        while True:
            conn.send(("next",))
            episode = conn.recv()
            if episode is None:
                break
            conn.send(("done", run_episode(context, config, episode, lambda env, seed: ProxyActor(conn, env, seed))))
        context.env.close()
    except BaseException as error:  # the parent re-raises it (a user's error stays one line in the CLI)
        try:
            conn.send(("failed", error, traceback.format_exc()))
        except Exception:  # an exception that does not pickle: its traceback as text
            conn.send(("failed", None, traceback.format_exc()))
    finally:
        conn.close()


class _Server:
    """The parent's side: hands out episodes, answers goal ids, batches the action requests.

    Workers are split into `groups`: a group's batch is answered while the other group's envs step, so
    the parent's forward and the workers' env steps overlap instead of taking turns (on 2 cores, 4
    workers in 2 groups ran 1.3x the episodes/s of one lock-step batch)."""

    def __init__(self, policy: Policy, episodes: int, conns: list[Connection], batched: bool = True,
                 groups: int = 1) -> None:
        self.policy, self.conns, self.batched = policy, conns, batched
        self.states = [policy.new_state() for _ in conns]
        self.todo = list(range(episodes))[::-1]
        self.outcomes: list[dict[str, Any]] = []
        self.pending: dict[int, tuple[dict[str, np.ndarray], int]] = {}
        self.stepping: set[int] = set()  # answered an action: its next request is one env step away
        self.alive = set(range(len(conns)))
        self.group = [worker % max(1, groups) for worker in range(len(conns))]
        self.deadline: dict[int, float] = {}  # per group with a pending request: when to answer anyway

    def run(self, bar: tqdm) -> None:
        """Serve until every worker has closed its pipe.

        A group's batch is answered once every worker of it that is just stepping its env has asked too
        (or after MAX_WAIT_S), so envs stepping together share one forward and a resetting or planning env
        delays nobody."""
        while self.alive:
            now = time.perf_counter()
            ready = [g for g in sorted(self.deadline) if now >= self.deadline[g] or not self.awaited(g)]
            if ready:
                self.answer(ready[0])
                continue
            timeout = max(0.0, min(self.deadline.values()) - now) if self.deadline else None
            for conn in wait([self.conns[w] for w in self.alive], timeout):
                self.drain(self.conns.index(conn))
            if bar.n != len(self.outcomes):
                bar.update(len(self.outcomes) - bar.n)

    def awaited(self, group: int) -> set[int]:
        """Workers of `group` stepping their env now, whose request should join the group's batch."""
        return {w for w in self.stepping & self.alive if self.group[w] == group} - set(self.pending)

    def drain(self, worker: int) -> None:
        conn = self.conns[worker]
        while conn.poll():
            try:
                message = conn.recv()
            except EOFError:
                self.alive.discard(worker)
                return
            self.handle(worker, message)

    def handle(self, worker: int, message: tuple) -> None:
        kind, conn = message[0], self.conns[worker]
        self.stepping.discard(worker)
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
            self.deadline.setdefault(self.group[worker], time.perf_counter() + MAX_WAIT_S)
            self.pending[worker] = (message[1], message[2])
        elif kind == "done":
            self.outcomes.append(message[1])
        else:
            error, text = message[1], message[2]
            if isinstance(error, Exception):
                error.add_note(f"raised in evaluation worker {worker}:\n{text}")
                raise error
            raise RuntimeError(f"evaluation worker {worker} failed:\n{text}")

    def answer(self, group: int) -> None:
        """One batched forward for every pending request of `group`."""
        workers = sorted(w for w in self.pending if self.group[w] == group)
        actions = self.policy.select_actions([self.pending[w][0] for w in workers],
                                             [self.pending[w][1] for w in workers],
                                             [self.states[w] for w in workers], self.batched)
        for worker, action in zip(workers, actions, strict=True):
            self.conns[worker].send(action)
            del self.pending[worker]
        self.stepping.update(workers)
        del self.deadline[group]


def batches_inference(setting: bool | None, discrete: bool) -> bool:
    """Whether the waiting envs share one forward: `eval batch_inference=` if set, else only for discrete actions.

    A batched matmul rounds a row differently from a forward of that row alone (~1e-7), which an argmax absorbs
    but a continuous closed loop can amplify (tabletop diffusion: 4 of 200 episodes differed from workers=1);
    one forward per env is bit-identical to workers=1 (tests/policies/test_batched_actions.py)."""
    return discrete if setting is None else bool(setting)


def evaluate_batched(config: EvalConfig, policy: Policy, make_planner_for: Callable[[Any], Any] | None = None
                     ) -> list[dict[str, Any]]:
    """Outcomes (`run_episode` dicts) of `config.episodes` episodes on `config.workers` env processes."""
    workers = max(1, min(config.workers, config.episodes))
    context = multiprocessing.get_context("spawn")
    pipes = [context.Pipe() for _ in range(workers)]
    world = (policy.features.env_name, policy.features.env_kwargs)
    processes = [context.Process(target=_worker, args=(child, config, world, make_planner_for),
                                 daemon=True) for _, child in pipes]
    for process in processes:
        process.start()
    for _, child in pipes:
        child.close()
    conns = [parent for parent, _ in pipes]
    batched = batches_inference(config.batch_inference, policy.features.discrete)
    server = _Server(policy, config.episodes, conns, batched, groups=2 if workers >= 4 else 1)
    try:
        with tqdm(total=config.episodes, desc=f"eval {policy.features.env_name} x{workers}", unit="ep") as bar:
            server.run(bar)
    except BaseException:
        for process in processes:
            process.terminate()
        raise
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
    if len(server.outcomes) != config.episodes:
        raise RuntimeError(f"evaluation workers returned {len(server.outcomes)} of {config.episodes} episodes")
    return server.outcomes
