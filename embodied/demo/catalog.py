"""What a demo page may choose from: worlds, planners and actors (the scripted expert, or a policy from the
server-side list of checkpoints found under the configured folders; the page sends only an id)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from typing import Any

from embodied.demo.session import Choice, DemoInputError
from embodied.registry import PLANNERS, make_planner, world

MUJOCO_WORLDS = ("tabletop", "kitchen")


def minetest_available() -> bool:
    """The Minetest client (real frames) and Xvfb are installed: the demo offers the `minetest` world."""
    client = shutil.which("minetest") or (os.access("/usr/games/minetest", os.X_OK) and "/usr/games/minetest")
    return bool(client) and shutil.which("Xvfb") is not None


@dataclass(frozen=True)
class Checkpoint:
    """A policy checkpoint the page may pick by `id` (its path never leaves the server)."""

    id: str
    label: str
    world: str
    path: str


def find_checkpoints(folders: list[str], max_depth: int = 4) -> list[Checkpoint]:
    """Policy directories (holding policy.json) under `folders`, at most `max_depth` levels down."""
    found: list[Checkpoint] = []
    for folder in folders:
        root = os.path.abspath(folder)
        for directory, subdirs, files in os.walk(root):
            depth = directory[len(root):].count(os.sep)
            if depth >= max_depth:
                subdirs[:] = []
            if "policy.json" not in files:
                continue
            try:
                with open(os.path.join(directory, "policy.json")) as handle:
                    env_name = json.load(handle)["features"]["env_name"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            label = os.path.relpath(directory, os.path.dirname(root))
            found.append(Checkpoint(f"policy-{len(found)}", label, env_name, directory))
    return found


def shipped_checkpoints() -> list[Checkpoint]:
    """The default policies shipped inside the package (embodied/checkpoints/WORLD), labelled "WORLD (shipped)"."""
    from embodied.checkpoints import shipped_checkpoint, shipped_worlds

    return [Checkpoint(f"shipped-{name}", f"{name} (shipped)", name, shipped_checkpoint(name) or "")
            for name in shipped_worlds()]


class Catalog:
    """The choices offered to every session, and how a choice becomes an env, an actor and a planner."""

    def __init__(self, checkpoint_folders: list[str], shipped: bool = True) -> None:
        mujoco = importlib.util.find_spec("mujoco") is not None
        minetest = ("minetest",) if minetest_available() else ()
        self.worlds = ["crafter", *(MUJOCO_WORLDS if mujoco else ()), *minetest]
        self.planners = list(PLANNERS)
        found = shipped_checkpoints() if shipped else []
        found += find_checkpoints(checkpoint_folders)
        self.checkpoints = {c.id: c for c in found if c.world in self.worlds}
        # the actor a new session starts with: Crafter's shipped policy when there is one
        self.default_actor = "shipped-crafter" if "shipped-crafter" in self.checkpoints else "expert"

    def options(self) -> dict[str, Any]:
        actors = [{"id": "expert", "label": "scripted expert", "world": ""}]
        actors += [{"id": c.id, "label": f"policy {c.label}", "world": c.world} for c in self.checkpoints.values()]
        return {"worlds": self.worlds, "planners": self.planners, "actors": actors, "actor": self.default_actor}

    def check(self, choice: Choice) -> None:
        """A choice the page may make (one line naming what is wrong otherwise)."""
        if choice.world not in self.worlds:
            raise DemoInputError(f"world {choice.world!r} is not available here; expected one of {self.worlds}")
        if choice.planner not in self.planners:
            raise DemoInputError(f"planner {choice.planner!r}: expected one of {self.planners}")
        if choice.actor != "expert" and choice.actor not in self.checkpoints:
            raise DemoInputError(f"actor {choice.actor!r}: not in the server's list of checkpoints")
        if choice.planner == "openai" and not choice.planner_url.startswith(("http://", "https://")):
            raise DemoInputError("planner openai needs its URL, e.g. http://127.0.0.1:8000/v1")

    def build_actor(self, choice: Choice) -> tuple[Any, str, dict[str, Any], Any, str]:
        """(env, world name, env kwargs, actor, actor kind): a policy brings the world it was trained in."""
        if choice.actor == "expert":
            spec = world(choice.world)
            env = spec.make_env()
            return env, spec.name, {}, spec.make_expert(env, noise=0.0, seed=choice.seed), "expert"
        from embodied.agent import PolicyActor
        from policies.base import load_policy

        policy = load_policy(self.checkpoints[choice.actor].path, "cpu")
        env = policy.features.make_env()
        features = policy.features
        return env, features.env_name, dict(features.env_kwargs), PolicyActor(policy, env, choice.seed), "policy"

    def build_planner(self, choice: Choice, world_name: str) -> Any:
        if choice.planner == "symbolic":
            return make_planner("symbolic", world_name)
        kwargs: dict[str, Any] = {"world": world_name}
        if choice.planner == "openai":
            kwargs["base_url"] = choice.planner_url
        return make_planner(choice.planner, world_name, **kwargs)
