"""The crafter world: env, vocabulary, rules (knowledge graph), scripted expert and language assets."""

from dataclasses import replace

from embodied.registry import World

WORLD = replace(World.package("crafter", env="CrafterEnv", expert="CrafterExpert"),
                survival="embodied.worlds.crafter.curriculum:survival_for")
