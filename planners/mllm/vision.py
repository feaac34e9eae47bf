"""The image side of the `mllm` planner: a small CNN over 64x64 RGB frames and a projector into the LM's
token space, plus the learned "no image" tokens used when a caller gives no image (and for image dropout)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn


class VisualTokens(nn.Module):
    """(B, 64, 64, 3) uint8 frames -> (B, tokens, hidden) input embeddings; `None` rows -> "no image" tokens.

    Four stride-2 convolutions (64 -> 4 pixels), an average pool to a sqrt(tokens) x sqrt(tokens) grid, a
    learned position per token and a two-layer MLP projector into the language model's hidden size.
    """

    def __init__(self, hidden: int, tokens: int = 4, channels: int = 64, scale: float = 0.1) -> None:
        super().__init__()
        side = int(round(tokens ** 0.5))
        if side * side != tokens:
            raise ValueError(f"mllm: visual tokens must be a square number (1, 4, 9, 16), got {tokens}")
        self.tokens, self.hidden = tokens, hidden
        c = channels
        self.cnn = nn.Sequential(
            nn.Conv2d(3, c // 2, 4, 2, 1), nn.GELU(),
            nn.Conv2d(c // 2, c, 4, 2, 1), nn.GELU(),
            nn.Conv2d(c, c, 4, 2, 1), nn.GELU(),
            nn.Conv2d(c, c, 4, 2, 1), nn.GELU(),
            nn.AdaptiveAvgPool2d(side),
        )
        self.position = nn.Parameter(torch.zeros(tokens, c))
        self.projector = nn.Sequential(nn.Linear(c, hidden), nn.GELU(), nn.Linear(hidden, hidden))
        self.no_image = nn.Parameter(torch.randn(tokens, hidden) * scale)
        with torch.no_grad():  # start near the scale of the LM's token embeddings
            self.projector[2].weight.mul_(scale)
            self.projector[2].bias.zero_()

    def forward(self, images: list[Any | None]) -> torch.Tensor:
        out = self.no_image.unsqueeze(0).expand(len(images), -1, -1).clone()
        present = [i for i, image in enumerate(images) if image is not None]
        if present:
            pixels = torch.as_tensor(np.stack([np.asarray(images[i], dtype=np.uint8) for i in present]))
            x = pixels.permute(0, 3, 1, 2).float().div(255.0).sub(0.5)
            features = self.cnn(x).flatten(2).transpose(1, 2) + self.position  # (n, tokens, c)
            out[present] = self.projector(features)
        return out
