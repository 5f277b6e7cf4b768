"""Interpretability (seed 000, §6): latent interpolation, dreaming and adversarial attacks.

* :func:`interpolate_latent` walks the straight line between two codes of an encoder/decoder
  pair (§6.1) and decodes the points.
* :func:`dream` minimizes L = |F(x) - y*|^2 (eq. 6.2) over the *input* x by gradient descent
  x <- x - eta dL/dx (eq. 6.3), keeping the network fixed, until F(x*) ~ y* (eq. 6.4).
* :func:`iterated_targeted_attack` is the notes' Algorithm 5: T signed steps of size eps / T,
  x <- x - (eps / T) sign(dL/dx) (eq. 6.5) on the same squared loss towards a wrong target, so
  that |x*_i - x0_i| <= eps (eq. 6.6). ERRATA: the notes call it "FSGM"; it is a targeted,
  iterated method, and we also clip every step to the valid input range.
* :func:`fgsm` is the standard fast gradient sign method (Goodfellow et al. 2015): one
  untargeted step x + eps sign(d CE(F(x), y) / dx) up the cross-entropy of the true label.
* :func:`random_sign_noise` perturbs by the same size with random signs: the baseline that shows
  adversarial directions are special (Fig. 34).

Classifiers are modules returning class scores (logits); probabilities are their softmax.
Every function leaves the model's parameters untouched and evaluates it in eval mode.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from labcoat.classic._checks import check_choice, check_float, check_int

__all__ = [
    "DreamResult",
    "dream",
    "fgsm",
    "interpolate_latent",
    "iterated_targeted_attack",
    "random_sign_noise",
]

ValueRange = tuple[float, float]


@contextlib.contextmanager
def _frozen(model: nn.Module) -> Iterator[None]:
    """Eval mode and no parameter gradients inside the block; both restored afterwards."""
    was_training = model.training
    flags = [p.requires_grad for p in model.parameters()]
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(model.parameters(), flags, strict=True):
            p.requires_grad_(flag)
        model.train(was_training)


def _bounds(value_range: ValueRange) -> tuple[float, float]:
    """``value_range`` as two finite floats with low < high."""
    if not isinstance(value_range, tuple | list) or len(value_range) != 2:
        raise TypeError(f"value_range must be a pair (low, high), got {value_range!r}")
    low = check_float("value_range[0]", value_range[0])
    high = check_float("value_range[1]", value_range[1])
    if not low < high:
        raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}")
    return low, high


def _input_gradient(loss: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    x = x.detach().requires_grad_(True)
    (gradient,) = torch.autograd.grad(loss(x), x)
    return gradient


def _squared_loss_to(model: nn.Module, target: Tensor) -> Callable[[Tensor], Tensor]:
    """L(x) = sum over samples of |F(x) - y*|^2 with F the softmax output (eq. 6.2)."""

    def loss(x: Tensor) -> Tensor:
        probabilities = torch.softmax(model(x), dim=-1)
        y = nn.functional.one_hot(target, probabilities.shape[-1]).to(probabilities.dtype)
        return ((probabilities - y) ** 2).sum()

    return loss


def _cross_entropy_to(model: nn.Module, target: Tensor) -> Callable[[Tensor], Tensor]:
    """L(x) = -sum over samples of log F_target(x) (eq. 4.14 with the target as label)."""

    def loss(x: Tensor) -> Tensor:
        return nn.functional.cross_entropy(model(x), target, reduction="sum")

    return loss


def _targets(target: int | Tensor, n: int) -> Tensor:
    labels = torch.as_tensor(target, dtype=torch.int64)
    return labels.expand(n).clone() if labels.dim() == 0 else labels


def fgsm(
    model: nn.Module,
    x: Tensor,
    labels: Tensor,
    epsilon: float,
    value_range: ValueRange = (0.0, 1.0),
) -> Tensor:
    """Untargeted fast gradient sign method: x* = clip(x + eps sign(dCE(F(x), y)/dx)).

    Args:
        model: classifier returning scores (batch, n_classes).
        x: inputs (batch, ...).
        labels: true labels y (batch,), int64.
        epsilon: size of the step in every input component (max-norm), >= 0.
        value_range: valid input range; the result is clipped to it.

    Returns:
        The adversarial inputs, detached, same shape as ``x``.
    """
    epsilon = check_float("epsilon", epsilon, 0.0)
    low, high = _bounds(value_range)
    with _frozen(model):
        gradient = _input_gradient(
            lambda z: nn.functional.cross_entropy(model(z), labels, reduction="sum"), x
        )
    return (x.detach() + epsilon * gradient.sign()).clamp(low, high)


def iterated_targeted_attack(
    model: nn.Module,
    x: Tensor,
    target: int | Tensor,
    epsilon: float,
    steps: int = 10,
    value_range: ValueRange = (0.0, 1.0),
) -> Tensor:
    """The notes' Algorithm 5: T steps x <- x - (eps/T) sign(dL/dx), L = |F(x) - y*|^2.

    F is the softmax of the model's scores and y* the one-hot target class (eq. 6.2); after
    T = ``steps`` iterations every component moved by at most eps (eq. 6.6). Each step is
    also clipped to ``value_range`` (not in the notes; keeps the images valid).

    Args:
        model: classifier returning scores (batch, n_classes).
        x: starting inputs x0 (batch, ...).
        target: the wrong class y* to reach, one int for all samples or (batch,) labels.
        epsilon: perturbation size, >= 0.
        steps: iterations T >= 1.
        value_range: valid input range.

    Returns:
        The adversarial inputs x*, detached.
    """
    epsilon = check_float("epsilon", epsilon, 0.0)
    steps = check_int("steps", steps, 1)
    low, high = _bounds(value_range)
    eta = epsilon / steps
    adversarial = x.detach().clone()
    with _frozen(model):
        loss = _squared_loss_to(model, _targets(target, len(x)))
        for _ in range(steps):
            gradient = _input_gradient(loss, adversarial)
            adversarial = (adversarial - eta * gradient.sign()).clamp(low, high)
    return adversarial


def random_sign_noise(
    x: Tensor,
    epsilon: float,
    generator: torch.Generator,
    value_range: ValueRange = (0.0, 1.0),
) -> Tensor:
    """X + eps * s with independent random signs s_i = +-1: noise of FGSM's size, clipped."""
    epsilon = check_float("epsilon", epsilon, 0.0)
    low, high = _bounds(value_range)
    signs = torch.randint(0, 2, x.shape, generator=generator).to(x.dtype) * 2 - 1
    return (x.detach() + epsilon * signs).clamp(low, high)


@dataclass(frozen=True)
class DreamResult:
    """Outcome of :func:`dream`.

    Attributes:
        inputs: the dreamed inputs x* (batch, ...).
        probabilities: F(x*) (batch, n_classes).
        confidence: F_target(x*), the probability of the target class, per sample.
        loss: L = |F(x) - y*|^2 + regularization, batch mean, after every step.
    """

    inputs: Tensor
    probabilities: Tensor
    confidence: Tensor
    loss: list[float]


def dream(
    model: nn.Module,
    target: int | Tensor,
    start: Tensor,
    *,
    steps: int = 200,
    learning_rate: float = 0.1,
    l2: float = 0.0,
    value_range: ValueRange = (0.0, 1.0),
    loss: Literal["squared", "cross_entropy"] = "squared",
) -> DreamResult:
    """Dreaming (§6.2): gradient descent on the input towards a chosen class.

    Minimizes L(x) = |F(x) - y*|^2 + l2 * |x - x_0|^2 / 2 over x (eqs. 6.2-6.3) with fixed
    parameters, where F is the softmax output, y* the one-hot target, and the optional L2 term
    keeps x near the start x_0 (a regularizer against extreme inputs). After every step x is
    clipped to ``value_range``. Start from random noise (the notes' Fig. 32) or from data.

    The squared loss of eq. 6.2 saturates: where the softmax gives the target a probability
    near 0 its gradient vanishes and the input hardly moves. ``loss="cross_entropy"`` uses
    -log F_target(x) instead, whose gradient does not vanish there (same minimizer).

    Args:
        model: classifier returning scores.
        target: the class to dream of (int) or one per sample.
        start: initial inputs x_0 (batch, ...); e.g. ``torch.rand(shape, generator=g)``.
        steps: number of gradient steps (>= 1).
        learning_rate: eta of eq. 6.3 (> 0).
        l2: weight of the regularizer (>= 0).
        value_range: valid input range.
        loss: "squared" (eq. 6.2) or "cross_entropy".
    """
    steps = check_int("steps", steps, 1)
    check_choice("loss", loss, ("squared", "cross_entropy"))
    learning_rate = check_float("learning_rate", learning_rate, 0.0, low_open=True)
    l2 = check_float("l2", l2, 0.0)
    low, high = _bounds(value_range)
    labels = _targets(target, len(start))
    x0 = start.detach().clamp(low, high)
    x, losses = x0.clone(), []
    with _frozen(model):
        make = _squared_loss_to if loss == "squared" else _cross_entropy_to
        distance = make(model, labels)

        def objective(z: Tensor) -> Tensor:
            return distance(z) + 0.5 * l2 * ((z - x0) ** 2).sum()

        for _ in range(steps):
            x = (x - learning_rate * _input_gradient(objective, x)).clamp(low, high)
            with torch.no_grad():
                losses.append(objective(x).item() / len(x))
        with torch.no_grad():
            probabilities = torch.softmax(model(x), dim=-1)
    confidence = probabilities.gather(1, labels[:, None])[:, 0]
    return DreamResult(x, probabilities, confidence, losses)


def interpolate_latent(
    encode: Callable[[Tensor], Tensor | tuple[Tensor, ...]],
    decode: Callable[[Tensor], Tensor],
    x_start: Tensor,
    x_end: Tensor,
    steps: int = 8,
) -> Tensor:
    """Decode the straight line between the codes of two inputs (§6.1).

    z(t) = (1 - t) e(x_start) + t e(x_end) for t = 0, 1/(steps-1), ..., 1, then d(z(t)). An
    encoder that returns a tuple (a VAE's ``(mu, log_var)``) contributes its first entry, the
    mean.

    Args:
        encode: a batch of inputs -> codes (batch, latent); e.g. ``vae.encode``.
        decode: a batch of codes -> outputs; e.g. ``vae.decode``.
        x_start: the first input, one sample without a batch axis.
        x_end: the last input, same shape.
        steps: number of points, >= 2.

    Returns:
        Decoded points, shape (steps, *decoded sample shape), without gradients.
    """
    steps = check_int("steps", steps, 2)
    if x_start.shape != x_end.shape:
        raise ValueError(f"x_start and x_end differ in shape: {x_start.shape}, {x_end.shape}")
    with torch.no_grad():
        codes = encode(torch.stack([x_start, x_end]))
        z = codes[0] if isinstance(codes, tuple) else codes  # (2, latent)
        t = torch.linspace(0.0, 1.0, steps, dtype=z.dtype).reshape(-1, *[1] * (z.dim() - 1))
        return decode((1 - t) * z[0] + t * z[1])  # (steps, ...)
