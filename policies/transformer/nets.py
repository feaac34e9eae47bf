"""Network of the transformer policy: causal attention over (observation + goal) tokens, action heads."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from policies.base import Features
from policies.encoders.goal import make_goal_encoder
from policies.encoders.observation import ObservationEncoder
from policies.transformer.config import TransformerConfig


class CausalTransformer(nn.Module):
    """(B, T) observation dicts and goal ids (+ goal image (B, 3, H, W)) -> (B, T, dim), each step seeing its past."""

    def __init__(self, config: TransformerConfig, features: Features) -> None:
        super().__init__()
        self.observations = ObservationEncoder(features.obs_shapes, config.dim, config.image_channels)
        self.goals = make_goal_encoder(config.goal_encoder, features.obs_shapes, features.goal_texts, config.dim,
                                       config.image_channels)
        self.positions = nn.Parameter(torch.zeros(1, config.obs_horizon, config.dim))
        layer = nn.TransformerEncoderLayer(config.dim, config.heads, 4 * config.dim, config.dropout,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(config.dim)

    def forward(self, obs: dict[str, torch.Tensor], goal_ids: torch.Tensor,
                goal_rgb: torch.Tensor | None = None) -> torch.Tensor:
        tokens = self.observations(obs) + self.goals(goal_ids, goal_rgb)
        steps = tokens.shape[1]
        tokens = tokens + self.positions[:, :steps]
        mask = nn.Transformer.generate_square_subsequent_mask(steps, device=tokens.device)
        return self.norm(self.blocks(tokens, mask=mask, is_causal=True))


def choose(logits: torch.Tensor, config: TransformerConfig, generator: torch.Generator) -> torch.Tensor:
    """Indices over the last dimension of `logits`, on the CPU: sampled at `config.temperature` when
    `config.sample_actions`, else the most likely."""
    if not config.sample_actions:
        return logits.argmax(-1).cpu()
    probs = torch.softmax(logits / config.temperature, -1).cpu()
    return torch.multinomial(probs.view(-1, probs.shape[-1]), 1, generator=generator).view(probs.shape[:-1])


class CategoricalHead(nn.Module):
    """Discrete actions: logits over the action set."""

    def __init__(self, dim: int, actions: int) -> None:
        super().__init__()
        self.linear = nn.Linear(dim, actions)

    def loss(self, features: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Per-step negative log-likelihood (B, T)."""
        logits = self.linear(features)
        return F.cross_entropy(logits.flatten(0, 1), actions.flatten().long(), reduction="none").view(actions.shape)

    def sample(self, features: torch.Tensor, config: TransformerConfig, generator: torch.Generator) -> torch.Tensor:
        return choose(self.linear(features).float(), config, generator)


class MixtureHead(nn.Module):
    """Continuous actions in [-1, 1]^A: a mixture of K diagonal Gaussians, so several modes survive."""

    def __init__(self, dim: int, action_dim: int, mixtures: int, min_std: float = 1e-3) -> None:
        super().__init__()
        self.action_dim, self.mixtures = action_dim, mixtures
        self.min_log_std = math.log(min_std)
        self.linear = nn.Linear(dim, mixtures * (2 * action_dim + 1))

    def _split(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = self.linear(features).float()
        logits, rest = out[..., : self.mixtures], out[..., self.mixtures:]
        means, log_stds = rest.view(*out.shape[:-1], self.mixtures, 2 * self.action_dim).chunk(2, -1)
        return logits, torch.tanh(means), log_stds.clamp(self.min_log_std, 2)

    def loss(self, features: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        logits, means, log_stds = self._split(features)
        z = (actions.unsqueeze(-2) - means) / log_stds.exp()
        component = -0.5 * (z**2).sum(-1) - log_stds.sum(-1) - 0.5 * self.action_dim * math.log(2 * math.pi)
        return -torch.logsumexp(torch.log_softmax(logits, -1) + component, -1)

    def sample(self, features: torch.Tensor, config: TransformerConfig, generator: torch.Generator) -> torch.Tensor:
        logits, means, _ = self._split(features)
        index = choose(logits, config, generator).to(means.device)
        index = index[..., None, None].expand(*index.shape, 1, self.action_dim)
        return means.gather(-2, index).squeeze(-2)


class BinHead(nn.Module):
    """Continuous actions in [-1, 1]^A as a categorical over uniform bins per dimension (as RT-1 does).

    Point masses in the data (saturated commands at exactly +-1) are one bin each, so the loss cannot be
    lowered without bound by sharpening a density on them; each dimension keeps several modes.
    """

    def __init__(self, dim: int, action_dim: int, bins: int) -> None:
        super().__init__()
        self.action_dim, self.bins = action_dim, bins
        self.linear = nn.Linear(dim, action_dim * bins)
        self.register_buffer("centres", torch.linspace(-1.0, 1.0, bins), persistent=False)

    def _logits(self, features: torch.Tensor) -> torch.Tensor:
        return self.linear(features).float().view(*features.shape[:-1], self.action_dim, self.bins)

    def loss(self, features: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        logits = self._logits(features)
        index = ((actions.clamp(-1, 1) + 1) / 2 * (self.bins - 1)).round().long()
        return F.cross_entropy(logits.flatten(0, -2), index.flatten(), reduction="none").view(index.shape).sum(-1)

    def sample(self, features: torch.Tensor, config: TransformerConfig, generator: torch.Generator) -> torch.Tensor:
        return self.centres[choose(self._logits(features), config, generator).to(self.centres.device)]


class AutoregressiveBinHead(BinHead):
    """Bins per dimension, each dimension's categorical conditioned on the bins drawn for the ones before it
    (x, then y given x, ...), so one draw is one coherent action: independent per-dimension draws combine the
    x of one mode with the z of another (on tabletop "push forward" + "rise" flung blocks).

    Dimension d reads the features plus an embedding of each earlier dimension's bin through a small MLP;
    training feeds the demonstrated bins (teacher forcing)."""

    def __init__(self, dim: int, action_dim: int, bins: int) -> None:
        super().__init__(dim, action_dim, bins)
        self.earlier = nn.ModuleList(nn.Embedding(bins, dim) for _ in range(action_dim - 1))
        self.mlps = nn.ModuleList(nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU())
                                  for _ in range(action_dim - 1))

    def _dimension_logits(self, hidden: torch.Tensor, d: int) -> torch.Tensor:
        weight = self.linear.weight.view(self.action_dim, self.bins, -1)[d]
        bias = self.linear.bias.view(self.action_dim, self.bins)[d]
        inputs = hidden if d == 0 else hidden + self.mlps[d - 1](hidden)
        return F.linear(inputs, weight, bias).float()

    def loss(self, features: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        index = ((actions.clamp(-1, 1) + 1) / 2 * (self.bins - 1)).round().long()
        hidden, losses = features, []
        for d in range(self.action_dim):
            logits = self._dimension_logits(hidden, d)
            losses.append(F.cross_entropy(logits.flatten(0, -2), index[..., d].flatten(), reduction="none"))
            if d < self.action_dim - 1:
                hidden = hidden + self.earlier[d](index[..., d])
        return torch.stack(losses, -1).view(index.shape).sum(-1)

    def sample(self, features: torch.Tensor, config: TransformerConfig, generator: torch.Generator) -> torch.Tensor:
        hidden, chosen = features, []
        for d in range(self.action_dim):
            index = choose(self._dimension_logits(hidden, d), config, generator).to(features.device)
            chosen.append(index)
            if d < self.action_dim - 1:
                hidden = hidden + self.earlier[d](index)
        return self.centres[torch.stack(chosen, -1).to(self.centres.device)]
