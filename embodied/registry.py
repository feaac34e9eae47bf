"""Lazy lookup of worlds, policies and planners by name ("module:attribute" strings).

Nothing heavy (mujoco, torch models, LLMs) is imported until a name is asked for, so
`embodied --help` stays fast and a missing optional dependency only matters when used.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from embodied.types import InvalidPlanError


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
class World:
    """One world's parts as "module:attribute" names, imported only when asked for. A world package
    (embodied/worlds/<name>/__init__.py) defines one; the registry below lists it in one line.

    Made per episode: env, callable(**kwargs) -> SubgoalEnv; expert, class(env, noise, seed) -> Expert.
    Fixed knowledge (module-level instances): rules, a Rules; vocabulary, a Vocabulary; language, a
    LanguageAssets (prompts, instruction templates). env_kwargs: fixed keyword arguments of `env` for this
    world (several worlds may share one env class). survival (optional): a function env -> Subgoal | None,
    what keeps the player alive now (Crafter: fight back, drink, eat, sleep), run before each planned subgoal
    by `eval survival=true` (embodied.agent.AgentConfig.survival).
    """

    name: str
    env: str
    expert: str
    rules: str
    vocabulary: str
    language: str
    env_kwargs: tuple[tuple[str, Any], ...] = ()
    survival: str = ""

    @classmethod
    def package(cls, name: str, env: str, expert: str, module: str = "") -> World:
        """A world laid out as a package (default embodied.worlds.<name>): env.py (class `env`), expert.py (class
        `expert`), rules.py (RULES), vocab.py (VOCABULARY) and language.py (LANGUAGE)."""
        base = module or f"embodied.worlds.{name}"
        return cls(name, f"{base}.env:{env}", f"{base}.expert:{expert}", f"{base}.rules:RULES",
                   f"{base}.vocab:VOCABULARY", f"{base}.language:LANGUAGE")

    def make_env(self, **kwargs: Any) -> Any:
        return load_symbol(self.env)(**dict(self.env_kwargs), **kwargs)

    def make_expert(self, env: Any, noise: float = 0.0, seed: int | None = None) -> Any:
        return load_symbol(self.expert)(env, noise=noise, seed=seed)

    def load_rules(self) -> Any:
        return load_symbol(self.rules)

    def load_vocabulary(self) -> Any:
        return load_symbol(self.vocabulary)

    def load_language(self) -> Any:
        return load_symbol(self.language)

    def load_survival(self) -> Any:
        """The world's survival rule (env -> Subgoal | None); a world without one refuses `survival=true`."""
        if not self.survival:
            raise InvalidPlanError(f"survival=true: the {self.name} world has no survival rules (Crafter has)")
        return load_symbol(self.survival)

    def sample_instruction(self, rng: Any) -> str:
        """An instruction to record a demonstration for (the world's recording templates)."""
        return self.load_language().record(rng)


# One line per world: "package:attribute" of its World.
WORLDS: dict[str, str] = {
    "crafter": "embodied.worlds.crafter:WORLD",
    "tabletop": "embodied.worlds.tabletop:WORLD",
    "kitchen": "embodied.worlds.kitchen:WORLD",
    "fetch_reach": "embodied.worlds.fetch:REACH",
    "fetch_push": "embodied.worlds.fetch:PUSH",
    "fetch_pick_and_place": "embodied.worlds.fetch:PICK_AND_PLACE",
    "fetch_slide": "embodied.worlds.fetch:SLIDE",
    "minetest": "embodied.worlds.minetest:WORLD",
    "minedojo": "embodied.worlds.minedojo:WORLD",  # needs MineDojo 0.1 + Java 8 (minetest/README.md)
}


def register_world(name: str, path: str) -> None:
    """Add a world defined outside this package ("module:attribute" of its World), e.g. from a plug-in."""
    WORLDS[name] = path


def world(name: str) -> World:
    if name not in WORLDS:
        raise KeyError(f"unknown world {name!r}; expected one of {sorted(WORLDS)}")
    return load_symbol(WORLDS[name])


POLICIES: dict[str, str] = {
    "transformer": "policies.transformer.policy:TransformerPolicy",
    "diffusion": "policies.diffusion.policy:DiffusionPolicy",
}

PLANNERS: dict[str, str] = {
    "symbolic": "planners.symbolic:SymbolicPlanner",  # plans with the world's rules (knowledge graph)
    "llm": "planners.llm:LLMPlanner",  # the bundled SmolLM2-135M-Instruct, few-shot + constrained decoding
    "openai": "planners.openai_compat:OpenAIPlanner",  # any OpenAI-compatible chat endpoint
    "mllm": "planners.mllm:MLLMPlanner",  # the project's own image encoder + LoRA SmolLM2 (embodied train-planner)
    "curriculum": "embodied.worlds.crafter.curriculum:CurriculumPlanner",  # open-ended Crafter: the next subgoal
}


def make_planner(name: str, world_name: str = "", **kwargs: Any) -> Any:
    """A planner by its registry name; the symbolic one plans with the rules of `world_name`."""
    if name not in PLANNERS:
        raise KeyError(f"unknown planner {name!r}; expected one of {sorted(PLANNERS)}")
    if name == "symbolic":
        kwargs.setdefault("world", world_name)
    return load_symbol(PLANNERS[name])(**kwargs)
