"""Configuration of the goal-conditioned diffusion policy (action chunks, denoiser, samplers, guidance)."""

from __future__ import annotations

from dataclasses import dataclass, field

from policies.encoders.goal import GOAL_ENCODERS

BACKBONES = ("transformer", "unet", "mlp")
SAMPLERS = ("ddpm", "ddim", "dpmsolver", "edm")
PREDICTIONS = ("epsilon", "sample", "v_prediction")


@dataclass
class DiffusionConfig:
    """Sizes, noise schedule and sampling of `DiffusionPolicy` (shapes come from the dataset, not from here).

    Chunks: T_o = obs_horizon observations condition a chunk of T_p = horizon actions that starts at
    the first observed step; the T_a = action_steps actions from the current step on are executed
    before predicting again (receding horizon), so obs_horizon - 1 + action_steps <= horizon.
    Defaults were chosen on a two-mode dataset (tests/policies/test_multimodal.py): predicting the
    clean chunk keeps both modes with every sampler, and the 1-3-step Karras sampler does best from
    a small sigma_max (around 1, for chunks normalised to [-1, 1]); epsilon prediction needs many steps.
    """

    obs_horizon: int = 2
    horizon: int = 16
    action_steps: int = 8
    temporal_ensemble: float = 0.0  # > 0: predict every step, act on the exp(-k i)-weighted mean of every
    #                                 chunk's action for this step, i = 0 the oldest (ACT); 0: off
    backbone: str = "transformer"  # transformer (goal/obs/time tokens + action tokens) | unet (1-D U-Net, FiLM)
    #                                | mlp (flattened chunk + condition through a residual MLP)
    goal_encoder: str = "skill_id"  # skill_id | text | image (policies/encoders/goal.py)
    dim: int = 128  # token / conditioning width
    layers: int = 4  # transformer denoiser
    heads: int = 4
    dropout: float = 0.1
    unet_channels: list[int] = field(default_factory=lambda: [64, 128, 256])  # per resolution; horizon halves
    kernel_size: int = 5
    mlp_width: int = 256  # mlp backbone: hidden width (its depth is `layers`)
    image_channels: int = 32
    train_timesteps: int = 100
    beta_schedule: str = "squaredcos_cap_v2"
    prediction: str = "sample"  # what the network predicts: sample (clean chunk) | epsilon | v_prediction
    sampler: str = "ddim"  # ddpm | ddim | dpmsolver (dpmsolver++) | edm (Karras Euler/Heun over the same network)
    inference_steps: int = 10  # e.g. ddpm 100, ddim 10, dpmsolver 3, edm 1-3
    edm_sigma_max: float = 1.0  # the Karras sampler starts at min(this, the schedule's largest sigma)
    edm_rho: float = 7.0
    clip_sample: bool = True  # clip predicted clean chunks to [-1, 1]
    goal_dropout: float = 0.1  # training: probability of replacing the goal by the null goal (for guidance)
    guidance: float = 1.0  # eps = eps_uncond + w (eps_cond - eps_uncond); 1: conditional only, 0: unconditional

    def __post_init__(self) -> None:
        for name, value, allowed in [("backbone", self.backbone, BACKBONES), ("sampler", self.sampler, SAMPLERS),
                                     ("prediction", self.prediction, PREDICTIONS),
                                     ("goal_encoder", self.goal_encoder, GOAL_ENCODERS)]:
            if value not in allowed:
                raise ValueError(f"policy.{name}={value!r}: expected one of {', '.join(allowed)}")
        if self.obs_horizon < 1 or self.action_steps < 1 or self.obs_horizon - 1 + self.action_steps > self.horizon:
            raise ValueError(f"policy: need obs_horizon - 1 + action_steps <= horizon, got obs_horizon="
                             f"{self.obs_horizon}, action_steps={self.action_steps}, horizon={self.horizon}")
        if self.backbone == "unet" and self.horizon % 2 ** (len(self.unet_channels) - 1):
            raise ValueError(f"policy.horizon={self.horizon} must be divisible by 2^{len(self.unet_channels) - 1} "
                             f"for a U-Net with {len(self.unet_channels)} resolutions")
        if self.temporal_ensemble < 0:
            raise ValueError(f"policy.temporal_ensemble={self.temporal_ensemble}: must be >= 0 (0 turns it off)")
        if self.inference_steps < 1:
            raise ValueError(f"policy.inference_steps={self.inference_steps}: must be >= 1")
        self.unet_channels = [int(c) for c in self.unet_channels]
