"""Rules of Crafter (its knowledge graph): recipes and requirements read from the game's own rules.

The graph comes from `crafter.constants` (collect requirements, place costs, make recipes and the
stations they need), so it cannot drift from the simulator. Planning expands the target's
requirements against the current inventory, then hoists and merges tool-free collection steps so
"make a stone pickaxe" from nothing becomes: collect 4 wood, place table, make wood pickaxe,
collect stone, make stone pickaxe. Plans that use a furnace gather coal and iron after the stone pickaxe and
place the furnace (and a new table) where the iron was found (`stations_where_far_materials_are`).
"""

from __future__ import annotations

import re
from typing import Any

import crafter

from embodied.types import InvalidPlanError, Subgoal, UnknownSubgoalError
from embodied.worlds.crafter import vocab
from embodied.worlds.rules import Rules

RECIPES = crafter.constants
MAX_ITEM = {name: info["max"] for name, info in RECIPES.items.items()}
# item -> (material it is collected from, tools it requires)
SOURCES = {
    next(iter(info["receive"])): (material, dict(info["require"])) for material, info in RECIPES.collect.items()
}
MADE_ITEMS = set(RECIPES.make)
STATIONS = {"table", "furnace"}
# found in mountains and caves, away from where the first table stands (coal is in mountains, iron in tunnels)
FAR_MATERIALS = ("coal", "iron", "diamond")
# what a tool could be made of: Crafter's own materials and items, and Minecraft's others
_MATERIALS = {*RECIPES.collect, *MAX_ITEM, "gold", "golden", "netherite", "leather", "chain", "chainmail"}
# "<material> <tool>" as a player of Minecraft-style games would name one; Crafter makes only MADE_ITEMS
_TOOLS = "pickaxe|pick|sword|axe|shovel|hoe|helmet|chestplate|leggings|boots|armou?r|bow"
_TOOL_PHRASE = re.compile(rf"\b(\w+?)(?:en)? ({_TOOLS})s?\b")
_SPLIT = re.compile(r"\s*(?:,|;|\bthen\b|\band then\b|\band\b)\s*")
_SYNONYMS = (
    (r"\b(craft|build|create|get|obtain)\b (an? )?(\w+ (pickaxe|sword))", r"make \3"),
    (r"\b(craft|build|create)\b", "make"),
    (r"\b(gather|get|chop|mine|obtain)\b", "collect"),
    (r"\bdrink water\b", "collect drink"),
    (r"\bput down\b", "place"),
)


class CrafterRules(Rules):
    """Crafter's recipes: instruction -> ordered subgoals missing from the current inventory."""

    def parse(self, instruction: str) -> list[Subgoal]:
        return parse_instruction(instruction)

    def expand(self, goals: list[Subgoal], observation: dict[str, Any]) -> list[Subgoal]:
        state = _State.from_observation(observation)
        steps: list[Subgoal] = []
        for target in goals:
            state.achieve(target, steps)
        steps = merge_collection(steps)
        if any(goal.skill == "place_furnace" for goal in goals):
            return steps  # the furnace was asked for where it is in the instruction
        return stations_where_far_materials_are(steps, observation)

    def refuse(self, instruction: str) -> str | None:
        for material, tool in _TOOL_PHRASE.findall(instruction.lower()):
            tool = "pickaxe" if tool == "pick" else tool
            if f"{material}_{tool}" not in MADE_ITEMS and material in _MATERIALS:
                made = ", ".join(sorted(item.replace("_", " ") for item in MADE_ITEMS))
                return f"crafter has no {material} {tool}; the tools it makes are: {made}"
        return None

    def check(self, subgoals: list[Subgoal], observation: dict[str, Any], instruction: str = "") -> None:
        simulate(subgoals, observation)
        if instruction:
            check_targets(subgoals, instruction)


def parse_instruction(instruction: str) -> list[Subgoal]:
    """Target subgoals named by an instruction ("make a stone pickaxe, then place a furnace")."""
    text = " ".join(instruction.lower().replace(".", " ").split())
    for pattern, replacement in _SYNONYMS:
        text = re.sub(pattern, replacement, text)
    targets = []
    for part in filter(None, _SPLIT.split(text)):
        try:
            targets.append(vocab.parse(part))
        except UnknownSubgoalError:
            raise InvalidPlanError(
                f"crafter planner does not understand {part!r} in {instruction!r}; say e.g. 'make a stone "
                f"pickaxe', 'collect 3 wood', 'place a table' (targets: {', '.join(vocab.GOAL_TEXTS)})"
            ) from None
    if not targets:
        raise InvalidPlanError(f"empty instruction {instruction!r}")
    return targets


class _State:
    """Simulated inventory and reachable stations while expanding requirements."""

    def __init__(self, inventory: dict[str, int], stations: set[str]) -> None:
        self.inventory = {name: int(inventory.get(name, 0)) for name in MAX_ITEM}
        self.stations = stations

    @classmethod
    def from_observation(cls, observation: dict[str, Any]) -> _State:
        inventory = observation.get("inventory") or {}
        seen = set(observation.get("nearby", ())) | set(observation.get("creatures", ()))  # plants are objects
        near = seen & (STATIONS | {"plant"})
        return cls(inventory, near)

    def achieve(self, target: Subgoal, steps: list[Subgoal], depth: int = 0) -> None:
        if depth > 12:
            raise InvalidPlanError(f"requirements of {target.text!r} do not terminate")
        skill = target.skill
        kind, _, name = skill.partition("_")
        if kind == "collect" and name in SOURCES:
            self._ensure_all(SOURCES[name][1], steps, depth)
            self.inventory[name] = min(MAX_ITEM[name], self.inventory[name] + int(target.arg("count", 1)))
        elif kind == "place":
            self._ensure_all(RECIPES.place[name]["uses"], steps, depth)
            self._consume(RECIPES.place[name]["uses"])
            self.stations.add(name)
        elif kind == "make":
            recipe = RECIPES.make[name]
            for station in recipe["nearby"]:
                if station not in self.stations:
                    self.achieve(vocab.make_subgoal(f"place_{station}"), steps, depth + 1)
            self._ensure_all(recipe["uses"], steps, depth)
            self._consume(recipe["uses"])
            self.inventory[name] += recipe["gives"]
        elif skill == "eat_plant":
            self.achieve(vocab.make_subgoal("place_plant"), steps, depth + 1)
        elif skill in ("defeat_zombie", "defeat_skeleton", "eat_cow", "wake_up"):
            pass  # no inventory requirements in Crafter's rules
        steps.append(target)

    def apply(self, subgoal: Subgoal) -> str:
        """Carry out one subgoal without planning for it; what it lacked ('' if it could run)."""
        kind, _, name = subgoal.skill.partition("_")
        if kind == "collect" and name in SOURCES:
            needs, stations = SOURCES[name][1], []
        elif kind == "place":
            needs, stations = RECIPES.place[name]["uses"], []
        elif kind == "make":
            needs, stations = RECIPES.make[name]["uses"], RECIPES.make[name]["nearby"]
        elif subgoal.skill == "eat_plant":
            needs, stations = {}, ["plant"]
        else:
            return ""
        lacking = [f"{n} {item.replace('_', ' ')} (has {self.inventory[item]})" for item, n in needs.items()
                   if self.inventory[item] < n]
        lacking += [f"a {station} nearby" for station in stations if station not in self.stations]
        if lacking:
            return " and ".join(lacking)
        if kind == "collect":
            self.inventory[name] = min(MAX_ITEM[name], self.inventory[name] + int(subgoal.arg("count", 1)))
        elif kind == "place":
            self._consume(needs)
            self.stations.add(name)
        elif kind == "make":
            self._consume(needs)
            self.inventory[name] += RECIPES.make[name]["gives"]
        return ""

    def _ensure_all(self, needs: dict[str, int], steps: list[Subgoal], depth: int) -> None:
        """Satisfy every need; repeat because satisfying one may consume another (shared wood)."""
        for _ in range(8):
            missing = {item: n for item, n in needs.items() if self.inventory[item] < n}
            if not missing:
                return
            for item, amount in missing.items():
                self._ensure(item, amount, steps, depth)
        raise InvalidPlanError(f"cannot satisfy requirements {needs}")

    def _ensure(self, item: str, amount: int, steps: list[Subgoal], depth: int) -> None:
        deficit = amount - self.inventory[item]
        if deficit <= 0:
            return
        if item in MADE_ITEMS:
            for _ in range(deficit):
                self.achieve(vocab.make_subgoal(f"make_{item}"), steps, depth + 1)
        elif item in SOURCES:
            self.achieve(vocab.make_subgoal(f"collect_{item}", deficit), steps, depth + 1)
        else:
            raise InvalidPlanError(f"no way to obtain {item!r} in Crafter")

    def _consume(self, uses: dict[str, int]) -> None:
        for item, amount in uses.items():
            self.inventory[item] -= amount


def simulate(subgoals: list[Subgoal], observation: dict[str, Any]) -> None:
    """Run a plan against Crafter's recipes from the observed inventory; the first impossible step raises.

    Unlike `plan`, nothing is added: "make stone pickaxe" with no stone or no table is an error.
    """
    state = _State.from_observation(observation)
    for number, subgoal in enumerate(subgoals, 1):
        missing = state.apply(subgoal)
        if missing:
            raise InvalidPlanError(f"step {number} {subgoal.text!r} is impossible there: it needs {missing}")


def check_targets(subgoals: list[Subgoal], instruction: str) -> None:
    """Every target the instruction names is in the plan (collection: at least the asked count)."""
    try:
        targets = parse_instruction(instruction)
    except InvalidPlanError:
        return  # an instruction the rules cannot read: nothing to hold the plan to
    for target in targets:
        done = sum(int(s.arg("count", 1)) for s in subgoals if s.skill == target.skill)
        if done < int(target.arg("count", 1)):
            raise InvalidPlanError(f"the plan never does {target.text!r}, which the instruction asks for")


def merge_collection(steps: list[Subgoal]) -> list[Subgoal]:
    """Hoist each collection step to the earliest point its tools exist, merging equal items.

    Collecting only adds to the inventory, so doing it earlier never breaks a later step; counts are
    capped at the inventory maximum (9), beyond which a separate step is kept.
    """
    merged: list[Subgoal] = []
    for step in steps:
        item = step.skill.removeprefix("collect_")
        if not step.skill.startswith("collect_") or item not in SOURCES:
            merged.append(step)
            continue
        tools = set(SOURCES[item][1])
        earliest = max((i + 1 for i, s in enumerate(merged) if s.skill.removeprefix("make_") in tools), default=0)
        for i in range(earliest, len(merged)):
            other = merged[i]
            total = int(other.arg("count", 1)) + int(step.arg("count", 1))
            if other.skill == step.skill and total <= MAX_ITEM[item]:
                merged[i] = vocab.make_subgoal(step.skill, total)
                break
        else:
            merged.insert(earliest, step)
    return merged


RULES = CrafterRules()


def stations_where_far_materials_are(steps: list[Subgoal], observation: dict[str, Any]) -> list[Subgoal]:
    """Gather coal, iron and diamond together, after the stone tools, and place the stations that use them
    (the furnace, and a new table for 2 wood more) where the last of them was found.

    Walking back from the caves to the first table across the grass at nightfall is where the agents died
    (embodied/BENCHMARKS.md, "Make an iron pickaxe"): "make an iron pickaxe" from nothing becomes collect 7
    wood, place table, make wood pickaxe, collect 5 stone, make stone pickaxe, collect coal, collect iron,
    place table, place furnace, make iron pickaxe. Plans without such materials are returned unchanged, and
    so is a plan whose extra wood would not fit in the inventory (checked by `simulate` from the observed
    inventory). Only plans that use a furnace change.
    """
    uses = [i for i, step in enumerate(steps) if "furnace" in _stations_needed(step)]
    if not uses:
        return steps
    far = [i for i in range(uses[0]) if steps[i].skill.removeprefix("collect_") in FAR_MATERIALS]
    if not far:
        return steps
    head = [step for i, step in enumerate(steps[:uses[0]]) if i not in far and step.skill != "place_furnace"]
    furnaces = [step for step in steps[:uses[0]] if step.skill == "place_furnace"]
    moved = [*head, *(steps[i] for i in far), *furnaces, *steps[uses[0]:]]
    changed = _table_where_needed(moved, "table" in _State.from_observation(observation).stations)
    try:
        simulate(changed, observation)
    except InvalidPlanError:
        return steps
    return changed


def _stations_needed(step: Subgoal) -> tuple[str, ...]:
    """Stations a step needs within reach; the furnace goes next to a table (what it makes needs both)."""
    kind, _, name = step.skill.partition("_")
    if kind == "make":
        return tuple(RECIPES.make[name]["nearby"])
    return ("table",) if step.skill == "place_furnace" else ()


def _table_where_needed(steps: list[Subgoal], table_here: bool) -> list[Subgoal]:
    """A new table before a step that needs one after a far collection (`table_here`: one is in reach at the
    start), its wood added to the first wood collection (or taken from the inventory: `simulate` checks the
    plan after)."""
    out: list[Subgoal] = []
    extra_wood = 0
    for step in steps:
        if step.skill == "place_table":
            table_here = True
        elif "table" in _stations_needed(step) and not table_here:
            out.append(vocab.make_subgoal("place_table"))
            extra_wood += RECIPES.place["table"]["uses"]["wood"]
            table_here = True
        if step.skill.removeprefix("collect_") in FAR_MATERIALS:
            table_here = False
        out.append(step)
    wood = next((i for i, s in enumerate(out) if s.skill == "collect_wood"), None)
    if extra_wood and wood is not None:
        out[wood] = vocab.make_subgoal("collect_wood", int(out[wood].arg("count", 1)) + extra_wood)
    return out
