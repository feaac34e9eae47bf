"""fp32 linear layers through oneDNN's matmul instead of ATen's default BLAS call.

On this project's CPUs (AMD EPYC, Zen 5, AVX-512) `torch.nn.functional.linear` in fp32 runs MKL's sgemm, which
does not use its AVX-512 kernels on AMD processors: 82 GFLOP/s on one thread for a (139 x 576) @ (576 x 1536)
product, against 161 GFLOP/s through oneDNN (`torch.ops.mkldnn._linear_pointwise`, the op torch.compile's CPU
backend emits; the weights stay ordinary dense tensors). The model's prompt prefill is 1.65x faster with it;
outputs differ from MKL's in the last bits (summation order: 1e-4 on hidden states of magnitude ~45).
planners/LATENCY.md measures both.
"""

from __future__ import annotations

from typing import Any

import torch


def available() -> bool:
    """Whether this torch build has oneDNN and its fused linear op."""
    return torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")


class OneDnnLinear(torch.nn.Linear):
    """nn.Linear whose forward without autograd runs oneDNN's matmul (with autograd: nn.Linear's, as before)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() or x.device.type != "cpu" or x.dtype != torch.float32:
            return super().forward(x)
        return torch.ops.mkldnn._linear_pointwise(x, self.weight, self.bias, "none", [], "")


def use_onednn(module: Any) -> int:
    """Make every plain nn.Linear inside `module` a OneDnnLinear (same parameters); how many were changed."""
    if not available():
        return 0
    changed = 0
    for layer in module.modules():
        if type(layer) is torch.nn.Linear:
            layer.__class__ = OneDnnLinear
            changed += 1
    return changed
