"""The crafter world: env, vocabulary, rules (knowledge graph), scripted expert and language assets."""

from embodied.registry import World

WORLD = World.package("crafter", env="CrafterEnv", expert="CrafterExpert")
