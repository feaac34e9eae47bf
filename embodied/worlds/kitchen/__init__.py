"""The kitchen world: env, vocabulary, rules (knowledge graph), scripted expert and language assets."""

from embodied.registry import World

WORLD = World.package("kitchen", env="KitchenEnv", expert="KitchenExpert")
