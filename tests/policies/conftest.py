"""Policy fixtures: one torch thread, a bimodal continuous-action dataset written by the real DatasetWriter."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embodied.datasets.hdf5 import DatasetWriter, Episode


@pytest.fixture(autouse=True, scope="package")
def one_torch_thread():
    """Tiny networks on a shared 2-core machine: one intra-op thread is >10x faster than spinning threads."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

@pytest.fixture(scope="session")
def bimodal_dataset(tmp_path_factory) -> str:
    """Continuous (T, 4) actions: the same observations, half the episodes push +1, half -1 (two modes, mean 0)."""
    path = str(tmp_path_factory.mktemp("bimodal") / "bimodal.hdf5")
    writer = DatasetWriter(path, {"env_name": "bimodal", "action_dim": 4, "discrete": False}, ("push",))
    rng = np.random.default_rng(0)
    steps = 24
    for episode in range(8):
        sign = 1.0 if episode % 2 == 0 else -1.0
        state = np.stack([np.linspace(0, 1, steps), np.zeros(steps)], axis=1).astype(np.float32)
        actions = (sign + 0.05 * rng.standard_normal((steps, 4))).astype(np.float32)
        writer.write(Episode(obs={"state": state}, actions=actions, rewards=np.zeros(steps),
                             dones=np.eye(steps)[-1], subgoals=["push"] * steps,
                             subgoal_ids=np.zeros(steps, np.int32), instruction="push", seed=episode))
    return path
