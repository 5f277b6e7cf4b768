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
from labcoat.models._random import DeviceLike, check_device, torch_generator
from labcoat.models.dcgan import ConvGAN
from labcoat.models.mlp import MLP, ActivationName
from labcoat.models.training import CallbackLike, CallbackList, model_device

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
        """Draw z ~ N(0, 1), shape (n_samples, n_noise), on the generator network's device."""
        weight = self.generator.output.weight
        shape = (n_samples, self.n_noise)
        return torch.randn(shape, generator=generator, dtype=weight.dtype, device=weight.device)

    def generate(self, z: Tensor) -> Tensor:
        """G(z), shape (batch, n_features)."""
        return self.generator(z)

    def discriminate(self, x: Tensor) -> Tensor:
        """The logit l(x) with D(x) = σ(l(x)), shape (batch,)."""
        return self.discriminator(x).squeeze(-1)

    def sample(self, n_samples: int, *, seed: int, device: DeviceLike | None = None) -> Tensor:
        """Draw G(z) for ``n_samples`` fresh z without gradients (seeded).

        ``device``: where to sample (the model is moved there); None: the model's device.
        """
        n_samples = check_int("n_samples", n_samples, 1)
        target = model_device(self) if device is None else check_device(device)
        self.to(target)
        with torch.no_grad():
            return self.generate(self.noise(n_samples, torch_generator(seed, device=target)))


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


def _data_tensor(data: ArrayLike | Tensor, dtype: torch.dtype, device: torch.device) -> Tensor:
    x_all = torch.as_tensor(
        np.asarray(data) if not isinstance(data, Tensor) else data, dtype=dtype, device=device
    )
    return x_all[:, None] if x_all.ndim == 1 else x_all


def _label_tensor(labels: ArrayLike | Tensor | None, n: int, device: torch.device) -> Tensor | None:
    if labels is None:
        return None
    y = torch.as_tensor(
        np.asarray(labels) if not isinstance(labels, Tensor) else labels, device=device
    )
    if y.shape != (n,) or y.is_floating_point() or y.is_complex():
        raise ValueError(f"labels must be integer class labels of shape ({n},)")
    return y.long()


def _generate(gan: GAN | ConvGAN, z: Tensor, labels: Tensor | None) -> Tensor:
    if isinstance(gan, ConvGAN) and labels is not None:
        return gan.generate(z, labels)
    return gan.generate(z)  # type: ignore[call-arg]


def _discriminate(gan: GAN | ConvGAN, x: Tensor, labels: Tensor | None) -> Tensor:
    if isinstance(gan, ConvGAN) and labels is not None:
        return gan.discriminate(x, labels)
    return gan.discriminate(x)  # type: ignore[call-arg]


def train_gan(
    gan: GAN | ConvGAN,
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
    labels: ArrayLike | Tensor | None = None,
    device: DeviceLike = "cpu",
) -> GANHistory:
    """Alternating GAN training (seed 000, §5.5.2; seed 001, "GAN training").

    Each iteration draws ``discriminator_steps`` times a data batch (uniformly with
    replacement) and a noise batch and takes an Adam step on L_D (eq. 5.22, with one-sided
    label smoothing α), then draws a fresh noise batch and takes an Adam step on L_G (eq. 5.25
    or 5.23). Both optimizers use β = (0.5, 0.999).

    A class-conditional GAN (``labels`` given, e.g. :class:`labcoat.models.dcgan.ConvGAN`)
    draws each data batch with its labels and gives the generator's batches labels drawn
    from the training labels (so the classes keep their frequencies); both players then
    see the labels: G(z, y), D(x, y).

    Args:
        gan: the model, trained in place: a :class:`GAN`, or a class-conditional
            :class:`labcoat.models.dcgan.ConvGAN` (with ``labels``).
        data: training samples, shape (m, n_features) (or (m,) for 1-D data, or
            (m, channels, height, width) images for a convolutional GAN).
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
        labels: integer class labels of the data, shape (m,), for a class-conditional GAN.
        device: where to train ("cpu", "cuda", "mps" or a ``torch.device``): the model, the
            data, the generator of the batches and every noise batch live there.

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
    check_choice("kind", generator_loss_kind, ("non-saturating", "saturating"))
    check_float("label_smoothing", label_smoothing, 0.0, 1.0, high_open=True)
    if isinstance(gan, ConvGAN) != (labels is not None):
        raise ValueError(
            "labels must be given for a class-conditional ConvGAN and only for it, "
            f"got a {type(gan).__name__} and labels={'None' if labels is None else '...'}"
        )
    device = check_device(device)
    gan.to(device)
    x_all = _data_tensor(data, next(gan.parameters()).dtype, device)
    y_all = _label_tensor(labels, len(x_all), device)
    g = torch_generator(seed, device=device)
    betas = (0.5, 0.999)
    opt_d = torch.optim.Adam(gan.discriminator.parameters(), lr=learning_rate, betas=betas)
    opt_g = torch.optim.Adam(gan.generator.parameters(), lr=learning_rate, betas=betas)
    history = GANHistory()
    hooks = CallbackList(callbacks)
    hooks.on_train_begin(gan, history)
    for step in range(1, n_steps + 1):
        for _ in range(discriminator_steps):
            index = torch.randint(len(x_all), (batch_size,), generator=g, device=device)
            y = None if y_all is None else y_all[index]
            with torch.no_grad():
                fake = _generate(gan, gan.noise(batch_size, g), y)
            loss_d = discriminator_loss(
                _discriminate(gan, x_all[index], y), _discriminate(gan, fake, y), label_smoothing
            )
            value_d = check_finite(loss_d, "the discriminator loss", step=step)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        y = None
        if y_all is not None:
            y = y_all[torch.randint(len(x_all), (batch_size,), generator=g, device=device)]
        fake = _generate(gan, gan.noise(batch_size, g), y)
        loss_g = generator_loss(_discriminate(gan, fake, y), generator_loss_kind)
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
