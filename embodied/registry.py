"""Lazy lookup of worlds, policies and planners by name ("module:attribute" strings).

Nothing heavy (mujoco, torch models, LLMs) is imported until a name is asked for, so
`embodied --help` stays fast and a missing optional dependency only matters when used.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


class MissingDependencyError(ImportError):
    """An optional dependency needed by the chosen world / policy / planner is not installed."""


def load_symbol(path: str) -> Any:
    """Import `package.module:attribute`; a missing optional dependency becomes one clear line."""
    module_name, _, attribute = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and not error.name.startswith(("embodied", "policies", "planners")):
            raise MissingDependencyError(
                f"{path} needs the optional package {error.name!r}; install it, e.g. "
                f"`pip install -e '.[mujoco]'` for MuJoCo worlds"
            ) from error
        raise
    return getattr(module, attribute)


@dataclass(frozen=True)
class WorldSpec:
    """Where the parts of one world live: env factory, scripted expert, symbolic planner, instructions."""

    name: str
    env: str  # callable(**env_kwargs) -> SubgoalEnv
    expert: str  # class(env, noise: float, seed: int) -> Expert
    planner: str  # class() -> Planner (the symbolic oracle of this world)
    instructions: str  # callable(rng: numpy.random.Generator) -> str, instructions to record
    # module with `parse(text) -> Subgoal`, `SKILLS`, `GOAL_TEXTS` (and optionally `PLAN_TEXTS`, every text a
    # planner may write); language planners read and validate replies with it. "" = none yet.
    vocab: str = ""

    def make_env(self, **kwargs: Any) -> Any:
        return load_symbol(self.env)(**kwargs)


def _world(name: str, module: str, env: str, expert: str, planner: str, vocab: str = "") -> WorldSpec:
    return WorldSpec(name, f"{module}:{env}", expert, planner, f"{module}:sample_instruction", vocab)


WORLDS: dict[str, WorldSpec] = {
    "crafter": _world(
        "crafter", "embodied.envs.crafter.env", "CrafterEnv",
        "embodied.experts.crafter:CrafterExpert", "planners.symbolic.crafter:CrafterPlanner",
        "embodied.envs.crafter.vocab",
    ),
    **{
        name: WorldSpec(
            name, f"embodied.envs.mujoco.fetch:make_{name}", "embodied.experts.fetch:FetchExpert",
            "planners.symbolic.single:SingleTaskPlanner", f"embodied.envs.mujoco.fetch:sample_{name}_instruction",
        )
        for name in ("fetch_reach", "fetch_push", "fetch_pick_and_place", "fetch_slide")
    },
    "kitchen": _world(
        "kitchen", "embodied.envs.mujoco.kitchen", "KitchenEnv",
        "embodied.experts.kitchen:KitchenExpert", "planners.symbolic.kitchen:KitchenPlanner",
        "embodied.envs.mujoco.kitchen_vocab",
    ),
    "tabletop": _world(
        "tabletop", "embodied.envs.mujoco.tabletop", "TabletopEnv",
        "embodied.experts.tabletop:TabletopExpert", "planners.symbolic.tabletop:TabletopPlanner",
        "embodied.envs.mujoco.tabletop_vocab",
    ),
}


def world(name: str) -> WorldSpec:
    if name not in WORLDS:
        raise KeyError(f"unknown world {name!r}; expected one of {sorted(WORLDS)}")
    return WORLDS[name]


POLICIES: dict[str, str] = {
    "transformer": "policies.transformer.policy:TransformerPolicy",
    "diffusion": "policies.diffusion.policy:DiffusionPolicy",
}

PLANNERS: dict[str, str] = {
    "symbolic": "",  # the world's own symbolic planner (WorldSpec.planner)
    "llm": "planners.llm:LLMPlanner",  # the bundled SmolLM2-135M-Instruct, few-shot + constrained decoding
    "openai": "planners.openai_compat:OpenAIPlanner",  # any OpenAI-compatible chat endpoint
    "mllm": "planners.mllm:MLLMPlanner",  # the project's own image encoder + LoRA SmolLM2 (embodied train-planner)
}
