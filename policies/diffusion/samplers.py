"""Samplers: noise (B, T_p, A) -> clean action chunk, all over the same DDPM-trained network.

`model(x, t)` is the network (with guidance applied) at diffusion time t (B,) on the diffusers input
x. diffusers' DDPM / DDIM / DPM-Solver++ schedulers step it as usual; `KarrasSampler` reads it as an
EDM denoiser D(x, sigma) (Karras et al. 2022) and takes 1-3 Euler / Heun steps with coefficients
precomputed once per step count.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from policies.diffusion.config import DiffusionConfig

Model = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def make_train_scheduler(config: DiffusionConfig):
    """The DDPM noise schedule the network is trained with (`add_noise`)."""
    from diffusers import DDPMScheduler

    return DDPMScheduler(num_train_timesteps=config.train_timesteps, beta_schedule=config.beta_schedule,
                         prediction_type=config.prediction, clip_sample=config.clip_sample)


class DiffusersSampler:
    """A diffusers scheduler's loop: ddpm (DDPMScheduler), ddim (DDIMScheduler), dpmsolver (dpmsolver++)."""

    def __init__(self, kind: str, train_scheduler, steps: int) -> None:
        from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler

        base = dict(train_scheduler.config)
        if kind == "ddpm":
            self.scheduler = DDPMScheduler.from_config(base)
        elif kind == "ddim":
            self.scheduler = DDIMScheduler.from_config(base)
        else:
            self.scheduler = DPMSolverMultistepScheduler.from_config(
                {k: v for k, v in base.items() if k != "clip_sample"}, algorithm_type="dpmsolver++",
                thresholding=False)
        self.steps = steps

    def __call__(self, model: Model, noise: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        scheduler = self.scheduler
        scheduler.set_timesteps(self.steps, device=noise.device)
        x = noise * scheduler.init_noise_sigma
        for t in scheduler.timesteps:
            output = model(scheduler.scale_model_input(x, t), t.expand(x.shape[0]))
            x = scheduler.step(output, t, x, generator=generator).prev_sample
        return x


class KarrasSampler:
    """Few-step EDM sampling (Karras et al. 2022, Algorithm 1, no churn) over a DDPM-trained network.

    The VP chain x_t = sqrt(abar) x_0 + sqrt(1 - abar) eps is the VE chain x = x_0 + sigma eps with
    x = x_t / sqrt(abar), sigma = sqrt((1 - abar) / abar); so D(x, sigma) reads the network at
    x_t = x / sqrt(1 + sigma^2) and the (fractional) step t(sigma) interpolated in log sigma.
    Karras sigmas from min(sigma_max, largest trained) to the smallest trained, then 0: Heun steps
    (2 evaluations) except the last, an Euler step to 0; n steps cost 2n - 1 evaluations.
    """

    def __init__(self, alphas_cumprod: torch.Tensor, steps: int, config: DiffusionConfig) -> None:
        abar = alphas_cumprod.double()
        trained = ((1 - abar) / abar).sqrt()  # increasing with t
        low, high = float(trained[0]), min(float(trained[-1]), config.edm_sigma_max)
        ramp = torch.linspace(0, 1, steps, dtype=torch.float64)
        inv_rho = 1 / config.edm_rho
        sigmas = (high**inv_rho + ramp * (low**inv_rho - high**inv_rho)) ** config.edm_rho
        self.sigmas = torch.cat([sigmas, sigmas.new_zeros(1)]).tolist()
        self.timesteps = [_interp(s, trained.log()) for s in sigmas.log().tolist()]
        self.input_scales = [(1 + s * s) ** -0.5 for s in sigmas.tolist()]
        self.prediction, self.clip = config.prediction, config.clip_sample
        self._times: dict[tuple[int, torch.device], list[torch.Tensor]] = {}

    def denoise(self, model: Model, x: torch.Tensor, index: int) -> torch.Tensor:
        """D(x, sigma_index): the clean chunk the network predicts from x = x_0 + sigma eps."""
        sigma, scale = self.sigmas[index], self.input_scales[index]
        output = model(x * scale, self._time(index, x))
        if self.prediction == "epsilon":
            denoised = x - sigma * output
        elif self.prediction == "sample":
            denoised = output
        else:  # v = sqrt(abar) eps - sqrt(1 - abar) x_0, so x_0 = sqrt(abar) x_t - sqrt(1 - abar) v
            denoised = scale * (x * scale) - sigma * scale * output
        return denoised.clamp(-1, 1) if self.clip else denoised

    def __call__(self, model: Model, noise: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        x = noise * (1 + self.sigmas[0] ** 2) ** 0.5
        last = len(self.sigmas) - 2
        for i in range(last + 1):
            sigma, next_sigma = self.sigmas[i], self.sigmas[i + 1]
            slope = (x - self.denoise(model, x, i)) / sigma
            if i == last:  # Euler to sigma = 0 is the denoised chunk itself
                return x + (next_sigma - sigma) * slope
            proposal = x + (next_sigma - sigma) * slope
            next_slope = (proposal - self.denoise(model, proposal, i + 1)) / next_sigma
            x = x + (next_sigma - sigma) * 0.5 * (slope + next_slope)
        return x

    def _time(self, index: int, x: torch.Tensor) -> torch.Tensor:
        key = (x.shape[0], x.device)
        if key not in self._times:
            self._times[key] = [torch.full((x.shape[0],), t, device=x.device) for t in self.timesteps]
        return self._times[key][index]


def _interp(log_sigma: float, trained_log_sigmas: torch.Tensor) -> float:
    """Fractional training step whose log sigma is `log_sigma` (linear between neighbouring steps)."""
    index = int(torch.searchsorted(trained_log_sigmas, torch.tensor(log_sigma, dtype=torch.float64)).clamp(1, len(
        trained_log_sigmas) - 1))
    low, high = float(trained_log_sigmas[index - 1]), float(trained_log_sigmas[index])
    weight = min(1.0, max(0.0, (log_sigma - low) / (high - low)))
    return index - 1 + weight


def make_sampler(config: DiffusionConfig, train_scheduler):
    """The sampler named by `config.sampler` with `config.inference_steps` steps."""
    if config.sampler == "edm":
        return KarrasSampler(train_scheduler.alphas_cumprod, config.inference_steps, config)
    return DiffusersSampler(config.sampler, train_scheduler, config.inference_steps)
