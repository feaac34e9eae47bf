"""The kitchen world: env, vocabulary, rules (knowledge graph), scripted expert and language assets."""

from embodied.registry import World

WORLD = World(
    name="kitchen",
    env="embodied.worlds.kitchen.env:KitchenEnv",
    expert="embodied.worlds.kitchen.expert:KitchenExpert",
    rules="embodied.worlds.kitchen.rules:RULES",
    vocabulary="embodied.worlds.kitchen.vocab:VOCABULARY",
    language="embodied.worlds.kitchen.language:LANGUAGE",
)
