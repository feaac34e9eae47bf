"""The tabletop world: env, vocabulary, rules (knowledge graph), scripted expert and language assets."""

from embodied.registry import World

WORLD = World.package("tabletop", env="TabletopEnv", expert="TabletopExpert")
