"""Continuous actions with two modes (+1 / -1 from the same observations): policies keep both, not the mean."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embodied.datasets.windows import WindowDataset
from embodied.training import TrainConfig, train
from policies.base import load_policy

CASES = {
    "transformer": ("transformer", {"dim": 64, "layers": 1, "heads": 2, "obs_horizon": 2, "mixtures": 4}),
    "transformer_bins": ("transformer", {"dim": 64, "layers": 1, "heads": 2, "obs_horizon": 2, "head": "bins",
                                         "bins": 32}),
    "transformer_bins_ar": ("transformer", {"dim": 64, "layers": 1, "heads": 2, "obs_horizon": 2,
                                            "head": "bins_ar", "bins": 32}),
    "diffusion": ("diffusion", {"dim": 64, "layers": 2, "heads": 2, "horizon": 8, "action_steps": 4,
                                "goal_dropout": 0.0}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_both_modes_are_reproduced(case, bimodal_dataset, tmp_path):
    name, overrides = CASES[case]
    config = TrainConfig(steps=300, batch_size=32, lr=2e-3, warmup_steps=10, checkpoint_every=300, log_every=50,
                         device="cpu", seed=0)
    train([bimodal_dataset], name, overrides, config, str(tmp_path / "run"))
    policy = load_policy(tmp_path / "run" / "policy")
    window = WindowDataset(bimodal_dataset, policy.window).batch(np.full(128, 10))
    batch = policy.prepare({"obs": window["obs"], "goal_ids": window["goal_ids"]})
    samplers = [("ddim", 10), ("dpmsolver", 3), ("edm", 3)] if name == "diffusion" else [(None, None)]
    for sampler, steps in samplers:
        if sampler:
            policy.config.sampler, policy.config.inference_steps = sampler, steps
        policy.reset(seed=0)
        with torch.no_grad():
            first_action = policy.predict_chunk(batch)[:, 0].numpy()  # (128, 4)
        # joint modes (all four dimensions +1 or all -1) for the mixture, diffusion and bins_ar; independent
        # bins are per dimension (their draws mix the modes' dimensions: test_independent_bins_mix_the_modes)
        first_action = first_action.ravel() if case == "transformer_bins" else first_action.mean(-1)
        positive, negative = (first_action > 0.5).mean(), (first_action < -0.5).mean()
        assert positive > 0.2 and negative > 0.2, (case, sampler, positive, negative)
        assert positive + negative > 0.8, (case, sampler, np.round(first_action, 2))  # few near the mean 0


def test_independent_bins_mix_the_modes_and_autoregressive_bins_do_not(bimodal_dataset, tmp_path):
    """The same data (every action all +1 or all -1): per-dimension bins draw actions whose dimensions come
    from different modes; bins conditioned on the earlier dimensions draw whole modes."""
    config = TrainConfig(steps=300, batch_size=32, lr=2e-3, warmup_steps=10, checkpoint_every=300, log_every=50,
                         device="cpu", seed=0)
    mixed = {}
    for head in ("bins", "bins_ar"):
        overrides = {"dim": 64, "layers": 1, "heads": 2, "obs_horizon": 2, "head": head, "bins": 32}
        train([bimodal_dataset], "transformer", overrides, config, str(tmp_path / head))
        policy = load_policy(tmp_path / head / "policy")
        window = WindowDataset(bimodal_dataset, policy.window).batch(np.full(256, 10))
        batch = policy.prepare({"obs": window["obs"], "goal_ids": window["goal_ids"]})
        policy.reset(seed=0)
        with torch.no_grad():
            signs = np.sign(policy.predict_chunk(batch)[:, 0].numpy())
        mixed[head] = float((np.abs(signs.sum(-1)) < 4).mean())  # some dimensions +, others -
    assert mixed["bins"] > 0.5 and mixed["bins_ar"] < 0.1, mixed
