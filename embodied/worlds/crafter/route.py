"""The `route` observation: where a path planner over the agent's remembered map would go next for the ore
searches (collect coal, iron, diamond).

Measured on "make an iron pickaxe" (embodied/BENCHMARKS.md, "Where the iron search fails"): the shipped policy
makes the pickaxe 3/50 on tuning seeds, and 24/50 when only its coal and iron searches are handed to the seen-only
expert, which plans routes on the same remembered map the policy's `memory` summarises; handing over its survival
reflexes changes nothing (3/50). A learned policy does not reproduce a shortest-path search from a 30-number
summary of the map, so this observation gives it the search's answer, as modular navigation agents give their
local policy an analytic planner's next waypoint: the planner reads only cells the agent has had in view (the
seen-only expert's knowledge, without its survival reflexes); the policy still decides when to follow it, when
to drink, eat, fight or flee, and everything outside the three searches.
"""

from __future__ import annotations

from typing import Any

import numpy as np

ROUTE_DIM = 4  # dx, dy of the move (or of the facing, with "do"), do (hit the faced cell), target remembered


class RouteFinder:
    """The seen-only expert's move for the current ore search, as a (4,) float32 observation (zeros otherwise)."""

    def __init__(self, env: Any) -> None:
        from embodied.worlds.crafter.expert import COLLECT_SOURCE, DUG_FOR, MOVES, CrafterExpert

        class _Planner(CrafterExpert):
            def _random_move(self) -> str:  # no route: no move (the observation says so with zeros)
                return "noop"

        self._planner = _Planner(env)
        self._ids = env.game_world._mat_ids
        self._deltas = {move: delta for delta, move in MOVES.items()}
        self._sources = {skill: COLLECT_SOURCE[skill.removeprefix("collect_")] for skill in DUG_FOR}

    def observe(self, subgoal: Any) -> np.ndarray:
        route = np.zeros(ROUTE_DIM, dtype=np.float32)
        source = self._sources.get(subgoal.skill) if subgoal is not None else None
        if source is None:
            return route
        planner = self._planner
        move = planner._interact_with(planner._material_is(source))
        if move == "do":
            route[:2], route[2] = planner._facing(), 1.0
        elif move in self._deltas:
            route[:2] = self._deltas[move]
        route[3] = float(np.any(planner.crafter.seen_cells == self._ids[source]))
        return route
