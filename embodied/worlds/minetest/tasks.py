"""MineDojo Programmatic task ids the Minetest world can do, each a target item and quantity (success is
read from the inventory, as MineDojo's harvest and tech-tree success checks do)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    """One MineDojo task: obtain `quantity` of `target` (a MineDojo item name), from `start` items."""

    task_id: str
    target: str
    quantity: int
    prompt: str
    start: tuple[tuple[str, int], ...] = ()  # MineDojo names and counts in the inventory at reset


TASKS: dict[str, Task] = {task.task_id: task for task in (
    Task("harvest_1_log", "log", 1, "obtain log"),
    Task("harvest_8_log", "log", 8, "obtain 8 log"),
    Task("harvest_1_planks", "planks", 1, "obtain planks"),
    Task("harvest_1_stick", "stick", 1, "obtain stick"),
    Task("harvest_1_crafting_table", "crafting_table", 1, "obtain crafting table"),
    Task("harvest_1_cobblestone_with_wooden_pickaxe", "cobblestone", 1, "obtain cobblestone",
         (("wooden_pickaxe", 1),)),
    Task("techtree_from_barehand_to_wooden_pickaxe", "wooden_pickaxe", 1, "craft a wooden pickaxe"),
    Task("techtree_from_barehand_to_stone_pickaxe", "stone_pickaxe", 1, "craft a stone pickaxe"),
    Task("techtree_from_wood_to_stone_pickaxe", "stone_pickaxe", 1, "craft a stone pickaxe", (("log", 3),)),
)}


def task(task_id: str) -> Task:
    """The task of `task_id`; one clear error naming the ids this world has."""
    if task_id not in TASKS:
        raise KeyError(f"the minetest world has no MineDojo task {task_id!r}; it has {', '.join(TASKS)}")
    return TASKS[task_id]
