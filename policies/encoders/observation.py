"""Observation encoders shared by policies: a small CNN for images, an MLP for low-dimensional keys."""

from __future__ import annotations

import torch
from einops import rearrange
from torch import nn

from embodied.types import OBS_RGB

ENCODED = "_encoded"  # obs key of features the encoder already computed (policies/frame_cache.py)


class ImageEncoder(nn.Module):
    """Conv net for (N, 3, H, W) images in [0, 1] -> (N, dim) features (works for 64 to 128 pixels)."""

    def __init__(self, dim: int, channels: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, channels, 4, stride=2), nn.GELU(),
            nn.Conv2d(channels, 2 * channels, 4, stride=2), nn.GELU(),
            nn.Conv2d(2 * channels, 2 * channels, 3, stride=2), nn.GELU(),
            nn.AdaptiveAvgPool2d(4), nn.Flatten(),
            nn.Linear(2 * channels * 16, dim),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images * 2 - 1)


class ObservationEncoder(nn.Module):
    """Dict of (B, T, ...) observations -> (B, T, dim): image features plus an MLP of the low-dim keys."""

    def __init__(self, obs_shapes: dict[str, tuple[int, ...]], dim: int, image_channels: int = 32) -> None:
        super().__init__()
        self.image_key = OBS_RGB if OBS_RGB in obs_shapes else None
        self.low_dim_keys = sorted(k for k in obs_shapes if k != OBS_RGB)
        self.image = ImageEncoder(dim, image_channels) if self.image_key else None
        low_dim = sum(int(torch.tensor(obs_shapes[k]).prod()) for k in self.low_dim_keys)
        self.low_dim = nn.Sequential(nn.Linear(low_dim, dim), nn.GELU(), nn.Linear(dim, dim)) if low_dim else None
        self.norm = nn.LayerNorm(dim)

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        if ENCODED in obs:  # each frame's features, computed once while acting
            return obs[ENCODED]
        features = 0
        if self.image is not None:
            images = obs[self.image_key]
            batch = images.shape[0]
            features = rearrange(self.image(rearrange(images, "b t c h w -> (b t) c h w")), "(b t) d -> b t d", b=batch)
        if self.low_dim is not None:
            flat = torch.cat([obs[k].flatten(2).float() for k in self.low_dim_keys], dim=-1)
            features = features + self.low_dim(flat)
        return self.norm(features)
