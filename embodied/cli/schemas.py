"""One source of defaults: the typed dataclass configs, registered as hydra structured configs.

A group option's YAML (experiments/conf/<group>/<option>.yaml) lists `<option>_schema` in its defaults and
holds only overrides; every default and type comes from the dataclass named here, and a bad value is a
validation error at composition (one line, through embodied/cli/config.py). Top-level configs are the
dataclasses below with their groups added.
"""

from __future__ import annotations

from dataclasses import field, make_dataclass
from typing import Any

from embodied.registry import load_symbol

GROUP_SCHEMAS = {  # (group, option) -> the dataclass it is built from
    ("train", "default"): "embodied.training:TrainConfig",
    ("policy", "transformer"): "policies.transformer.config:TransformerConfig",
    ("policy", "diffusion"): "policies.diffusion.config:DiffusionConfig",
    ("planner", "llm"): "planners.llm:LLMConfig",
    ("planner", "mllm"): "planners.mllm:MLLMConfig",
    ("planner", "openai"): "planners.openai_compat:OpenAIConfig",
}
NAMED_GROUPS = ("policy", "planner")  # their options carry a `name` key (which policy / planner it is)
_REGISTERED: list[bool] = []


def schema(group: str, option: str) -> type:
    """The dataclass of one group option (with its `name` key for policies and planners)."""
    base = load_symbol(GROUP_SCHEMAS[(group, option)])
    if group not in NAMED_GROUPS:
        return base
    return make_dataclass(f"{base.__name__}Schema", [("name", str, field(default=option))], bases=(base,))


def register() -> None:
    """Store every group schema as `<group>/<option>_schema` in hydra's ConfigStore (once per process)."""
    if _REGISTERED:
        return
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    for group, option in GROUP_SCHEMAS:
        store.store(group=group, name=f"{option}_schema", node=schema(group, option))
    _REGISTERED.append(True)


def fields_of(cls: Any) -> set[str]:
    from dataclasses import fields

    return {f.name for f in fields(cls)}
