"""Denoising diffusion probabilistic model, DDPM (seed 002, "Diffusion models").

Reference: Ho, Jain and Abbeel 2020, "Denoising Diffusion Probabilistic Models" (equation
numbers "Ho eq. n" below).

Forward (noising) process with variances β_1..β_T (Ho eq. 2):
    q(x_t | x_{t-1}) = N(√(1-β_t) x_{t-1}, β_t 1),
whose marginal is closed-form (Ho eq. 4), with α_t = 1 - β_t and ᾱ_t = Π_{s≤t} α_s:
    q(x_t | x_0) = N(√ᾱ_t x_0, (1-ᾱ_t) 1),  i.e. x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε.
A network ε_θ(x_t, t) learns to predict the noise ε with the simplified loss (Ho eq. 14)
    L = E_{t, x_0, ε} ||ε - ε_θ(√ᾱ_t x_0 + √(1-ᾱ_t) ε, t)||²,
and ancestral sampling (Ho Algorithm 2) runs the reverse chain from x_T ~ N(0, 1):
    x_{t-1} = (x_t - β_t/√(1-ᾱ_t) ε_θ(x_t, t)) / √α_t + σ_t z,  z ~ N(0, 1) (z = 0 at t = 1),
with σ_t² = β_t or the posterior variance β̃_t = β_t (1-ᾱ_{t-1})/(1-ᾱ_t) (Ho §3.2).

Code indexes time 0..T-1 for the paper's 1..T. Beta schedules: "linear" (Ho: 10⁻⁴..0.02 for
T = 1000, scaled by 1000/T so that shorter chains still end near pure noise) and "cosine"
(Nichol and Dhariwal 2021, eq. 17: ᾱ(t) = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2),
β_t = 1 - ᾱ_t/ᾱ_{t-1} clipped at 0.999).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor, nn

from labcoat.classic._checks import check_choice, check_float, check_int
from labcoat.models._random import DeviceLike, check_device, generator_on, torch_generator
from labcoat.models.mlp import MLP, ActivationName
from labcoat.models.training import Objective, model_device

__all__ = [
    "DDPM",
    "EpsilonMLP",
    "beta_schedule",
    "ddpm_objective",
    "forward_step",
    "q_sample",
    "sinusoidal_embedding",
]

ScheduleName = Literal["linear", "cosine"]


def beta_schedule(
    n_steps: int, kind: ScheduleName = "linear", cosine_offset: float = 0.008
) -> Tensor:
    """The noise variances β_1..β_T (float64, shape (T,)) of a linear or cosine schedule.

    Args:
        n_steps: T ≥ 1.
        kind: "linear" (β from 10⁻⁴·1000/T to 0.02·1000/T, Ho et al. rescaled to T steps) or
            "cosine" (Nichol and Dhariwal 2021, eq. 17).
        cosine_offset: s of the cosine schedule (≥ 0).
    """
    n_steps = check_int("n_steps", n_steps, 1)
    if check_choice("kind", kind, ("linear", "cosine")) == "linear":
        scale = 1000 / n_steps
        return torch.linspace(1e-4 * scale, min(0.02 * scale, 0.999), n_steps, dtype=torch.float64)
    offset = check_float("cosine_offset", cosine_offset, 0.0)
    t = torch.arange(n_steps + 1, dtype=torch.float64) / n_steps
    f = torch.cos((t + offset) / (1 + offset) * math.pi / 2) ** 2
    alpha_bar = f / f[0]
    return (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=0.999)


def q_sample(x0: Tensor, t: Tensor, noise: Tensor, alpha_bars: Tensor) -> Tensor:
    """Draw from q(x_t | x_0) in closed form (Ho eq. 4): x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε.

    Args:
        x0: data, shape (batch, ...).
        t: time indices 0..T-1 (paper's 1..T), shape (batch,).
        noise: ε ~ N(0, 1), the shape of ``x0``.
        alpha_bars: ᾱ_1..ᾱ_T, shape (T,).
    """
    shape = (-1,) + (1,) * (x0.dim() - 1)
    alpha_bar = alpha_bars[t].to(x0.dtype).reshape(shape)
    return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise


def forward_step(x_previous: Tensor, t: int, noise: Tensor, betas: Tensor) -> Tensor:
    """One forward step (Ho eq. 2): x_t = √(1-β_t) x_{t-1} + √β_t ε (t is 0-based)."""
    beta = float(betas[t])
    return math.sqrt(1 - beta) * x_previous + math.sqrt(beta) * noise


def _check_even(name: str, value: object) -> int:
    """``value`` as an even integer >= 2 (a width split into sine and cosine halves)."""
    number = check_int(name, value, 2)
    if number % 2:
        raise ValueError(f"{name} must be an even integer >= 2, got {value!r}")
    return number


def sinusoidal_embedding(t: Tensor, dim: int) -> Tensor:
    """Transformer-style embedding of integer times: [sin(t ω_k), cos(t ω_k)], ω_k = 10⁻⁴^(k/h).

    Args:
        t: times, shape (batch,).
        dim: embedding width (even, ≥ 2); h = dim/2 frequencies.

    Returns:
        Shape (batch, dim).
    """
    half = _check_even("dim", dim) // 2
    k = torch.arange(half, dtype=torch.float32, device=t.device)
    omega = torch.exp(-math.log(10_000.0) * k / half)
    angle = t.to(torch.float32)[:, None] * omega[None, :]  # (batch, half)
    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=-1)


class EpsilonMLP(nn.Module):
    """The noise predictor ε_θ(x_t, t): an MLP on [x_t, embedding(t)] (Ho eq. 14's ε_θ).

    Args:
        n_features: data dimension (≥ 1).
        hidden: hidden widths of the MLP.
        time_embedding_dim: width of the sinusoidal time embedding (even, ≥ 2).
        activation: hidden activation.
        seed: seeds the initial weights.
    """

    def __init__(
        self,
        n_features: int,
        hidden: Sequence[int] = (128, 128, 128),
        time_embedding_dim: int = 32,
        activation: ActivationName = "relu",
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.time_embedding_dim = _check_even("time_embedding_dim", time_embedding_dim)
        sizes = (n_features + time_embedding_dim, *hidden, n_features)
        self.network = MLP(sizes, activation, seed=seed)

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        """ε_θ(x_t, t), shape (batch, n_features)."""
        embedding = sinusoidal_embedding(t, self.time_embedding_dim).to(x.dtype)
        return self.network(torch.cat([x, embedding], dim=-1))


class DDPM(nn.Module):
    """A DDPM: schedule buffers, a noise predictor ε_θ, loss and sampler.

    ε_θ is an :class:`EpsilonMLP` on vectors, or any ``network`` called as
    ``network(x_t, t)`` (or ``network(x_t, t, labels)`` for a class-conditional model, e.g.
    the convolutional :class:`labcoat.models.unet.EpsilonUNet` on images) that returns a
    tensor of the shape of ``x_t``.

    Args:
        n_features: data dimension (≥ 1); scale data to about unit range (e.g. [-1, 1]).
        n_steps: T, the number of diffusion steps (≥ 1).
        schedule: "linear" or "cosine" (see :func:`beta_schedule`).
        hidden: hidden widths of ε_θ.
        time_embedding_dim: width of the time embedding.
        activation: hidden activation of ε_θ.
        posterior_variance: σ_t² = β̃_t (True) or β_t (False) in the sampler.
        seed: seeds the weights and the module's own generator used by :meth:`loss`.
        network: a noise predictor to use instead of the MLP (``hidden``,
            ``time_embedding_dim`` and ``activation`` are then unused).
        data_shape: the shape of one sample for ``network`` (e.g. (1, 8, 8)); its product
            must be ``n_features``. Default: (n_features,).

    Attributes:
        betas, alphas, alpha_bars: β_t, α_t = 1 - β_t, ᾱ_t (float64 buffers of shape (T,)).
        network: ε_θ.
    """

    betas: Tensor
    alphas: Tensor
    alpha_bars: Tensor

    def __init__(
        self,
        n_features: int,
        n_steps: int = 100,
        schedule: ScheduleName = "linear",
        hidden: Sequence[int] = (128, 128, 128),
        time_embedding_dim: int = 32,
        activation: ActivationName = "relu",
        posterior_variance: bool = True,
        seed: int = 0,
        *,
        network: nn.Module | None = None,
        data_shape: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        n_features = check_int("n_features", n_features, 1)
        self.data_shape = (n_features,) if data_shape is None else tuple(data_shape)
        if math.prod(self.data_shape) != n_features:
            raise ValueError(
                f"data_shape {self.data_shape} must hold n_features = {n_features} numbers"
            )
        betas = beta_schedule(n_steps, schedule)
        self.register_buffer("betas", betas)
        self.register_buffer("alphas", 1 - betas)
        self.register_buffer("alpha_bars", torch.cumprod(1 - betas, dim=0))
        self.n_features = n_features
        self.posterior_variance = posterior_variance
        self.network = (
            EpsilonMLP(n_features, hidden, time_embedding_dim, activation, seed)
            if network is None
            else network
        )
        self.generator = torch_generator(seed, offset=1)

    @property
    def n_steps(self) -> int:
        """T, the number of diffusion steps."""
        return len(self.betas)

    def forward(self, x: Tensor, t: Tensor, labels: Tensor | None = None) -> Tensor:
        """ε_θ(x_t, t) (or ε_θ(x_t, t, labels) for a class-conditional network)."""
        return self.network(x, t) if labels is None else self.network(x, t, labels)

    def loss(
        self,
        x0: Tensor,
        generator: torch.Generator | None = None,
        labels: Tensor | None = None,
    ) -> Tensor:
        """Ho eq. 14 on a batch: mean over batch and features of (ε - ε_θ(x_t, t))².

        t is uniform on 0..T-1 and ε ~ N(0, 1), both from ``generator`` (the module's own,
        moved to the device of ``x0``, when None) and drawn on ``x0``'s device; x_t comes
        from :func:`q_sample`. (A mean over features rather than the squared norm only
        rescales the loss by 1/n_features.) ``labels`` condition ε_θ (class-conditional).
        """
        if generator is None:
            generator = self.generator = generator_on(self.generator, x0.device)
        t = torch.randint(self.n_steps, (len(x0),), generator=generator, device=x0.device)
        noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype, device=x0.device)
        x_t = q_sample(x0, t, noise, self.alpha_bars)
        return ((noise - self(x_t, t, labels)) ** 2).mean()

    def sigma(self, t: int) -> float:
        """σ_t of the reverse step: √β̃_t (posterior variance) or √β_t; 0-based t."""
        beta = float(self.betas[t])
        if not self.posterior_variance:
            return math.sqrt(beta)
        alpha_bar_previous = float(self.alpha_bars[t - 1]) if t > 0 else 1.0
        return math.sqrt(beta * (1 - alpha_bar_previous) / (1 - float(self.alpha_bars[t])))

    def sample(
        self,
        n_samples: int,
        *,
        seed: int,
        keep_every: int = 0,
        labels: Tensor | None = None,
        device: DeviceLike | None = None,
    ) -> Tensor:
        """Ancestral sampling (Ho Algorithm 2) from x_T ~ N(0, 1) down to x_0.

        Args:
            n_samples: how many (≥ 1).
            seed: seeds the ``torch.Generator`` of x_T and the z's (on the sampling device).
            keep_every: if > 0, return the trajectory x_T, ..., x_0 kept every ``keep_every``
                steps (plus x_0) with shape (n_kept, n_samples, *data_shape).
            labels: class labels (n_samples,) for a class-conditional ε_θ.
            device: where to sample (the model is moved there); None: the model's device.

        Returns:
            x_0 of shape (n_samples, *data_shape), or the kept trajectory.
        """
        n_samples = check_int("n_samples", n_samples, 1)
        keep_every = check_int("keep_every", keep_every, 0)
        target = model_device(self) if device is None else check_device(device)
        self.to(target)
        generator = torch_generator(seed, device=target)
        dtype = next(self.network.parameters()).dtype
        shape = (n_samples, *self.data_shape)
        x = torch.randn(shape, generator=generator, dtype=dtype, device=target)
        labels = None if labels is None else labels.to(target)
        kept = [x]
        with torch.no_grad():
            for t in range(self.n_steps - 1, -1, -1):
                x = self._reverse_step(x, t, generator, labels)
                if keep_every and (t % keep_every == 0):
                    kept.append(x)
        return torch.stack(kept) if keep_every else x

    def _reverse_step(
        self, x: Tensor, t: int, generator: torch.Generator, labels: Tensor | None
    ) -> Tensor:
        beta, alpha = float(self.betas[t]), float(self.alphas[t])
        epsilon = self(x, torch.full((len(x),), t, device=x.device), labels)
        mean = (x - beta / math.sqrt(1 - float(self.alpha_bars[t])) * epsilon) / math.sqrt(alpha)
        if t == 0:
            return mean
        z = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        return mean + self.sigma(t) * z


def ddpm_objective(conditional: bool = False) -> Objective:
    """Ho eq. 14 as an :class:`~labcoat.models.training.Objective` for ``fit``.

    Batches are x_0 (or a tuple starting with it); with ``conditional`` they are
    ``(x_0, labels)`` and the labels condition ε_θ.
    """

    def simplified_loss(model: nn.Module, batch: Tensor) -> Tensor:
        x0 = batch[0] if isinstance(batch, tuple | list) else batch
        labels = batch[1] if conditional else None
        return model.loss(x0, labels=labels)  # type: ignore[operator]

    return Objective(simplified_loss)
