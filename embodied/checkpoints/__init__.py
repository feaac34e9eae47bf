"""Default policies shipped inside the package, one folder per world (`crafter/`: policy.json,
model.safetensors, stats.json). `embodied eval`, `run` and `demo` use the world's folder when no
`checkpoint=` is given; experiments/recipes/shipped_checkpoints.sh reproduces every one of them."""

from __future__ import annotations

from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent


def shipped_worlds() -> list[str]:
    """The worlds with a shipped default policy."""
    return sorted(p.parent.name for p in SHIPPED_DIR.glob("*/policy.json"))


def shipped_checkpoint(world: str) -> str | None:
    """The shipped default policy directory of `world`, or None when it has none."""
    directory = SHIPPED_DIR / world
    return str(directory) if (directory / "policy.json").exists() else None
