"""The Minetest world's knowledge graph: the engine's recipes (as the mod reads them from minetest_game, in
MineDojo's item names), where raw items come from, and a planner that expands goals into subgoals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from embodied.types import InvalidPlanError, Plan, Skill, Subgoal, UnknownSubgoalError
from embodied.worlds.minetest import vocab
from embodied.worlds.rules import Rules


@dataclass(frozen=True)
class Recipe:
    uses: tuple[tuple[str, int], ...]
    gives: int
    table: bool  # a 3x3 recipe: needs a crafting table within reach


# minetest_game's recipes (tests/worlds/minetest holds them to the engine's registry dump)
RECIPES: dict[str, Recipe] = {
    "planks": Recipe((("log", 1),), 4, False),
    "stick": Recipe((("planks", 1),), 4, False),
    "crafting_table": Recipe((("planks", 4),), 1, False),
    "wooden_pickaxe": Recipe((("planks", 3), ("stick", 2)), 1, True),
    "stone_pickaxe": Recipe((("cobblestone", 3), ("stick", 2)), 1, True),
}
# raw item -> (the node it is dug from, the tools any one of which it needs)
SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "log": ("tree", ()),
    "cobblestone": ("stone", ("wooden_pickaxe", "stone_pickaxe")),
}
_SYNONYMS = ((r"\b(wood|logs|wood logs|trees?)\b", "log"), (r"\b(cobble|stones?|cobblestones)\b", "cobblestone"),
             (r"\bwooden planks\b|\bplank\b", "planks"), (r"\bsticks\b", "stick"),
             (r"\b(work ?bench|crafting bench)\b", "crafting table"), (r"\btable\b", "crafting table"),
             (r"\bcrafting crafting table\b", "crafting table"), (r"\bwood pickaxe\b", "wooden pickaxe"),
             (r"\b(make|build|get me|obtain|get)\b", "get"), (r"\b(mine|chop|harvest|gather|cut)\b", "collect"))
_SPLIT = re.compile(r",|;|\bthen\b|\band\b|\bafter that\b|\bfinally\b|\bfirst\b|\bnext\b")
_TASK_ID = re.compile(r"^(?:techtree_from_\w+?_to_|harvest_(\d+)_)(\w+?)(?:_with_\w+)?$")


def craftable(item: str, inventory: dict[str, int], table_near: bool,
              recipes: dict[str, Recipe] | None = None) -> bool:
    """Whether `item` (a MineDojo name) can be crafted now (by `recipes`, default minetest_game's)."""
    recipe = (RECIPES if recipes is None else recipes).get(item)
    return recipe is not None and (table_near or not recipe.table) and \
        all(inventory.get(name, 0) >= count for name, count in recipe.uses)


def _goal(part: str) -> Subgoal:
    """One instruction part ("get 3 log", "collect cobblestone", "place a crafting table") as a target."""
    words = part.split()
    count = 1
    if len(words) > 1 and words[1].isdigit():
        count, words = int(words[1]), [words[0], *words[2:]]
    verb, item = (words[0], "_".join(words[1:])) if words else ("", "")
    if verb in ("get", "collect", "craft") and item in SOURCES:
        return vocab.make_subgoal(f"collect_{item}", count)
    if verb in ("get", "craft") and item in RECIPES:
        return vocab.make_subgoal(f"craft_{item}")
    return vocab.parse(part)


def parse_instruction(instruction: str) -> list[Subgoal]:
    """Targets an instruction names ("make a wooden pickaxe", "collect 3 wood, then place a table") or a
    MineDojo task id ("techtree_from_barehand_to_stone_pickaxe", "harvest_1_log")."""
    task = _TASK_ID.match(instruction.strip())
    if task:
        return [_goal(f"get {task.group(1) or 1} {task.group(2)}")]
    text = " ".join(re.sub(r"[^a-z0-9 ,;]", " ", instruction.lower()).split())
    text = re.sub(r"\b(a|an|the|some|please|me|you)\b", " ", text)
    for pattern, replacement in _SYNONYMS:
        text = re.sub(pattern, replacement, text)
    targets = []
    for part in filter(None, (" ".join(p.split()) for p in _SPLIT.split(text))):
        try:
            targets.append(_goal(part))
        except UnknownSubgoalError:
            raise InvalidPlanError(f"minetest rules do not understand {part!r} in {instruction!r}; say e.g. "
                                   f"'make a wooden pickaxe', 'collect 3 log', 'place a crafting table'") from None
    if not targets:
        raise InvalidPlanError(f"empty instruction {instruction!r}")
    return targets


class _State:
    """Simulated inventory and whether a crafting table stands in reach."""

    def __init__(self, observation: dict[str, Any], recipes: dict[str, Recipe]) -> None:
        self.recipes = recipes
        self.inventory = {k: int(v) for k, v in (observation.get("inventory") or {}).items()}
        self.table = bool(observation.get("table_in_reach"))

    def have(self, item: str) -> int:
        return self.inventory.get(item, 0)

    def lacks(self, subgoal: Subgoal) -> str:
        """What `subgoal` lacks to run now ('' when it can)."""
        verb, _, item = subgoal.skill.partition("_")
        if verb == "collect":
            tools = SOURCES[item][1]
            return "" if not tools or any(self.have(t) for t in tools) else f"a {' or '.join(tools)}"
        if verb == "place":
            return "" if self.have("crafting_table") else "a crafting table in the inventory"
        recipe = self.recipes[item]
        missing = [f"{n} {name} (has {self.have(name)})" for name, n in recipe.uses if self.have(name) < n]
        missing += ["a placed crafting table"] if recipe.table and not self.table else []
        return " and ".join(missing)

    def apply(self, subgoal: Subgoal) -> None:
        verb, _, item = subgoal.skill.partition("_")
        if verb == "collect":
            self.inventory[item] = self.have(item) + int(subgoal.arg("count", 1))
        elif verb == "place":
            self.inventory["crafting_table"] -= 1
            self.table = True
        else:
            for name, n in self.recipes[item].uses:
                self.inventory[name] -= n
            self.inventory[item] = self.have(item) + self.recipes[item].gives

    def achieve(self, target: Subgoal, steps: list[Subgoal], depth: int = 0) -> None:
        """Append the steps that make `target` runnable, then `target` itself."""
        if depth > 16:
            raise InvalidPlanError(f"requirements of {target.text!r} do not terminate")
        verb, _, item = target.skill.partition("_")
        if verb == "collect" and self.lacks(target):
            self.achieve(vocab.make_subgoal(f"craft_{SOURCES[item][1][0]}"), steps, depth + 1)
        elif verb == "place" and not self.have("crafting_table"):
            self.achieve(vocab.make_subgoal("craft_crafting_table"), steps, depth + 1)
        elif verb == "craft":
            recipe = self.recipes[item]
            if recipe.table and not self.table:
                self.achieve(vocab.make_subgoal("place_crafting_table"), steps, depth + 1)
            for _ in range(8):  # one ingredient's steps may use up another (planks for sticks)
                missing = [(name, n) for name, n in recipe.uses if self.have(name) < n]
                if not missing:
                    break
                for name, n in missing:
                    self._ensure(name, n, steps, depth)
        self.apply(target)
        steps.append(target)

    def _ensure(self, item: str, amount: int, steps: list[Subgoal], depth: int) -> None:
        while self.have(item) < amount:
            deficit = amount - self.have(item)
            if item in SOURCES:
                self.achieve(vocab.make_subgoal(f"collect_{item}", deficit), steps, depth + 1)
            elif item in self.recipes:
                self.achieve(vocab.make_subgoal(f"craft_{item}"), steps, depth + 1)
            else:
                raise InvalidPlanError(f"no way to obtain {item!r} in the minetest world")


def merge_collection(steps: list[Subgoal]) -> list[Subgoal]:
    """Fold each collection into an earlier one of the same item when no tool is needed in between."""
    merged: list[Subgoal] = []
    for step in steps:
        item = step.skill.removeprefix("collect_")
        earlier = [i for i, s in enumerate(merged) if s.skill == step.skill]
        if step.skill.startswith("collect_") and earlier and not SOURCES[item][1]:
            i = earlier[0]
            total = int(merged[i].arg("count", 1)) + int(step.arg("count", 1))
            if total <= 9:
                merged[i] = vocab.make_subgoal(step.skill, total)
                continue
        merged.append(step)
    return merged


class CraftingRules(Rules):
    """Plans over a recipe table and SOURCES from the `describe()` inventory and table_in_reach (the minedojo
    world uses the same rules with Minecraft's recipes)."""

    def __init__(self, recipes: dict[str, Recipe]) -> None:
        self.recipes = recipes

    def parse(self, instruction: str) -> list[Subgoal]:
        return parse_instruction(instruction)

    def expand(self, goals: list[Subgoal], observation: dict[str, Any]) -> list[Subgoal]:
        state, steps = _State(observation, self.recipes), []
        for goal in goals:
            state.achieve(goal, steps)
        return merge_collection(steps)

    def check(self, subgoals: list[Subgoal], observation: dict[str, Any], instruction: str = "") -> None:
        state = _State(observation, self.recipes)
        for number, subgoal in enumerate(subgoals, 1):
            missing = state.lacks(vocab.parse(subgoal))
            if missing:
                raise InvalidPlanError(f"step {number} {subgoal.text!r} is impossible there: it needs {missing}")
            state.apply(vocab.parse(subgoal))
        if not instruction:
            return
        try:
            targets = parse_instruction(instruction)
        except InvalidPlanError:
            return
        for target in targets:
            done = sum(int(s.arg("count", 1)) for s in subgoals if s.skill == target.skill)
            if done < int(target.arg("count", 1)):
                raise InvalidPlanError(f"the plan never does {target.text!r}, which the instruction asks for")

    def plan(self, instruction: str, observation: dict[str, Any], skills: tuple[Skill, ...] = ()) -> Plan:
        return Plan(instruction, self.expand(self.parse(instruction), observation), "symbolic")


RULES = CraftingRules(RECIPES)
