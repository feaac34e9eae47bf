"""`DiffusionPolicy`: goal-conditioned action-chunk diffusion with classifier-free guidance and few-step sampling."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from embodied.datasets.stats import MinMax
from embodied.datasets.windows import WindowSpec
from policies.base import Features, Policy
from policies.diffusion.config import DiffusionConfig
from policies.diffusion.nets import make_denoiser
from policies.diffusion.samplers import make_sampler, make_train_scheduler
from policies.encoders.goal import make_goal_encoder
from policies.encoders.observation import ObservationEncoder


class DiffusionPolicy(Policy):
    """Denoises a chunk of T_p actions conditioned on T_o observations and the subgoal (DDPM training).

    The chunk starts at the first observed step; `predict_chunk` returns the T_a actions from the
    current step on, which the base class executes before predicting again (receding horizon).
    Discrete worlds diffuse a one-hot action scaled to [-1, 1] and decode it by argmax. Training
    drops the goal with probability `goal_dropout`, so sampling can mix conditional and
    unconditional predictions: eps = eps_u + w (eps_c - eps_u), with w = `guidance`.
    """

    name = "diffusion"
    config_class = DiffusionConfig

    def __init__(self, config: DiffusionConfig, features: Features, stats: dict[str, MinMax]) -> None:
        super().__init__(config, features, stats)
        self.observations = ObservationEncoder(features.obs_shapes, config.dim, config.image_channels)
        self.goals = make_goal_encoder(config.goal_encoder, features.obs_shapes, features.goal_texts, config.dim,
                                       config.image_channels)
        self.denoiser = make_denoiser(config, features.action_dim)
        self.noise_scheduler = make_train_scheduler(config)
        self._samplers: dict[tuple[str, int], Any] = {}

    @property
    def observation_encoder(self) -> nn.Module:
        return self.observations

    @classmethod
    def window_for(cls, config: DiffusionConfig) -> WindowSpec:
        return WindowSpec(obs_horizon=config.obs_horizon, action_start=1 - config.obs_horizon,
                          action_horizon=config.horizon, goal_image=config.goal_encoder == "image")

    @property
    def action_steps(self) -> int:
        return self.config.action_steps

    @property
    def ensemble_weight(self) -> float:
        return 0.0 if self.features.discrete else float(self.config.temporal_ensemble)

    @property
    def null_id(self) -> int:
        return self.goals.null_id

    def forward(self, batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        clean = self._to_chunk(batch["actions"])
        goal_ids = batch["goal_ids"]
        dropped = torch.rand(goal_ids.shape[0], device=goal_ids.device) < self.config.goal_dropout
        goal_ids = torch.where(dropped[:, None], torch.full_like(goal_ids, self.null_id), goal_ids)
        obs_tokens, goal_token = self._condition(batch, goal_ids)
        noise = torch.randn_like(clean)
        timesteps = torch.randint(0, self.config.train_timesteps, (clean.shape[0],), device=clean.device)
        noisy = self.noise_scheduler.add_noise(clean, noise, timesteps)
        output = self.denoiser(noisy, timesteps, obs_tokens, goal_token)
        if self.config.prediction == "epsilon":
            target = noise
        elif self.config.prediction == "sample":
            target = clean
        else:
            target = self.noise_scheduler.get_velocity(clean, noise, timesteps)
        per_step = F.mse_loss(output.float(), target, reduction="none").mean(-1)
        mask = batch["action_mask"].float()
        loss = (per_step * mask).sum() / mask.sum().clamp(min=1)
        return loss, {"loss": float(loss.detach())}

    @torch.no_grad()
    def predict_chunk(self, batch: dict[str, Any], generators: list[torch.Generator] | None = None) -> torch.Tensor:
        """Actions (B, T_a) discrete or (B, T_a, A) continuous, starting at the current (last observed) step.

        With `generators` (one per row) row b's noise comes from generators[b] (diffusers' schedulers draw
        per row from a list too), so a row's draws do not depend on the rest of the batch."""
        model = self._guided_model(batch)
        shape = (batch["goal_ids"].shape[0], self.config.horizon, self.features.action_dim)
        if generators is None:
            noise = torch.randn(shape, generator=self._generator)
        else:
            noise = torch.cat([torch.randn((1, *shape[1:]), generator=generator) for generator in generators])
        chunk = self.sampler()(model, noise.to(self.device), self._generator if generators is None else generators)
        start = self.config.obs_horizon - 1
        executed = chunk[:, start:] if self.ensemble_weight else chunk[:, start: start + self.config.action_steps]
        if self.features.discrete:
            return executed.argmax(-1)
        return self.stats["actions"].unnormalize(executed.clamp(-1, 1))

    def sampler(self) -> Any:
        """The sampler the config names now (built once per sampler and step count)."""
        key = (self.config.sampler, self.config.inference_steps)
        if key not in self._samplers:
            self._samplers[key] = make_sampler(self.config, self.noise_scheduler)
        return self._samplers[key]

    def _guided_model(self, batch: dict[str, Any]):
        """model(x, t) with guidance; w = 0 runs only the unconditional path and w = 1 only the conditional."""
        weight = self.config.guidance
        goal_ids = batch["goal_ids"]
        if weight == 0:
            goal_ids = torch.full_like(goal_ids, self.null_id)
        obs_tokens, goal_token = self._condition(batch, goal_ids)
        if weight in (0, 1):
            return lambda x, t: self.denoiser(x, t, obs_tokens, goal_token)
        _, null_token = self._condition(batch, torch.full_like(goal_ids, self.null_id), obs_tokens)
        both_obs, both_goals = torch.cat([obs_tokens, obs_tokens]), torch.cat([goal_token, null_token])

        def guided(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            conditional, unconditional = self.denoiser(torch.cat([x, x]), torch.cat([t, t]), both_obs,
                                                       both_goals).chunk(2)
            return unconditional + weight * (conditional - unconditional)

        return guided

    def _condition(self, batch: dict[str, Any], goal_ids: torch.Tensor,
                   obs_tokens: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Observation tokens (B, T_o, dim) and the current step's goal token (B, 1, dim)."""
        if obs_tokens is None:
            obs_tokens = self.observations(batch["obs"])
        return obs_tokens, self.goals(goal_ids, batch.get("goal_rgb"))[:, -1:]

    def _to_chunk(self, actions: torch.Tensor) -> torch.Tensor:
        """Actions (B, T_p) ids or (B, T_p, A) normalised -> the (B, T_p, A) chunk in [-1, 1] that is diffused."""
        if self.features.discrete:
            return F.one_hot(actions.long(), self.features.action_dim).float() * 2 - 1
        return actions.float()
