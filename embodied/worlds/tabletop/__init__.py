"""The tabletop world: env, vocabulary, rules (knowledge graph), scripted expert and language assets."""

from embodied.registry import World

WORLD = World(
    name="tabletop",
    env="embodied.worlds.tabletop.env:TabletopEnv",
    expert="embodied.worlds.tabletop.expert:TabletopExpert",
    rules="embodied.worlds.tabletop.rules:RULES",
    vocabulary="embodied.worlds.tabletop.vocab:VOCABULARY",
    language="embodied.worlds.tabletop.language:LANGUAGE",
)
