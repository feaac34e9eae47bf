"""Configuration of the goal-conditioned causal transformer policy."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TransformerConfig:
    """Sizes and decoding of `TransformerPolicy` (shapes come from the dataset, not from here)."""

    obs_horizon: int = 4  # observation history the transformer attends over
    goal_encoder: str = "skill_id"  # skill_id | text (frozen MiniLM embedding of the subgoal text) | image (goal image)
    dim: int = 128
    layers: int = 2
    heads: int = 4
    dropout: float = 0.1
    image_channels: int = 32
    head: str = "mixture"  # continuous actions: mixture (of Gaussians) | bins (a categorical per dimension) |
    # bins_ar (bins, each dimension conditioned on the bins drawn for the earlier ones: coherent draws)
    mixtures: int = 5  # head=mixture: Gaussian components (several modes, not one mean)
    min_std: float = 1e-3  # head=mixture: floor of each component's std (normalised action units)
    bins: int = 64  # head=bins / bins_ar: uniform bins over [-1, 1] per action dimension
    sample_actions: bool = True  # False: most likely action (argmax / mode of the likeliest component)
    temperature: float = 1.0
