"""Growing a trained policy to read observation keys it was not trained on (fine-tuning with a new input).

The first layer of the low-dimensional observation MLP gets zero weights for the new inputs, so the grown policy
starts as exactly the checkpoint's function and learns during fine-tuning how much to use them (the function-
preserving widening of Net2Net, Chen et al. 2016, applied to the input). The new keys' normalisation stats come
from the dataset; everything else (network, weights, stats, vocabulary) is the checkpoint's.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import torch

from embodied.datasets.stats import MinMax
from embodied.types import OBS_RGB, CheckpointError
from policies.base import Features, Policy


def with_new_inputs(policy: Policy, added: dict[str, tuple[int, ...]], stats: dict[str, MinMax],
                    env_kwargs: dict[str, Any], source: str) -> Policy:
    """`policy` grown to also read the low-dim observation keys `added` (key -> shape), normalised by `stats`;
    `env_kwargs`, the world settings that make them (a superset of the policy's own). One CheckpointError when
    this policy cannot grow so."""
    old = policy.features
    encoder = policy.observation_encoder
    first = getattr(getattr(encoder, "low_dim", None), "0", None) if encoder is not None else None
    if OBS_RGB in added or not isinstance(first, torch.nn.Linear):
        raise CheckpointError(f"train.init={source}: a {policy.name} policy cannot be given new observations "
                              f"({sorted(added)}); only low-dim keys, to a policy with a low-dim encoder")
    kept = {key: value for key, value in env_kwargs.items() if key in old.env_kwargs}
    features: Features = dataclasses.replace(
        old, obs_shapes={**old.obs_shapes, **added}, env_kwargs=dict(env_kwargs) if kept == old.env_kwargs
        else old.env_kwargs)  # other changed world settings stay as they were: the caller's check names them
    grown = type(policy)(policy.config, features, {**policy.stats, **{k: stats[k] for k in added if k in stats}})
    grown.load_state_dict(_widened_state(policy, grown, first))
    return grown


def _widened_state(policy: Policy, grown: Policy, first: torch.nn.Linear) -> dict[str, torch.Tensor]:
    """The checkpoint's weights with zero columns in the first low-dim layer where the new inputs enter."""
    state = policy.state_dict()
    name = next(n for n, p in policy.named_parameters() if p is first.weight)
    old_columns = _columns(policy.observation_encoder.low_dim_keys, policy.features.obs_shapes)
    weight = torch.zeros_like(grown.state_dict()[name])
    new_columns = _columns(grown.observation_encoder.low_dim_keys, grown.features.obs_shapes)
    for key, columns in new_columns.items():
        if key in old_columns:
            weight[:, columns] = state[name][:, old_columns[key]]
    state[name] = weight
    return state


def _columns(keys: list[str], shapes: dict[str, tuple[int, ...]]) -> dict[str, slice]:
    """Where each low-dim key's flattened values sit in the encoder's input."""
    columns, start = {}, 0
    for key in keys:
        width = math.prod(shapes[key])
        columns[key] = slice(start, start + width)
        start += width
    return columns
