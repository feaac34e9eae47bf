"""Acting with an observation history: each frame is encoded once, not once per step it stays in the window.

A policy that sees the last T observations used to run its observation encoder on all T at every forward;
the encoder treats frames independently (image CNN + low-dim MLP + LayerNorm per token), so the features of
the T - 1 older frames are the ones computed before. `ActingState.encoded` keeps them beside the history and
`encoded_window` runs the encoder only on the frames not yet seen, for every env of a batch at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from policies.encoders.observation import ENCODED

if TYPE_CHECKING:
    from policies.base import ActingState, Policy


def encoded_window(policy: Policy, encoder: Any, states: list[ActingState]) -> dict[str, torch.Tensor]:
    """{ENCODED: (B, T, dim)} features of each state's history; new frames go through `encoder` in one batch."""
    new = [(state, t) for state in states for t, feature in enumerate(state.encoded) if feature is None]
    if new:
        frames = {key: np.stack([state.history[t][key] for state, t in new])[:, None]
                  for key in policy.features.obs_shapes}
        features = encoder(policy.prepare_obs(frames))[:, 0]
        for (state, t), feature in zip(new, features, strict=True):
            state.encoded[t] = feature
    return {ENCODED: torch.stack([torch.stack(list(state.encoded)) for state in states])}
