"""Settings shared by the scale-out engines (Ray for rollouts; torchrun for training is embodied.distributed)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RayConfig:
    """Where `engine=ray` sends episodes: `address=None` starts a local Ray runtime, `HEAD:6379` joins a cluster."""

    address: str | None = None
    num_cpus: int | None = None  # for a local runtime only (None: every core)
    episodes_per_task: int = 1  # episodes a Ray task runs one after another (one env, one policy load)
