"""The crafter world: env, vocabulary, rules (knowledge graph), scripted expert and language assets."""

from embodied.registry import World

WORLD = World(
    name="crafter",
    env="embodied.worlds.crafter.env:CrafterEnv",
    expert="embodied.worlds.crafter.expert:CrafterExpert",
    rules="embodied.worlds.crafter.rules:RULES",
    vocabulary="embodied.worlds.crafter.vocab:VOCABULARY",
    language="embodied.worlds.crafter.language:LANGUAGE",
)
