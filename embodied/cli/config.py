"""Hydra composition for the CLI (the only code that imports hydra): YAML + key=value overrides -> typed configs."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException


class ConfigError(ValueError):
    """A bad override or a missing required key, said in one line."""


def config_dir() -> Path:
    """experiments/conf of this checkout (the CLI is installed with `pip install -e .`)."""
    override = os.environ.get("EMBODIED_CONF")
    path = Path(override) if override else Path(__file__).resolve().parents[2] / "experiments" / "conf"
    if not (path / "collect.yaml").exists():
        raise ConfigError(f"hydra configs not found at {path}; install with `pip install -e .` from a checkout "
                          f"or set EMBODIED_CONF to an experiments/conf directory")
    return path


def compose(name: str, overrides: list[str]) -> DictConfig:
    """Compose `experiments/conf/<name>.yaml` with hydra overrides such as `train.steps=50`."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException

    from embodied.cli.schemas import register

    register()
    GlobalHydra.instance().clear()
    overrides = [_registered_world(override) for override in overrides]
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            cfg = hydra_compose(config_name=name, overrides=overrides)
    except (HydraException, OmegaConfBaseException) as error:
        cause = f" ({str(error.__cause__).splitlines()[0]})" if error.__cause__ and str(error.__cause__) else ""
        raise ConfigError(f"{name}: {str(error).splitlines()[0]}{cause}{_quoting_hint(overrides)}") from None
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise ConfigError(f"{name}: missing required key(s) {', '.join(missing)} (pass e.g. {missing[0]}=...)")
    return cfg


def _quoting_hint(overrides: list[str]) -> str:
    """For a value hydra's grammar cannot read bare (spaces, non-ASCII, brackets): how to quote it."""
    for override in overrides:
        key, _, value = override.partition("=")
        if value and value[0] not in "'\"[" and not re.fullmatch(r"[\w./:+@~,-]*", value, re.ASCII):
            return f"; quote a value with spaces or special characters: {key}=\"'{value}'\""
    return ""


def _registered_world(override: str) -> str:
    """`env=NAME` for a registered world without its own experiments/conf/env/NAME.yaml (a world needs none:
    its kwargs default to {}) becomes `env.name=NAME`."""
    key, _, value = override.partition("=")
    if key != "env" or not value or (config_dir() / "env" / f"{value}.yaml").exists():
        return override
    from embodied.registry import WORLDS

    return f"env.name={value}" if value in WORLDS else override


def typed(schema: type, values: Any, where: str) -> Any:
    """Validate plain values against a dataclass (unknown keys and wrong types are errors)."""
    try:
        merged = OmegaConf.merge(OmegaConf.structured(schema), values)
        return OmegaConf.to_object(merged)
    except OmegaConfBaseException as error:
        key = getattr(error, "full_key", None)
        raise ConfigError(f"{where}{f'.{key}' if key else ''}: {str(error).splitlines()[0]}") from None
    except ValueError as error:  # a range check of the dataclass (__post_init__): it names the key already
        raise ConfigError(str(error).splitlines()[0]) from None


def plain(cfg: Any) -> Any:
    return OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else cfg


def default_yaml(name: str) -> str:
    """The default composed config, shown by `embodied <command> --help`."""
    try:
        cfg = compose(name, [])
    except ConfigError:
        from hydra import compose as hydra_compose
        from hydra import initialize_config_dir
        from hydra.core.global_hydra import GlobalHydra

        from embodied.cli.schemas import register

        register()
        GlobalHydra.instance().clear()
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            cfg = hydra_compose(config_name=name)
    return OmegaConf.to_yaml(cfg)
