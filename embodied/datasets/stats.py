"""Normalisation statistics computed from a dataset and saved inside every checkpoint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class MinMax:
    """Per-dimension min/max mapping a feature to [-1, 1]; constant dimensions map to 0."""

    low: np.ndarray
    high: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray) -> MinMax:
        flat = values.reshape(-1, values.shape[-1]).astype(np.float64)
        return cls(flat.min(0).astype(np.float32), flat.max(0).astype(np.float32))

    def _scale(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        low = torch.as_tensor(self.low, device=like.device, dtype=torch.float32)
        span = torch.as_tensor(self.high - self.low, device=like.device, dtype=torch.float32)
        return low, torch.where(span > 1e-6, span, torch.ones_like(span))

    def normalize(self, values: torch.Tensor) -> torch.Tensor:
        low, span = self._scale(values)
        return ((values.float() - low) / span) * 2 - 1

    def unnormalize(self, values: torch.Tensor) -> torch.Tensor:
        low, span = self._scale(values)
        return (values.float() + 1) / 2 * span + low

    def to_json(self) -> dict[str, list[float]]:
        return {"low": self.low.tolist(), "high": self.high.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, list[float]]) -> MinMax:
        return cls(np.asarray(data["low"], np.float32), np.asarray(data["high"], np.float32))
