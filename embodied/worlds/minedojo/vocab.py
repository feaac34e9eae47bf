"""The minedojo world speaks the minetest world's subgoals (MineDojo's item names), under its own world name."""

from embodied.worlds.base import Vocabulary
from embodied.worlds.minetest.vocab import GOAL_TEXTS, PLAN_TEXTS, SKILLS, make_subgoal, parse

VOCABULARY = Vocabulary("minedojo", SKILLS, GOAL_TEXTS, parse, PLAN_TEXTS)
__all__ = ["VOCABULARY", "make_subgoal"]
