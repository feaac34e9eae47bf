"""Contract tests over every registered policy (and both diffusion backbones) on a real Crafter dataset."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embodied.datasets.windows import WindowDataset
from embodied.registry import POLICIES
from embodied.training import TrainConfig, train
from policies.base import load_policy

_DIFFUSION = {"dim": 32, "layers": 1, "heads": 2, "image_channels": 8, "horizon": 8, "action_steps": 4}
CASES = {  # id -> (registry name, tiny policy overrides)
    "transformer": ("transformer", {"dim": 32, "layers": 1, "heads": 2, "image_channels": 8, "obs_horizon": 2}),
    "diffusion-transformer": ("diffusion", {**_DIFFUSION, "backbone": "transformer"}),
    "diffusion-unet": ("diffusion", {**_DIFFUSION, "backbone": "unet", "unet_channels": [32, 64]}),
    "diffusion-mlp": ("diffusion", {**_DIFFUSION, "backbone": "mlp", "mlp_width": 32}),
}
STEPS = 80


def test_every_registered_policy_has_a_case():
    assert {name for name, _ in CASES.values()} == set(POLICIES)


@pytest.fixture(scope="module", params=list(CASES))
def trained(request, crafter_dataset, tmp_path_factory):
    """One tiny real training run per case: (case id, run, run directory)."""
    name, overrides = CASES[request.param]
    out = str(tmp_path_factory.mktemp(request.param) / "run")
    config = TrainConfig(steps=STEPS, batch_size=16, lr=1e-3, warmup_steps=5, checkpoint_every=STEPS, log_every=10,
                         device="cpu")
    return request.param, train([crafter_dataset], name, overrides, config, out), out


def test_tiny_training_run_reduces_the_loss(trained):
    case, run, _ = trained
    losses = [row["loss"] for row in run.history]
    first, last = np.mean(losses[:2]), np.mean(losses[-2:])
    assert last < 0.85 * first, (case, losses)


def _actions(policy, observations: list[dict], goal_id: int, seed: int) -> list[int]:
    policy.reset(seed=seed)
    return [policy.select_action(obs, goal_id) for obs in observations]


def test_save_then_load_gives_identical_actions(trained, crafter_dataset, tmp_path):
    _, _, out = trained
    policy = load_policy(f"{out}/policy")
    policy.save(tmp_path / "copy")
    copy = load_policy(tmp_path / "copy")
    for key, value in policy.state_dict().items():
        assert torch.equal(value, copy.state_dict()[key]), key
    dataset = WindowDataset(crafter_dataset, policy.window)
    observations = [{k: v[t] for k, v in dataset.obs.items()} for t in range(12)]
    goal = int(dataset.goal_ids[0])
    assert _actions(policy, observations, goal, seed=5) == _actions(copy, observations, goal, seed=5)
    assert all(0 <= a < policy.features.action_dim for a in _actions(copy, observations, goal, seed=6))


def test_a_half_precision_export_is_smaller_and_loads_as_float32(trained, tmp_path):
    _, _, out = trained
    policy = load_policy(f"{out}/policy")
    policy.save(tmp_path / "full", weights="safetensors")
    policy.save(tmp_path / "half", weights="safetensors", half=True)
    full, half = ((tmp_path / name / "model.safetensors").stat().st_size for name in ("full", "half"))
    assert half < 0.6 * full
    copy = load_policy(tmp_path / "half")
    for key, value in policy.state_dict().items():
        loaded = copy.state_dict()[key]
        assert loaded.dtype == value.dtype, key  # cast back to the model's own dtype
        if value.is_floating_point():
            torch.testing.assert_close(loaded, value.half().to(value.dtype), rtol=0, atol=0)


def test_predict_chunk_shapes(trained, crafter_dataset):
    _, _, out = trained
    policy = load_policy(f"{out}/policy")
    dataset = WindowDataset(crafter_dataset, policy.window)
    window = dataset.batch(np.array([0, 10, 20]))
    batch = policy.prepare({"obs": window["obs"], "goal_ids": window["goal_ids"]})
    with torch.no_grad():
        chunk = policy.predict_chunk(batch)
    assert chunk.shape == (3, policy.action_steps)
    assert chunk.dtype == torch.int64 and chunk.min() >= 0 and chunk.max() < policy.features.action_dim
    assert policy.window.obs_horizon == 2
