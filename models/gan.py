"""Generative adversarial network (seed 000, §5.5, eqs. 5.21-5.27; seed 001, GAN slides).

A generator G maps noise z ~ N(0, 1) to data space and a discriminator D outputs the
probability that its input is data (eq. 5.21). :class:`GAN` holds both as
:class:`labcoat.models.mlp.MLP` networks; D returns a logit l with D(x) = σ(l), so every loss
is a numerically stable ``softplus`` of logits: -log σ(l) = softplus(-l), -log(1 - σ(l)) =
softplus(l).

Losses (all batch means):

* discriminator, eq. 5.22 with one-sided label smoothing (§5.5.4): the real targets become
  1 - α, L_D = -½ <(1-α) log D(x) + α log(1 - D(x))>_x - ½ <log(1 - D(G(z)))>_z;
* generator, non-saturating (eq. 5.25, the default; seed 001 ERRATA): L_G = -½ <log D(G(z))>;
* generator, saturating / minimax (eq. 5.23, L_G = -L_D; only the G-dependent part has a
  gradient): L_G = ½ <log(1 - D(G(z)))>, whose gradient vanishes when D rejects G's samples.

The discriminator *descends* L_D (i.e. ascends the value V = -L_D; the slides' "descent" and
footnote 25's sign are the ERRATA's slips). :func:`train_gan` alternates one (or more) D steps
and one G step per iteration with Adam (β1 = 0.5, the usual GAN setting).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import Tensor, nn
from torch.nn.functional import softplus

from labcoat.classic._checks import check_choice, check_float, check_int
from labcoat.models._checks import check_finite
from labcoat.models._random import torch_generator
from labcoat.models.mlp import MLP, ActivationName
from labcoat.models.training import CallbackLike, CallbackList

__all__ = [
    "GAN",
    "GANHistory",
    "discriminator_loss",
    "generator_loss",
    "train_gan",
]

GeneratorLossName = Literal["non-saturating", "saturating"]


class GAN(nn.Module):
    """A generator G(z) and a discriminator D(x) (seed 000, eq. 5.21, Fig. 30).

    Args:
        n_features: data dimension (≥ 1).
        n_noise: dimension of the latent noise z (≥ 1; a free choice, ERRATA seed 001). At
            least ``n_features`` gives the model full support (§5.5.2).
        generator_hidden: hidden widths of G.
        discriminator_hidden: hidden widths of D.
        activation: hidden activation of both networks.
        seed: seeds the initial weights (G from ``seed``, D from ``seed + 1``).

    Attributes:
        generator: G, an MLP n_noise -> n_features (linear output).
        discriminator: D, an MLP n_features -> 1 returning the logit of D(x).
    """

    def __init__(
        self,
        n_features: int,
        n_noise: int,
        generator_hidden: Sequence[int] = (32, 32),
        discriminator_hidden: Sequence[int] = (32, 32),
        activation: ActivationName = "relu",
        seed: int = 0,
    ) -> None:
        super().__init__()
        n_features = check_int("n_features", n_features, 1)
        self.n_noise = n_noise = check_int("n_noise", n_noise, 1)
        self.generator = MLP((n_noise, *generator_hidden, n_features), activation, seed=seed)
        self.discriminator = MLP((n_features, *discriminator_hidden, 1), activation, seed=seed + 1)

    def noise(self, n_samples: int, generator: torch.Generator) -> Tensor:
        """Draw z ~ N(0, 1), shape (n_samples, n_noise)."""
        dtype = self.generator.output.weight.dtype
        return torch.randn(n_samples, self.n_noise, generator=generator, dtype=dtype)

    def generate(self, z: Tensor) -> Tensor:
        """G(z), shape (batch, n_features)."""
        return self.generator(z)

    def discriminate(self, x: Tensor) -> Tensor:
        """The logit l(x) with D(x) = σ(l(x)), shape (batch,)."""
        return self.discriminator(x).squeeze(-1)

    def sample(self, n_samples: int, *, seed: int) -> Tensor:
        """Draw G(z) for ``n_samples`` fresh z without gradients (seeded)."""
        n_samples = check_int("n_samples", n_samples, 1)
        with torch.no_grad():
            return self.generate(self.noise(n_samples, torch_generator(seed)))


def discriminator_loss(
    logits_real: Tensor, logits_fake: Tensor, label_smoothing: float = 0.0
) -> Tensor:
    """Eq. 5.22 with one-sided label smoothing α (real targets 1 - α, fake targets 0).

    L_D = ½ <(1-α) softplus(-l_real) + α softplus(l_real)> + ½ <softplus(l_fake)>, which is
    -½ <(1-α) log D(x) + α log(1-D(x))> - ½ <log(1 - D(G(z)))>.

    Args:
        logits_real: l(x) on a data batch, shape (N1,).
        logits_fake: l(G(z)) on a generated batch, shape (N2,).
        label_smoothing: α in [0, 1); 0 is eq. 5.22 as printed.
    """
    label_smoothing = check_float("label_smoothing", label_smoothing, 0.0, 1.0, high_open=True)
    real = (1 - label_smoothing) * softplus(-logits_real) + label_smoothing * softplus(logits_real)
    return 0.5 * real.mean() + 0.5 * softplus(logits_fake).mean()


def generator_loss(logits_fake: Tensor, kind: GeneratorLossName = "non-saturating") -> Tensor:
    """The generator's cost on l(G(z)).

    "non-saturating" (eq. 5.25): -½ <log D(G(z))> = ½ <softplus(-l)>;
    "saturating" (eq. 5.23, minimax, G-dependent part of -L_D): ½ <log(1 - D(G(z)))> =
    -½ <softplus(l)>.
    """
    if check_choice("kind", kind, ("non-saturating", "saturating")) == "non-saturating":
        return 0.5 * softplus(-logits_fake).mean()
    return -0.5 * softplus(logits_fake).mean()


@dataclass
class GANHistory:
    """Per-iteration losses recorded by :func:`train_gan`.

    Attributes:
        discriminator_loss: L_D (eq. 5.22, smoothed) of the last D step of each iteration.
        generator_loss: L_G of each iteration (the chosen kind).
    """

    discriminator_loss: list[float] = field(default_factory=list)
    generator_loss: list[float] = field(default_factory=list)


def train_gan(
    gan: GAN,
    data: ArrayLike | Tensor,
    *,
    n_steps: int,
    batch_size: int,
    learning_rate: float = 1e-3,
    generator_loss_kind: GeneratorLossName = "non-saturating",
    label_smoothing: float = 0.0,
    discriminator_steps: int = 1,
    seed: int,
    callbacks: CallbackLike | Sequence[CallbackLike] | None = None,
) -> GANHistory:
    """Alternating GAN training (seed 000, §5.5.2; seed 001, "GAN training").

    Each iteration draws ``discriminator_steps`` times a data batch (uniformly with
    replacement) and a noise batch and takes an Adam step on L_D (eq. 5.22, with one-sided
    label smoothing α), then draws a fresh noise batch and takes an Adam step on L_G (eq. 5.25
    or 5.23). Both optimizers use β = (0.5, 0.999).

    Args:
        gan: the model, trained in place.
        data: training samples, shape (m, n_features) (or (m,) for 1-D data).
        n_steps: number of iterations (≥ 1).
        batch_size: N1 = N2 (≥ 1).
        learning_rate: Adam step size for both players (> 0).
        generator_loss_kind: "non-saturating" (default) or "saturating".
        label_smoothing: α in [0, 1).
        discriminator_steps: D updates per G update (≥ 1).
        seed: seeds the ``torch.Generator`` drawing batches and noise.
        callbacks: the trainers' callbacks (:class:`labcoat.models.training.Callback`, or
            functions ``f(step, gan, history)``), called after every iteration with its
            0-based index; one returning False from ``on_epoch_end`` stops training.

    Returns:
        The per-iteration losses.

    Raises:
        ValueError: a count or learning rate out of range (TypeError for the wrong type).
        FloatingPointError: a loss became NaN or ±inf (NaN in the data, a learning rate too
            large); the message names the step (counted from 1), checked before its update.
    """
    n_steps = check_int("n_steps", n_steps, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    discriminator_steps = check_int("discriminator_steps", discriminator_steps, 1)
    learning_rate = check_float("learning_rate", learning_rate, 0.0, low_open=True)
    generator_loss(torch.zeros(1), generator_loss_kind)  # validates the name early
    discriminator_loss(torch.zeros(1), torch.zeros(1), label_smoothing)
    dtype = gan.generator.output.weight.dtype
    x_all = torch.as_tensor(np.asarray(data) if not isinstance(data, Tensor) else data)
    x_all = x_all.to(dtype).reshape(len(x_all), -1)
    g = torch_generator(seed)
    betas = (0.5, 0.999)
    opt_d = torch.optim.Adam(gan.discriminator.parameters(), lr=learning_rate, betas=betas)
    opt_g = torch.optim.Adam(gan.generator.parameters(), lr=learning_rate, betas=betas)
    history = GANHistory()
    hooks = CallbackList(callbacks)
    hooks.on_train_begin(gan, history)
    for step in range(1, n_steps + 1):
        for _ in range(discriminator_steps):
            x = x_all[torch.randint(len(x_all), (batch_size,), generator=g)]
            with torch.no_grad():
                fake = gan.generate(gan.noise(batch_size, g))
            loss_d = discriminator_loss(
                gan.discriminate(x), gan.discriminate(fake), label_smoothing
            )
            value_d = check_finite(loss_d, "the discriminator loss", step=step)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        loss_g = generator_loss(
            gan.discriminate(gan.generate(gan.noise(batch_size, g))), generator_loss_kind
        )
        value_g = check_finite(loss_g, "the generator loss", step=step)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        history.discriminator_loss.append(value_d)
        history.generator_loss.append(value_g)
        if not hooks.on_epoch_end(step - 1, gan, history):
            break
    hooks.on_train_end(gan, history)
    return history
