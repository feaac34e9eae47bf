"""Raw simulator steps/s against the project's wrapped env steps/s, side by side in one run.

    python experiments/benchmarks/env_speed.py --worlds fetch_push [--rounds 7] [--steps 500] [--json F]

For each world, the raw side and the wrapped side take turns (interleaved rounds, the order alternating
each round) stepping with the same uniform random actions, so machine load hits both alike; the table shows
the median steps/s of each side over the rounds, the median over rounds of wrapped / raw (each round's two
sides paired), the wrapper's cost (1 - that ratio) and its time per step in microseconds. Resets happen
every `--episode` steps, outside the timed region.

Adding a world: write two factories returning a `Stepper` (one for the bare simulator, one for the
project's env) and call `register_pair("name", raw_factory, wrapped_factory)` at the bottom of this file,
e.g. tabletop: raw = a mujoco.mj_step loop with the env's n_substeps, wrapped = TabletopEnv.step.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Stepper:
    """One side of a comparison: `step(action)` advances one env step, `reset(seed)` starts an episode."""

    step: Callable[[np.ndarray], Any]
    reset: Callable[[int], Any]
    action_dim: int
    close: Callable[[], Any] = lambda: None


PAIRS: dict[str, tuple[Callable[[], Stepper], Callable[[], Stepper]]] = {}


def register_pair(world: str, raw: Callable[[], Stepper], wrapped: Callable[[], Stepper]) -> None:
    """Make `world` measurable: `raw()` builds the bare simulator side, `wrapped()` the project's env side."""
    PAIRS[world] = (raw, wrapped)


def time_steps(stepper: Stepper, actions: np.ndarray, episode: int, seed: int) -> float:
    """Steps per second over `actions` (resets every `episode` steps are not timed)."""
    elapsed, done = 0.0, 0
    while done < len(actions):
        stepper.reset(seed + done)
        chunk = actions[done:done + episode]
        began = time.perf_counter()
        for action in chunk:
            stepper.step(action)
        elapsed += time.perf_counter() - began
        done += len(chunk)
    return len(actions) / elapsed


def compare(world: str, rounds: int, steps: int, episode: int) -> dict:
    """Median raw and wrapped steps/s of `world` over interleaved rounds."""
    make_raw, make_wrapped = PAIRS[world]
    sides = {"raw": make_raw(), "wrapped": make_wrapped()}
    rng = np.random.default_rng(0)
    rates: dict[str, list[float]] = {"raw": [], "wrapped": []}
    for stepper in sides.values():  # warm-up (first-call allocations, caches)
        warm_up = rng.uniform(-1, 1, (min(steps, 50), stepper.action_dim)).astype(np.float32)
        time_steps(stepper, warm_up, episode, 0)
    for r in range(rounds):
        actions = rng.uniform(-1, 1, (steps, sides["raw"].action_dim)).astype(np.float32)
        order = ("raw", "wrapped") if r % 2 == 0 else ("wrapped", "raw")
        for name in order:
            rates[name].append(time_steps(sides[name], actions, episode, seed=1000 * r))
    for stepper in sides.values():
        stepper.close()
    raw, wrapped = np.asarray(rates["raw"]), np.asarray(rates["wrapped"])
    ratio = float(np.median(wrapped / raw))  # paired by round, so slow drifts in machine load cancel
    return {"world": world, "raw_steps_per_s": float(np.median(raw)),
            "wrapped_steps_per_s": float(np.median(wrapped)), "ratio": ratio, "overhead": 1 - ratio,
            "wrapper_us_per_step": float(np.median(1e6 / wrapped - 1e6 / raw)), "rounds": rates,
            "steps_per_round": steps}


# --- pairs ------------------------------------------------------------------------------------------
def _fetch_raw(world: str) -> Callable[[], Stepper]:
    def make() -> Stepper:
        import gymnasium as gym

        from embodied.worlds.fetch import vocab as fetch_vocab
        from embodied.worlds.fetch.env import _register

        _register()
        env = gym.make(fetch_vocab.task(world).env_id).unwrapped  # the gymnasium-robotics env, no wrappers
        return Stepper(env.step, lambda seed: env.reset(seed=seed), 4, env.close)

    return make


def _fetch_wrapped(world: str) -> Callable[[], Stepper]:
    def make() -> Stepper:
        from embodied.worlds.fetch.env import FetchEnv

        env = FetchEnv(world)
        return Stepper(env.step, lambda seed: env.reset(seed=seed), 4, env.close)

    return make


for _world in ("fetch_reach", "fetch_push", "fetch_pick_and_place", "fetch_slide"):
    register_pair(_world, _fetch_raw(_world), _fetch_wrapped(_world))


def _tabletop_raw() -> Stepper:
    """The bare tabletop MJCF: the action moves the position targets as TabletopEnv does, then mj_step with
    the env's substeps; no checks, observation or detector."""
    import mujoco

    from embodied.worlds.tabletop import env as tabletop

    env = tabletop.TabletopEnv()  # only for its seeded reset; stepping uses model and data directly
    model, data = env.model, env.data
    low, high = model.actuator_ctrlrange[:3].T
    target = np.zeros(3)

    def step(action: np.ndarray) -> None:
        nonlocal target
        target = np.clip(target + action[:3] * tabletop.MOVE_PER_STEP, low, high)
        data.ctrl[:3] = target
        data.ctrl[3:] = tabletop.FINGER_TRAVEL if action[3] < 0 else 0.0
        mujoco.mj_step(model, data, tabletop.N_SUBSTEPS)

    def reset(seed: int) -> None:
        nonlocal target
        env.reset(seed=seed)
        target = data.ctrl[:3].copy()

    return Stepper(step, reset, 4, env.close)


def _tabletop_wrapped() -> Stepper:
    from embodied.worlds.tabletop.env import TabletopEnv

    env = TabletopEnv()

    def reset(seed: int) -> None:
        env.reset(seed=seed)
        env.set_subgoal("place the red block on the blue block")  # the detector runs every step

    return Stepper(env.step, reset, 4, env.close)


register_pair("tabletop", _tabletop_raw, _tabletop_wrapped)


def _minetest_index(action: np.ndarray) -> int:
    from embodied.worlds.minetest.env import ACTIONS

    return int(np.clip((action[0] + 1) / 2 * len(ACTIONS), 0, len(ACTIONS) - 1))


def _minetest_raw() -> Stepper:
    """The bridge mod's step alone: one command and its state reply, no frame grabbed."""
    from embodied.worlds.minetest.env import MinetestEnv

    env = MinetestEnv()
    engine = env.minedojo.engine

    def step(action: np.ndarray) -> None:
        engine.command(op="step", action=[int(v) for v in env.action_vector(_minetest_index(action))])

    return Stepper(step, lambda seed: env.reset(seed=seed), 1, env.close)


def _minetest_wrapped() -> Stepper:
    """MinetestEnv.step: the command, the settled frame, MineDojo's observation and the platform's."""
    from embodied.worlds.minetest.env import MinetestEnv

    env = MinetestEnv()

    def reset(seed: int) -> None:
        env.reset(seed=seed)
        env.set_subgoal("collect log")

    return Stepper(lambda action: env.step(_minetest_index(action)), reset, 1, env.close)


register_pair("minetest", _minetest_raw, _minetest_wrapped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worlds", nargs="+", default=["fetch_push"], help=f"any of {sorted(PAIRS)}")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=500, help="timed steps per side per round")
    parser.add_argument("--episode", type=int, default=50, help="steps between (untimed) resets")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    unknown = sorted(set(args.worlds) - set(PAIRS))
    if unknown:
        parser.error(f"no speed pair for {unknown}; registered: {sorted(PAIRS)}")
    print(f"{'world':22s} {'raw steps/s':>12s} {'wrapped steps/s':>16s} {'wrapped/raw':>12s} "
          f"{'overhead':>9s} {'us/step':>8s}")
    rows = []
    for world in args.worlds:
        row = compare(world, args.rounds, args.steps, args.episode)
        rows.append(row)
        print(f"{world:22s} {row['raw_steps_per_s']:12.0f} {row['wrapped_steps_per_s']:16.0f} "
              f"{row['ratio']:12.3f} {100 * row['overhead']:8.1f}% {row['wrapper_us_per_step']:8.1f}",
              flush=True)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()
