"""Diffusion policy: samplers recover the data under an exact model, guidance weights, config errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from embodied.datasets.windows import WindowDataset
from embodied.training import build_policy
from policies.diffusion.config import DiffusionConfig
from policies.diffusion.policy import DiffusionPolicy
from policies.diffusion.samplers import make_sampler, make_train_scheduler

TINY = {"dim": 32, "layers": 1, "heads": 2, "image_channels": 8, "horizon": 8, "action_steps": 4,
        "unet_channels": [32, 64]}
SAMPLERS = [("ddpm", 100), ("ddim", 10), ("dpmsolver", 3), ("edm", 1), ("edm", 2), ("edm", 3)]


def _exact_model(config: DiffusionConfig, clean: torch.Tensor):
    """The ideal network for data that is always `clean`: its eps / x0 / v at any (fractional) step t."""
    abar = make_train_scheduler(config).alphas_cumprod.double()
    log_sigmas = (((1 - abar) / abar).sqrt()).log()

    def model(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        step = float(t.reshape(-1)[0])
        low = min(int(step), len(log_sigmas) - 2)
        sigma = float(torch.exp(torch.lerp(log_sigmas[low], log_sigmas[low + 1], step - low)))
        signal, noise_scale = (1 + sigma**2) ** -0.5, sigma * (1 + sigma**2) ** -0.5
        eps = (x - signal * clean) / noise_scale
        if config.prediction == "epsilon":
            return eps
        if config.prediction == "sample":
            return clean.expand_as(x)
        return signal * eps - noise_scale * clean

    return model


@pytest.mark.parametrize("prediction", ["epsilon", "sample", "v_prediction"])
@pytest.mark.parametrize(("sampler", "steps"), SAMPLERS)
def test_every_sampler_recovers_the_data_under_an_exact_model(sampler, steps, prediction):
    config = DiffusionConfig(sampler=sampler, inference_steps=steps, prediction=prediction, horizon=8,
                             action_steps=4)
    clean = torch.linspace(-0.9, 0.9, 8 * 3).view(1, 8, 3)
    generator = torch.Generator().manual_seed(0)
    noise = torch.randn((2, 8, 3), generator=generator)
    result = make_sampler(config, make_train_scheduler(config))(_exact_model(config, clean), noise, generator)
    assert result.shape == (2, 8, 3)
    assert torch.allclose(result.float(), clean.expand(2, -1, -1), atol=2e-3), (result - clean).abs().max()


@pytest.fixture(scope="module", params=["transformer", "unet", "mlp"])
def continuous_policy(request, bimodal_dataset):
    """An untrained diffusion policy sized from the continuous dataset, and a prepared batch of 2 windows."""
    torch.manual_seed(0)
    policy, dataset = build_policy("diffusion", {**TINY, "backbone": request.param}, [bimodal_dataset])
    policy.eval()
    window = dataset.batch(np.array([3, 40]))
    return policy, policy.prepare({"obs": window["obs"], "goal_ids": window["goal_ids"]})


def _chunk(policy, batch, seed: int, **config) -> torch.Tensor:
    for key, value in config.items():
        setattr(policy.config, key, value)
    policy.reset(seed=seed)
    return policy.predict_chunk(batch)


def test_guidance_weight_zero_is_exactly_the_unconditional_path(continuous_policy):
    policy, batch = continuous_policy
    unconditional_batch = {**batch, "goal_ids": torch.full_like(batch["goal_ids"], policy.null_id)}
    for sampler, steps in [("ddim", 10), ("edm", 2)]:
        weight_zero = _chunk(policy, batch, 7, guidance=0.0, sampler=sampler, inference_steps=steps)
        unconditional = _chunk(policy, unconditional_batch, 7, guidance=1.0)
        assert torch.equal(weight_zero, unconditional)
        conditional = _chunk(policy, batch, 7, guidance=1.0)
        assert not torch.equal(conditional, unconditional)  # the (random) goal embedding matters
        guided = _chunk(policy, batch, 7, guidance=3.0)
        assert guided.shape == conditional.shape and torch.isfinite(guided).all()
        assert not torch.equal(guided, conditional)


@pytest.mark.parametrize(("sampler", "steps"), SAMPLERS)
def test_samplers_give_continuous_chunks_within_the_action_range(continuous_policy, sampler, steps):
    policy, batch = continuous_policy
    chunk = _chunk(policy, batch, 1, sampler=sampler, inference_steps=steps, guidance=1.0)
    low, high = policy.stats["actions"].low, policy.stats["actions"].high
    assert chunk.shape == (2, policy.action_steps, 4)
    assert torch.isfinite(chunk).all()
    assert (chunk.numpy() >= low - 1e-5).all() and (chunk.numpy() <= high + 1e-5).all()
    assert torch.equal(chunk, _chunk(policy, batch, 1))  # same seed, same chunk


@pytest.mark.parametrize(("sampler", "steps"), SAMPLERS)
def test_discrete_chunks_decode_to_valid_actions(crafter_dataset, sampler, steps):
    torch.manual_seed(0)
    policy, _ = build_policy("diffusion", {**TINY, "sampler": sampler, "inference_steps": steps}, [crafter_dataset])
    dataset = WindowDataset(crafter_dataset, policy.window)
    observations = [{k: v[t] for k, v in dataset.obs.items()} for t in range(9)]
    policy.reset(seed=0)
    actions = [policy.select_action(obs, goal_id=0) for obs in observations]
    assert all(isinstance(a, int) and 0 <= a < policy.features.action_dim for a in actions)


def test_window_and_receding_horizon_follow_the_config():
    spec = DiffusionPolicy.window_for(DiffusionConfig(obs_horizon=2, horizon=16, action_steps=8))
    assert (spec.obs_horizon, spec.action_start, spec.action_horizon, spec.goal_image) == (2, -1, 16, False)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"sampler": "euler"}, "policy.sampler='euler'"),
    ({"backbone": "resnet"}, "policy.backbone='resnet'"),
    ({"obs_horizon": 2, "action_steps": 16, "horizon": 16}, "obs_horizon - 1 + action_steps <= horizon"),
    ({"backbone": "unet", "horizon": 10, "unet_channels": [8, 16, 32]}, "divisible by 2^2"),
    ({"goal_encoder": "audio"}, "policy.goal_encoder='audio'"),
])
def test_bad_configs_are_one_line_errors(overrides, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        DiffusionConfig(**overrides)
