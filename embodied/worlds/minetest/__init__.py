"""The minetest world: Minetest under Xvfb behind MineDojo's API (minedojo_api) and the platform's
(env, vocabulary, rules, scripted expert, language assets); the bridge mod lives in mod/embodied."""

from embodied.registry import World

WORLD = World.package("minetest", env="MinetestEnv", expert="MinetestExpert")
