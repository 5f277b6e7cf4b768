"""Autoencoder and variational autoencoder (seed 000, §5.4, eqs. 5.16-5.17).

An autoencoder maps x to a latent code z = e(x) and back, x_out = d(z), and is trained on the
reconstruction error (eq. 5.16) L = 1/(2m) Σ_i ||x_i - d(e(x_i))||².

A VAE's encoder outputs a diagonal Normal N(μ, σ²) per input; the decoder sees a draw
z = μ + σ ⊙ ε, ε ~ N(0, 1) (the reparametrization trick, which eq. 5.17 leaves out but training
needs: z is then a differentiable function of μ and σ), and the loss (eq. 5.17) adds the
closed-form KL(N(μ, σ²) || N(0, 1)) = ½ Σ_k (σ_k² + μ_k² - 1 - log σ_k²) to the reconstruction
term. ERRATA: with pixels in [0, 1] the literal ½||x - x_out||² (a Gaussian decoder with unit
variance) is tiny next to the KL term and the VAE collapses to the mean image, so the
reconstruction term carries a weight w (w = 1/s² for a decoder variance s²; w ≈ 25-100 suits
images in [0, 1]).

Both models plug into :func:`labcoat.models.training.fit` through :func:`autoencoder_objective`
and :func:`vae_objective`.

The importance-weighted bound (IWAE, Burda, Grosse & Salakhutdinov, ICLR 2016, eq. 8) with K
draws z_k ~ q(z|x),

    log p(x) ≥ IWAE_K = E[log (1/K Σ_k p(x|z_k) p(z_k) / q(z_k|x))] ≥ IWAE_1 = ELBO,

rises with K (their Theorem 1) and tends to log p(x): :func:`iwae_bound` estimates it for a
Bernoulli decoder (binary data, p(x|z) = Π_d σ(a_d)^x_d (1 - σ(a_d))^(1 - x_d) with a the
decoder's logits) or the Gaussian decoder of eq. 5.17 (variance 1/w), and
:func:`iwae_objective` trains on it.

Networks are :class:`labcoat.models.mlp.MLP` stacks; the encoder predicts log σ²
(unconstrained) rather than σ.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn.functional import binary_cross_entropy_with_logits

from labcoat.classic._checks import check_choice, check_float, check_int
from labcoat.models._checks import check_sizes
from labcoat.models._random import DeviceLike, check_device, generator_on, torch_generator
from labcoat.models.mlp import MLP, ActivationName
from labcoat.models.training import Objective, model_device

__all__ = [
    "VAE",
    "iwae_bound",
    "iwae_objective",
    "Autoencoder",
    "autoencoder_loss",
    "autoencoder_objective",
    "gaussian_kl",
    "vae_loss",
    "vae_objective",
]

OutputName = Literal["sigmoid", "identity"]
LikelihoodName = Literal["bernoulli", "gaussian"]


def _networks(
    n_features: int,
    n_latent: int,
    hidden: Sequence[int],
    activation: ActivationName,
    seed: int,
    n_code: int,
) -> tuple[MLP, MLP]:
    """Encoder n_features -> n_code and mirrored decoder n_latent -> n_features."""
    n_features = check_int("n_features", n_features, 1)
    n_latent = check_int("n_latent", n_latent, 1)
    sizes = check_sizes("hidden", hidden)
    encoder = MLP((n_features, *sizes, n_code), activation, seed=seed)
    decoder = MLP((n_latent, *sizes[::-1], n_features), activation, seed=seed + 1)
    return encoder, decoder


def _output_layer(output: OutputName) -> nn.Module:
    sigmoid = check_choice("output", output, ("sigmoid", "identity")) == "sigmoid"
    return nn.Sigmoid() if sigmoid else nn.Identity()


class Autoencoder(nn.Module):
    """Deterministic autoencoder x -> z = e(x) -> x_out = d(z) (seed 000, §5.4, Fig. 27).

    Args:
        n_features: input dimension (≥ 1).
        n_latent: latent dimension (≥ 1), the bottleneck.
        hidden: widths of the encoder's hidden layers; the decoder mirrors them.
        activation: hidden activation ("relu", "sigmoid", "tanh", "identity").
        output: "sigmoid" for data in [0, 1], "identity" for unbounded data.
        seed: seeds the initial weights.
    """

    def __init__(
        self,
        n_features: int,
        n_latent: int,
        hidden: Sequence[int] = (64,),
        activation: ActivationName = "relu",
        output: OutputName = "sigmoid",
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.encoder, self.decoder = _networks(
            n_features, n_latent, hidden, activation, seed, n_code=n_latent
        )
        self.output_activation = _output_layer(output)

    def encode(self, x: Tensor) -> Tensor:
        """The latent code z = e(x), shape (batch, n_latent)."""
        return self.encoder(x)

    def decode(self, z: Tensor) -> Tensor:
        """x_out = d(z), shape (batch, n_features)."""
        return self.output_activation(self.decoder(z))

    def forward(self, x: Tensor) -> Tensor:
        """The reconstruction d(e(x))."""
        return self.decode(self.encode(x))


class VAE(nn.Module):
    """Variational autoencoder (seed 000, §5.4.1, Fig. 28, eq. 5.17).

    The encoder outputs (μ, log σ²) of q(z|x) = N(μ, diag σ²); the decoder maps z to the mean
    reconstruction. Sampling in :meth:`forward` uses the module's own ``torch.Generator``
    (seeded by ``seed``), so training with :func:`labcoat.models.training.fit` is reproducible.

    Args:
        n_features: input dimension (≥ 1).
        n_latent: latent dimension (≥ 1).
        hidden: encoder hidden widths; the decoder mirrors them.
        activation: hidden activation.
        output: "sigmoid" for data in [0, 1], "identity" for unbounded data.
        seed: seeds the initial weights and the reparametrization noise.
    """

    def __init__(
        self,
        n_features: int,
        n_latent: int,
        hidden: Sequence[int] = (128,),
        activation: ActivationName = "relu",
        output: OutputName = "sigmoid",
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.n_latent = n_latent
        self.encoder, self.decoder = _networks(
            n_features, n_latent, hidden, activation, seed, n_code=2 * n_latent
        )
        self.output_activation = _output_layer(output)
        self.generator = torch_generator(seed, offset=2)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(μ, log σ²) of q(z|x), each of shape (batch, n_latent)."""
        mu, log_var = self.encoder(x).chunk(2, dim=-1)
        return mu, log_var

    def reparameterize(
        self, mu: Tensor, log_var: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        """Draw z = μ + σ ⊙ ε with ε ~ N(0, 1) and σ = exp(½ log σ²) (differentiable in μ, σ).

        Args:
            mu: μ, shape (batch, n_latent).
            log_var: log σ², same shape.
            generator: the noise stream; the module's own generator (moved to μ's device)
                when None. ε is drawn on μ's device.
        """
        if generator is None:
            generator = self.generator = generator_on(self.generator, mu.device)
        epsilon = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
        return mu + torch.exp(0.5 * log_var) * epsilon

    def decode(self, z: Tensor) -> Tensor:
        """x_out = d(z), shape (batch, n_features)."""
        return self.output_activation(self.decoder(z))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(x_out, μ, log σ²): encode, draw z by :meth:`reparameterize`, decode."""
        mu, log_var = self.encode(x)
        return self.decode(self.reparameterize(mu, log_var)), mu, log_var

    def reconstruct(self, x: Tensor) -> Tensor:
        """The deterministic reconstruction d(μ(x)), without sampling or gradients."""
        with torch.no_grad():
            return self.decode(self.encode(x)[0])

    def sample(self, n_samples: int, *, seed: int, device: DeviceLike | None = None) -> Tensor:
        """New data d(z) with z ~ N(0, 1), the prior the KL term pulls q(z|x) towards.

        Args:
            n_samples: how many (≥ 1).
            seed: seeds the ``torch.Generator`` drawing z (on the sampling device).
            device: where to sample (the model is moved there); None: the model's device.
        """
        n_samples = check_int("n_samples", n_samples, 1)
        target = model_device(self) if device is None else check_device(device)
        self.to(target)
        generator = torch_generator(seed, device=target)
        dtype = self.decoder.output.weight.dtype
        z = torch.randn(n_samples, self.n_latent, generator=generator, dtype=dtype, device=target)
        with torch.no_grad():
            return self.decode(z)


def autoencoder_loss(x: Tensor, x_out: Tensor) -> Tensor:
    """Eq. 5.16 on a batch: 1/(2m) Σ_i ||x_i - x_out_i||² (a 0-d tensor)."""
    return 0.5 * ((x - x_out) ** 2).flatten(1).sum(1).mean()


def gaussian_kl(mu: Tensor, log_var: Tensor) -> Tensor:
    """KL(N(μ, diag σ²) || N(0, 1)) = ½ Σ_k (σ_k² + μ_k² - 1 - log σ_k²) (eq. 5.17, 2nd line).

    Args:
        mu: μ, shape (batch, n_latent).
        log_var: log σ², same shape.

    Returns:
        The KL divergence per row, shape (batch,).
    """
    return 0.5 * (log_var.exp() + mu**2 - 1.0 - log_var).sum(-1)


def vae_loss(
    x: Tensor, x_out: Tensor, mu: Tensor, log_var: Tensor, reconstruction_weight: float = 1.0
) -> Tensor:
    """The VAE loss of eq. 5.17 with a weighted reconstruction term, averaged over the batch.

    L = 1/m Σ_i [ w/2 ||x_i - x_out_i||² + KL(N(μ_i, σ_i²) || N(0, 1)) ]; w = 1 is the printed
    equation (ERRATA: use w ≈ 25-100 for pixels in [0, 1]). Up to constants this is the
    negative ELBO of a Gaussian decoder with variance 1/w.
    """
    weight = check_float("reconstruction_weight", reconstruction_weight, 0.0, low_open=True)
    squared_error = ((x - x_out) ** 2).flatten(1).sum(1)  # (batch,)
    return (0.5 * weight * squared_error + gaussian_kl(mu, log_var)).mean()


def autoencoder_objective() -> Objective:
    """Eq. 5.16 as an :class:`~labcoat.models.training.Objective` for ``fit`` (batches: x)."""

    def reconstruction(model: nn.Module, batch: Tensor) -> Tensor:
        x = batch[0] if isinstance(batch, tuple | list) else batch
        return autoencoder_loss(x, model(x))

    return Objective(reconstruction)


def vae_objective(reconstruction_weight: float = 1.0) -> Objective:
    """Eq. 5.17 (weighted, see :func:`vae_loss`) as an Objective for ``fit`` (batches: x)."""
    check_float("reconstruction_weight", reconstruction_weight, 0.0, low_open=True)

    def negative_elbo(model: nn.Module, batch: Tensor) -> Tensor:
        x = batch[0] if isinstance(batch, tuple | list) else batch
        x_out, mu, log_var = model(x)
        return vae_loss(x, x_out, mu, log_var, reconstruction_weight)

    return Objective(negative_elbo)


def _log_normal(x: Tensor, mu: Tensor, log_var: Tensor) -> Tensor:
    """Σ_k log N(x_k; μ_k, σ_k²) over the last axis."""
    return -0.5 * ((x - mu) ** 2 / log_var.exp() + log_var + math.log(2 * math.pi)).sum(-1)


def _decoder_log_likelihood(
    model: VAE, x: Tensor, z: Tensor, likelihood: LikelihoodName, weight: float
) -> Tensor:
    """The decoder's log p(x|z) for z of shape (K, batch, n_latent): shape (K, batch)."""
    flat = model.decoder(z.reshape(-1, z.shape[-1]))  # the MLP flattens 3-D inputs: pass 2-D
    logits = flat.reshape(*z.shape[:-1], -1)  # (K, batch, n_features)
    if likelihood == "bernoulli":
        return -binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(
            -1
        )
    log_var = torch.full_like(logits, -math.log(weight))  # variance 1/w
    return _log_normal(x, model.output_activation(logits), log_var)


def iwae_bound(
    model: VAE,
    x: Tensor,
    n_samples: int,
    *,
    likelihood: LikelihoodName = "bernoulli",
    reconstruction_weight: float = 1.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """One draw of the importance-weighted bound (Burda et al. 2016, eq. 8), per row of x.

    log (1/K Σ_k w_k), w_k = p(x|z_k) N(z_k; 0, 1) / q(z_k|x), z_k = μ + σ ⊙ ε_k; its
    expectation IWAE_K satisfies ELBO = IWAE_1 ≤ IWAE_K ≤ IWAE_(K+1) ≤ log p(x).

    Args:
        model: the VAE (with ``output="sigmoid"`` for the Bernoulli decoder).
        x: data, shape (batch, n_features) (0/1 for the Bernoulli decoder).
        n_samples: K ≥ 1.
        likelihood: "bernoulli" (the decoder's pre-sigmoid outputs are logits) or "gaussian"
            (mean d(z), variance 1/w: eq. 5.17's decoder with its normalization).
        reconstruction_weight: w > 0 of the Gaussian decoder.
        generator: the noise stream (used on x's device); the model's own when None.

    Returns:
        Shape (batch,), differentiable (reparametrized).
    """
    n_samples = check_int("n_samples", n_samples, 1)
    check_choice("likelihood", likelihood, ("bernoulli", "gaussian"))
    weight = check_float("reconstruction_weight", reconstruction_weight, 0.0, low_open=True)
    if likelihood == "bernoulli" and not isinstance(model.output_activation, nn.Sigmoid):
        raise ValueError('likelihood="bernoulli" needs a VAE built with output="sigmoid"')
    mu, log_var = model.encode(x)  # (batch, n_latent)
    if generator is None:
        generator = model.generator = generator_on(model.generator, mu.device)
    generator = generator_on(generator, mu.device)
    epsilon = torch.randn(
        (n_samples, *mu.shape), generator=generator, dtype=mu.dtype, device=mu.device
    )
    z = mu + torch.exp(0.5 * log_var) * epsilon  # (K, batch, n_latent)
    log_w = (
        _decoder_log_likelihood(model, x, z, likelihood, weight)
        + _log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
        - _log_normal(z, mu, log_var)
    )
    return torch.logsumexp(log_w, 0) - math.log(n_samples)


def iwae_objective(
    n_samples: int = 1,
    likelihood: LikelihoodName = "bernoulli",
    reconstruction_weight: float = 1.0,
) -> Objective:
    """-IWAE_K (batch mean) as an Objective for ``fit``; K = 1 is the negative ELBO."""
    check_int("n_samples", n_samples, 1)

    def negative_bound(model: nn.Module, batch: Tensor) -> Tensor:
        x = batch[0] if isinstance(batch, tuple | list) else batch
        bound = iwae_bound(
            model,  # type: ignore[arg-type]
            x,
            n_samples,
            likelihood=likelihood,
            reconstruction_weight=reconstruction_weight,
        )
        return -bound.mean()

    return Objective(negative_bound)
