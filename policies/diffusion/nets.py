"""Denoisers of the diffusion policy: (noisy chunk, diffusion time, observation and goal tokens) -> prediction.

Each maps a noisy action chunk (B, T_p, A), diffusion times (B,) (float: Karras samplers use fractional
steps), observation tokens (B, T_o, dim) and a goal token (B, 1, dim) to (B, T_p, A): the noise, the
clean chunk or v, whichever the policy is trained to predict.
"""

from __future__ import annotations

import math

import torch
from einops import rearrange
from torch import nn

from policies.diffusion.config import DiffusionConfig


class TimeEmbedding(nn.Module):
    """Sinusoidal embedding of diffusion times (B,) followed by an MLP -> (B, dim)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        half = dim // 2
        self.register_buffer("frequencies", torch.exp(-math.log(10_000) * torch.arange(half) / max(1, half - 1)),
                             persistent=False)
        self.mlp = nn.Sequential(nn.Linear(2 * half, 4 * dim), nn.Mish(), nn.Linear(4 * dim, dim))

    def forward(self, timesteps: torch.Tensor) -> torch.Tensor:
        angles = timesteps.float()[:, None] * self.frequencies[None]
        return self.mlp(torch.cat([angles.sin(), angles.cos()], dim=-1))


class TransformerDenoiser(nn.Module):
    """Full attention over [time, goal, observations..., noisy actions...] tokens (in the spirit of MDT / BESO)."""

    def __init__(self, config: DiffusionConfig, action_dim: int) -> None:
        super().__init__()
        dim = config.dim
        self.time = TimeEmbedding(dim)
        self.action_in = nn.Linear(action_dim, dim)
        self.positions = nn.Parameter(torch.zeros(1, 2 + config.obs_horizon + config.horizon, dim))
        nn.init.normal_(self.positions, std=0.02)
        layer = nn.TransformerEncoderLayer(dim, config.heads, 4 * dim, config.dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.action_out = nn.Linear(dim, action_dim)

    def forward(self, noisy: torch.Tensor, timesteps: torch.Tensor, obs_tokens: torch.Tensor,
                goal_token: torch.Tensor) -> torch.Tensor:
        tokens = torch.cat([self.time(timesteps)[:, None], goal_token, obs_tokens, self.action_in(noisy)], dim=1)
        tokens = self.blocks(tokens + self.positions[:, : tokens.shape[1]])
        return self.action_out(self.norm(tokens[:, -noisy.shape[1]:]))


class _ConvBlock(nn.Sequential):
    """Conv1d -> GroupNorm -> Mish over (B, C, T)."""

    def __init__(self, channels_in: int, channels_out: int, kernel_size: int) -> None:
        super().__init__(nn.Conv1d(channels_in, channels_out, kernel_size, padding=kernel_size // 2),
                         nn.GroupNorm(math.gcd(8, channels_out), channels_out), nn.Mish())


class _FiLMResidualBlock(nn.Module):
    """Two conv blocks; the condition scales and shifts the first one's output per channel (FiLM)."""

    def __init__(self, channels_in: int, channels_out: int, cond_dim: int, kernel_size: int) -> None:
        super().__init__()
        self.first = _ConvBlock(channels_in, channels_out, kernel_size)
        self.second = _ConvBlock(channels_out, channels_out, kernel_size)
        self.film = nn.Sequential(nn.Mish(), nn.Linear(cond_dim, 2 * channels_out))
        self.residual = nn.Conv1d(channels_in, channels_out, 1) if channels_in != channels_out else nn.Identity()

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(cond)[..., None].chunk(2, dim=1)
        return self.second(self.first(x) * (1 + scale) + shift) + self.residual(x)


class UNetDenoiser(nn.Module):
    """1-D temporal U-Net over the chunk with FiLM conditioning (in the spirit of Chi et al.'s Diffusion Policy).

    The condition is [time embedding, goal token, all observation tokens] flattened; each of the
    `unet_channels` resolutions but the last halves the horizon, and every resolution's skip joins
    the way back up.
    """

    def __init__(self, config: DiffusionConfig, action_dim: int) -> None:
        super().__init__()
        channels, kernel = config.unet_channels, config.kernel_size
        cond_dim = config.dim * (2 + config.obs_horizon)
        self.time = TimeEmbedding(config.dim)
        pairs = list(zip([action_dim, *channels[:-1]], channels, strict=True))
        self.down = nn.ModuleList(
            nn.ModuleList([_FiLMResidualBlock(cin, cout, cond_dim, kernel),
                           _FiLMResidualBlock(cout, cout, cond_dim, kernel),
                           nn.Conv1d(cout, cout, 3, 2, 1) if i < len(pairs) - 1 else nn.Identity()])
            for i, (cin, cout) in enumerate(pairs)
        )
        self.middle = nn.ModuleList([_FiLMResidualBlock(channels[-1], channels[-1], cond_dim, kernel)
                                     for _ in range(2)])
        self.up = nn.ModuleList(  # coarse to fine: upsample, concatenate the skip of that resolution, two blocks
            nn.ModuleList([nn.ConvTranspose1d(coarse, coarse, 4, 2, 1),
                           _FiLMResidualBlock(coarse + fine, fine, cond_dim, kernel),
                           _FiLMResidualBlock(fine, fine, cond_dim, kernel)])
            for fine, coarse in reversed(list(zip(channels[:-1], channels[1:], strict=True)))
        )
        self.out = nn.Conv1d(channels[0], action_dim, 1)

    def forward(self, noisy: torch.Tensor, timesteps: torch.Tensor, obs_tokens: torch.Tensor,
                goal_token: torch.Tensor) -> torch.Tensor:
        cond = torch.cat([self.time(timesteps), goal_token.flatten(1), obs_tokens.flatten(1)], dim=-1)
        x = rearrange(noisy, "b t a -> b a t")
        skips = []
        for first, second, downsample in self.down:
            x = second(first(x, cond), cond)
            skips.append(x)
            x = downsample(x)
        for block in self.middle:
            x = block(x, cond)
        skips.pop()  # the coarsest resolution's output went through the middle blocks
        for upsample, first, second in self.up:
            x = second(first(torch.cat([upsample(x), skips.pop()], dim=1), cond), cond)
        return rearrange(self.out(x), "b a t -> b t a")


class _ResidualMLPBlock(nn.Module):
    """LayerNorm -> Linear -> Mish -> Linear, added back to its input."""

    def __init__(self, width: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 4 * width), nn.Mish(), nn.Dropout(dropout),
                                 nn.Linear(4 * width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


class MLPDenoiser(nn.Module):
    """The whole flattened chunk and [time, goal, observations] in one residual MLP (in the spirit of IDQL's LN-ResNet).

    One matrix product per layer for the whole chunk instead of attention over T_p tokens: several times
    cheaper per training step on a CPU, for low-dimensional action chunks.
    """

    def __init__(self, config: DiffusionConfig, action_dim: int) -> None:
        super().__init__()
        width = config.mlp_width
        self.time = TimeEmbedding(config.dim)
        self.input = nn.Linear(config.horizon * action_dim + config.dim * (2 + config.obs_horizon), width)
        self.blocks = nn.Sequential(*[_ResidualMLPBlock(width, config.dropout) for _ in range(config.layers)])
        self.output = nn.Sequential(nn.LayerNorm(width), nn.Mish(), nn.Linear(width, config.horizon * action_dim))

    def forward(self, noisy: torch.Tensor, timesteps: torch.Tensor, obs_tokens: torch.Tensor,
                goal_token: torch.Tensor) -> torch.Tensor:
        inputs = torch.cat([noisy.flatten(1), self.time(timesteps), goal_token.flatten(1), obs_tokens.flatten(1)], -1)
        return self.output(self.blocks(self.input(inputs))).view_as(noisy)


def make_denoiser(config: DiffusionConfig, action_dim: int) -> nn.Module:
    """The denoiser named by `config.backbone`."""
    if config.backbone == "transformer":
        return TransformerDenoiser(config, action_dim)
    if config.backbone == "mlp":
        return MLPDenoiser(config, action_dim)
    return UNetDenoiser(config, action_dim)
