"""A tiny trained Crafter transformer shared by the scale-out tests (trained in-process, a few steps)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_run(crafter_dataset, tmp_path_factory) -> str:
    from embodied.training import TrainConfig, train

    out = str(tmp_path_factory.mktemp("scale") / "run")
    train([crafter_dataset], "transformer", {"dim": 32, "layers": 1, "heads": 2, "image_channels": 8},
          TrainConfig(steps=20, batch_size=16, warmup_steps=5, device="cpu"), out)
    return out
