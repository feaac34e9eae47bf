"""`TransformerPolicy`: the strong simple baseline, a goal-conditioned causal transformer (BC)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from embodied.datasets.stats import MinMax
from embodied.datasets.windows import WindowSpec
from policies.base import Features, Policy
from policies.transformer.config import TransformerConfig
from policies.transformer.nets import AutoregressiveBinHead, BinHead, CategoricalHead, CausalTransformer, MixtureHead


class TransformerPolicy(Policy):
    """Causal transformer over the last `obs_horizon` (observation, goal) steps, one action per step.

    Trained on every position of a window at once (teacher forcing); acts from the last position.
    Discrete worlds get a categorical head, continuous ones a Gaussian-mixture head or per-dimension bins
    (independent, or each dimension given the earlier ones: `head=bins_ar`).
    """

    name = "transformer"
    config_class = TransformerConfig

    def __init__(self, config: TransformerConfig, features: Features, stats: dict[str, MinMax]) -> None:
        super().__init__(config, features, stats)
        self.backbone = CausalTransformer(config, features)
        if features.discrete:
            self.head = CategoricalHead(config.dim, features.action_dim)
        elif config.head == "bins":
            self.head = BinHead(config.dim, features.action_dim, config.bins)
        elif config.head == "bins_ar":
            self.head = AutoregressiveBinHead(config.dim, features.action_dim, config.bins)
        elif config.head == "mixture":
            self.head = MixtureHead(config.dim, features.action_dim, config.mixtures, config.min_std)
        else:
            raise ValueError(f"transformer policy: head must be 'mixture', 'bins' or 'bins_ar', got {config.head!r}")

    @property
    def observation_encoder(self) -> nn.Module:
        return self.backbone.observations

    @classmethod
    def window_for(cls, config: TransformerConfig) -> WindowSpec:
        horizon = config.obs_horizon
        return WindowSpec(obs_horizon=horizon, action_start=1 - horizon, action_horizon=horizon,
                          goal_image=config.goal_encoder == "image")

    def forward(self, batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        features = self.backbone(batch["obs"], batch["goal_ids"], batch.get("goal_rgb"))
        per_step = self.head.loss(features, batch["actions"])
        mask = batch["action_mask"].float()
        loss = (per_step * mask).sum() / mask.sum().clamp(min=1)
        return loss, {"loss": float(loss.detach())}

    def predict_chunk(self, batch: dict[str, Any], generators: list[torch.Generator] | None = None) -> torch.Tensor:
        features = self.backbone(batch["obs"], batch["goal_ids"], batch.get("goal_rgb"))[:, -1:]
        if generators is None or not self.config.sample_actions:
            actions = self.head.sample(features, self.config, self._generator)
        else:  # each env's draw from its own generator, as when it acts alone
            actions = torch.cat([self.head.sample(features[b: b + 1], self.config, generator)
                                 for b, generator in enumerate(generators)])
        if not self.features.discrete:
            actions = self.stats["actions"].unnormalize(actions)
        return actions
