"""The minedojo world: an adapter over the real `minedojo.make(task_id)` (adapter.py holds the pure mapping);
MineDojo, Java 8 and Minecraft are needed only when an env is made."""

from embodied.registry import World

WORLD = World.package("minedojo", env="MineDojoEnv", expert="MineDojoExpert")
