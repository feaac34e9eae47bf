"""Scripted privileged expert for Crafter: breadth-first path-finding on the true map, facing, interacting."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from typing import Any

import crafter
import numpy as np

from embodied.types import Subgoal
from embodied.worlds.crafter.env import ACTIONS, CrafterEnv
from embodied.worlds.expert import Expert, ExpertStuck

MOVES = {(-1, 0): "move_left", (1, 0): "move_right", (0, -1): "move_up", (0, 1): "move_down"}
WALKABLE = frozenset(crafter.constants.walkable)  # grass, sand, path (never lava)
COLLECT_SOURCE = {"wood": "tree", "stone": "stone", "coal": "coal", "iron": "iron", "diamond": "diamond",
                  "drink": "water", "sapling": "grass"}
# what a pickaxe digs towards: these lie inside mountains, where a tunnel is shorter and safer than a walk round
# on the grass (zombies spawn on grass only; embodied/BENCHMARKS.md, "Make an iron pickaxe")
DUG_FOR = frozenset({"collect_coal", "collect_iron", "collect_diamond"})
CREATURE_TARGETS = {"eat_cow": "Cow", "defeat_zombie": "Zombie", "defeat_skeleton": "Skeleton"}
PLACE_ON = {name: tuple(info["where"]) for name, info in crafter.constants.place.items()}
MAKE_NEAR = {name: tuple(info["nearby"]) for name, info in crafter.constants.make.items()}

Cell = tuple[int, int]


class CrafterExpert(Expert):
    """Solves Crafter subgoals from `env._world` / `env._player` (privileged state).

    collect: walk next to the nearest source material and hit it (coal, iron and diamond: by the cheapest route
    that may dig through stone; the expert that knows only what was seen explores unseen rock for them); place:
    face a free cell of the right material and place; make: walk next to the required stations and craft;
    creatures: chase and hit; wake up: sleep. With `noise` > 0 a random move replaces the action with that probability.
    """

    def __init__(self, env: Any, noise: float = 0.0, seed: int | None = None) -> None:
        super().__init__(env, noise, seed)
        self.crafter: CrafterEnv = env.unwrapped
        self._refilling: str | None = None  # "drink" / "food" while topping a need back up
        self._pocket: tuple[Cell, Cell] | None = None  # (entrance, direction) of the pocket to sleep in

    def reset(self) -> None:
        self._refilling = None
        self._pocket = None

    def act(self, observation: dict[str, np.ndarray]) -> int:
        subgoal = self.crafter.subgoal
        if subgoal is None:
            return ACTIONS.index("noop")
        if self.noise > 0 and self.rng.random() < self.noise:
            return ACTIONS.index(self._random_move())
        reflex = self._survival_reflex(subgoal)
        return ACTIONS.index(reflex or self._action_for(subgoal))

    def _survival_reflex(self, subgoal: Subgoal) -> str | None:
        """Fight an adjacent zombie; drink / eat when thirst or hunger runs low (long chains die otherwise)."""
        if self.crafter.player.sleeping:
            return None
        for creature in ("Zombie", "Skeleton"):  # also while chasing a cow: zombies kill cow hunters at night
            if CREATURE_TARGETS.get(subgoal.skill) == creature:
                continue
            threat = self._adjacent(self._creature_is(creature))
            if threat is not None:
                return threat
        inventory = self.crafter.player.inventory
        for need, low, full, skill in (("drink", 3, 8, "collect_drink"), ("food", 3, 8, "eat_cow")):
            if subgoal.skill == skill:
                continue
            if inventory[need] <= low:
                self._refilling = need
            if self._refilling == need:
                if inventory[need] >= full:
                    self._refilling = None
                    continue
                return self._action_for(Subgoal(skill))
        return None

    # --- per skill ------------------------------------------------------------------------------
    def _action_for(self, subgoal: Subgoal) -> str:
        skill = subgoal.skill
        if skill.startswith("collect_"):
            return self._interact_with(self._material_is(COLLECT_SOURCE[skill.removeprefix("collect_")]))
        if skill in CREATURE_TARGETS:
            return self._interact_with(self._creature_is(CREATURE_TARGETS[skill]))
        if skill.startswith("place_"):
            return self._place(skill.removeprefix("place_"))
        if skill.startswith("make_"):
            return self._make(skill.removeprefix("make_"))
        if skill == "wake_up":
            return self._sleep_safely()
        if skill == "eat_plant":
            return self._interact_with(self._ripe_plant)
        raise ExpertStuck(f"crafter expert has no strategy for {skill!r}")

    def _interact_with(self, is_target: Callable[[Cell], bool]) -> str:
        """Face an adjacent target cell and hit it, or take the first step of a path to one."""
        adjacent = self._adjacent(is_target)
        if adjacent is not None:
            return adjacent
        return self._step_towards(lambda cell: any(is_target(_add(cell, d)) for d in MOVES)) or self._random_move()

    def _adjacent(self, is_target: Callable[[Cell], bool]) -> str | None:
        """"do" when facing a target, the turn towards an adjacent one, else None."""
        pos = self._pos()
        if is_target(_add(pos, self._facing())):
            return "do"
        for delta, move in MOVES.items():
            if is_target(_add(pos, delta)):
                return move  # turns towards a non-walkable target (or steps onto walkable grass)
        return None

    def _place(self, item: str) -> str:
        if item == "furnace" and not self._station_near(self._pos(), "table"):
            # iron tools need table and furnace within reach of one cell: put the furnace by a table
            move = self._step_towards(lambda cell: self._station_near(cell, "table"), limit=400)
            if move is not None:
                return move
        valid = set(PLACE_ON[item])
        facing_cell = _add(self._pos(), self._facing())
        if self._material(facing_cell) in valid and self._object(facing_cell) is None:
            return f"place_{item}"
        for delta, move in MOVES.items():
            cell = _add(self._pos(), delta)
            if self._material(cell) in valid and self._object(cell) is None and self._material(cell) != "lava":
                if self._material(cell) not in WALKABLE:
                    return move  # turning towards a non-walkable cell only changes facing (never lava: the player
                    # walks into lava and dies)
                beyond = _add(cell, delta)
                keeps_table = item != "furnace" or self._station_near(cell, "table")  # else it walks back: a loop
                if self._material(beyond) in valid and self._object(beyond) is None and keeps_table:
                    return move  # step forward: the cell beyond is then faced
        if "path" in valid and self.crafter.player.inventory["wood_pickaxe"]:
            stone = self._adjacent(self._material_is("stone"))
            if stone is not None:
                return stone  # walled in (a tunnel): mine a stone, which leaves path to place on
        return self._random_move()

    def _make(self, item: str) -> str:
        stations = MAKE_NEAR[item]
        nearby, _ = self.crafter.game_world.nearby(self._pos(), 1)
        if all(station in nearby for station in stations):
            return f"make_{item}"
        near_all = self._step_towards(lambda cell: all(self._station_near(cell, s) for s in stations))
        return near_all or self._random_move()

    def _sleep_safely(self) -> str:
        """Sleep sealed in a two-cell pocket (zombies hit a sleeper hard): walk to an entrance E with two cells
        beyond it (free or stone, walled in), go in to the end, step back (now facing E) and put a stone on E."""
        if self.crafter.player.sleeping:
            return "noop"
        if self._enclosed():
            return "sleep"
        if self._pocket is None or not self._is_pocket(*self._pocket):
            entrances: dict[Cell, Cell] = {}
            self._step_towards(lambda cell: self._pocket_entrance(cell, entrances), limit=1500)
            if not entrances:
                inventory = self.crafter.player.inventory
                if inventory["stone"] == 0 and inventory["wood_pickaxe"]:
                    return self._interact_with(self._material_is("stone"))  # a stone to seal the entrance with
                return "sleep"  # no pocket within reach: sleep where we are
            entrance = next(reversed(entrances))  # the nearest: the search stops at it
            self._pocket = (entrance, entrances[entrance])
        return self._into_pocket(*self._pocket)

    def _into_pocket(self, entrance: Cell, direction: Cell) -> str:
        pos, facing = self._pos(), self._facing()
        first, second = _add(entrance, direction), _add(entrance, (2 * direction[0], 2 * direction[1]))
        inward, outward = MOVES[direction], MOVES[(-direction[0], -direction[1])]
        if pos == second:
            return outward  # back one cell: facing the entrance
        if pos == first and facing != direction:
            if self._object(entrance) is not None:
                return "do"  # a creature in the doorway: hit it
            return "place_stone" if self._material(entrance) in WALKABLE else "sleep"
        if pos in (entrance, first):
            ahead = _add(pos, direction)
            return "do" if facing == direction and self._material(ahead) == "stone" else inward
        return self._step_towards(lambda cell: cell == entrance, limit=1500) or self._random_move()

    def _pocket_entrance(self, cell: Cell, found: dict[Cell, Cell]) -> bool:
        for delta in MOVES:
            if self._is_pocket(cell, delta):
                found[cell] = delta
                return True
        return False

    def _is_pocket(self, entrance: Cell, direction: Cell) -> bool:
        """Two cells beyond `entrance` that can be entered (free or, with a pickaxe, stone) and are walled in
        (no grass, sand or path around them but the entrance), and a stone to seal it with."""
        inventory = self.crafter.player.inventory
        dx, dy = direction
        cells = [_add(entrance, (dx, dy)), _add(entrance, (2 * dx, 2 * dy))]
        walls = [_add(c, (dy, dx)) for c in cells] + [_add(c, (-dy, -dx)) for c in cells] + \
            [_add(entrance, (3 * dx, 3 * dy))]
        diggable = inventory["wood_pickaxe"] > 0
        if any(not (self._free(c) or diggable and self._material(c) == "stone") for c in cells):
            return False
        if any(self._material(w) in WALKABLE for w in walls):
            return False
        stones = inventory["stone"] + sum(self._material(c) == "stone" for c in cells)
        return self._material(entrance) in WALKABLE and stones > 0

    def _enclosed(self) -> bool:
        """No walkable route of more than a few cells from here: nothing can walk up to the sleeper."""
        start = self._pos()
        seen, queue = {start}, deque([start])
        while queue:
            cell = queue.popleft()
            for delta in MOVES:
                nxt = _add(cell, delta)
                if nxt not in seen and self._material(nxt) in WALKABLE:
                    if type(self._object(nxt)).__name__ in ("Zombie", "Skeleton") or len(seen) >= 4:
                        return False
                    seen.add(nxt)
                    queue.append(nxt)
        return True

    # --- path-finding ---------------------------------------------------------------------------
    def _step_towards(self, is_goal: Callable[[Cell], bool], limit: int = 4096, explore: bool = True) -> str | None:
        """First move of a shortest walkable path to a cell satisfying `is_goal` (searching at most
        `limit` cells); when none is found, towards the nearest cell next to unseen ones (an expert that knows
        only what was seen explores) or a random safe move; None when the player stands on one."""
        start = self._pos()
        if is_goal(start):
            return None
        first_move: dict[Cell, str] = {start: ""}
        queue = deque([start])
        while queue and len(first_move) < limit:
            cell = queue.popleft()
            for delta, move in MOVES.items():
                nxt = _add(cell, delta)
                if nxt in first_move or not self._walkable(nxt):
                    continue
                first_move[nxt] = first_move[cell] or move
                if is_goal(nxt):
                    return first_move[nxt]
                queue.append(nxt)
        seen_only = explore and self.crafter.expert_knows == "seen"
        tunnel = explore and (self._tunnel_towards(is_goal) or seen_only and self._tunnel_towards(self._unseen_rock))
        frontier = seen_only and not tunnel and self._step_towards(self._next_to_unseen, explore=False)
        return self._dig_out() or tunnel or frontier or self._random_move()

    def _tunnel_towards(self, is_goal: Callable[[Cell], bool], limit: int = 2048) -> str | None:
        """For coal, iron and diamond with a pickaxe: the first action of the cheapest route to a goal cell that
        may cut through stone (a step costs 1, a stone 2: mine it, then step); None for other subgoals."""
        subgoal = self.crafter.subgoal
        if subgoal is None or subgoal.skill not in DUG_FOR or not self.crafter.player.inventory["wood_pickaxe"]:
            return None
        start = self._pos()
        first: dict[Cell, Cell] = {start: start}
        cost = {start: 0}
        queue = [(0, start)]
        while queue and len(first) < limit:
            spent, cell = heapq.heappop(queue)
            if cell != start and is_goal(cell):
                return self._step_or_dig(first[cell])
            for delta in MOVES:
                nxt = _add(cell, delta)
                stone = self._material(nxt) == "stone"
                if not (stone or self._walkable(nxt)):
                    continue
                price = spent + (2 if stone else 1)
                if price < cost.get(nxt, price + 1):
                    cost[nxt], first[nxt] = price, first[cell] if cell != start else nxt
                    heapq.heappush(queue, (price, nxt))
        return None

    def _step_or_dig(self, cell: Cell) -> str:
        """The move onto an adjacent cell, or "do" when it is stone and already faced (mining it first)."""
        delta = (cell[0] - self._pos()[0], cell[1] - self._pos()[1])
        if self._material(cell) == "stone" and self._facing() == delta:
            return "do"
        return MOVES[delta]

    def _unseen_rock(self, cell: Cell) -> bool:
        """Stone or a tunnel's path next to cells never seen: the mountain goes on there."""
        return self._material(cell) in ("stone", "path") and self._next_to_unseen(cell)

    def _next_to_unseen(self, cell: Cell) -> bool:
        return any(self.crafter.never_seen(_add(cell, delta)) for delta in MOVES)

    def _free(self, cell: Cell) -> bool:
        """Walkable and empty but for the player."""
        return self._material(cell) in WALKABLE and self._object(cell) in (None, self.crafter.player)

    def _dig_out(self) -> str | None:
        """Sealed in (after sleeping in a pocket): mine the faced stone, or turn to an adjacent one."""
        if not self._enclosed() or not self.crafter.player.inventory["wood_pickaxe"]:
            return None
        if self._material(_add(self._pos(), self._facing())) == "stone":
            return "do"
        for delta, move in MOVES.items():
            if self._material(_add(self._pos(), delta)) == "stone":
                return move
        return None

    def _walkable(self, cell: Cell) -> bool:
        return self._material(cell) in WALKABLE and self._object(cell) is None

    def _random_move(self) -> str:
        """A random move that never steps into lava."""
        safe = [move for delta, move in MOVES.items() if self._material(_add(self._pos(), delta)) != "lava"]
        return str(self.rng.choice(safe or ["noop"]))

    # --- world queries ----------------------------------------------------------------------------
    def _pos(self) -> Cell:
        return (int(self.crafter.player.pos[0]), int(self.crafter.player.pos[1]))

    def _facing(self) -> Cell:
        return (int(self.crafter.player.facing[0]), int(self.crafter.player.facing[1]))

    def _material(self, cell: Cell) -> str | None:
        return self.crafter.known_cell(cell)[0]

    def _object(self, cell: Cell) -> Any:
        return self.crafter.known_cell(cell)[1]

    def _material_is(self, material: str) -> Callable[[Cell], bool]:
        return lambda cell: self._material(cell) == material and self._object(cell) is None

    def _creature_is(self, class_name: str) -> Callable[[Cell], bool]:
        return lambda cell: type(self._object(cell)).__name__ == class_name

    def _ripe_plant(self, cell: Cell) -> bool:
        plant = self._object(cell)
        return type(plant).__name__ == "Plant" and bool(plant.ripe)

    def _station_near(self, cell: Cell, station: str) -> bool:
        return any(
            self._material((cell[0] + dx, cell[1] + dy)) == station for dx in (-1, 0, 1) for dy in (-1, 0, 1)
        )


def _add(cell: Cell, delta: Cell) -> Cell:
    return (cell[0] + delta[0], cell[1] + delta[1])
