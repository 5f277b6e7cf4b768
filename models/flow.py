"""RealNVP: a normalizing flow of affine coupling layers (Dinh, Sohl-Dickstein & Bengio, ICLR 2017).

A flow maps data x ∈ R^D to a latent z = f(x) with a simple density N(0, 1) by an invertible
f, and the change of variables gives the exact density

    log p(x) = log N(f(x); 0, 1) + log |det ∂f/∂x|.

Each affine coupling layer keeps the features with mask b = 1 and transforms the others,

    y = b ⊙ x + (1 - b) ⊙ (x ⊙ exp(s(b ⊙ x)) + t(b ⊙ x))       (Dinh et al., masked coupling),

with s and t an MLP of the kept features: the Jacobian is triangular and
log |det ∂y/∂x| = Σ_d (1 - b_d) s_d(b ⊙ x); the inverse is
x = b ⊙ y + (1 - b) ⊙ (y - t(b ⊙ y)) ⊙ exp(-s(b ⊙ y)). Masks alternate between layers
(b_d = (d + k) mod 2 in layer k) so every feature is transformed. The log-scale is bounded,
s = α ⊙ tanh(·) with a learned α (the scale of the authors' implementation), for stability.

Discrete data (bits, spins) has no density; a flow is fitted to uniformly dequantized data
y = x + u, u ~ U[0, 1)^D (Theis, van den Oord & Bethge, ICLR 2016). The model's probability
of the discrete x is P(x) = ∫_[0,1)^D p(x + u) du, and by Jensen's inequality the estimate
log (1/K Σ_k p(x + u_k)) with u_k ~ U[0, 1)^D has expectation ≤ log P(x) (it rises towards it
with K): :func:`dequantized_log_prob`. A KL(p || P) computed with it is an upper bound in
expectation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from labcoat.classic._checks import check_int
from labcoat.models._checks import check_sizes
from labcoat.models._random import DeviceLike, generator_on, sampling_generator, torch_generator
from labcoat.models.mlp import MLP
from labcoat.models.training import Objective, start_sampling

__all__ = ["AffineCoupling", "RealNVP", "dequantized_log_prob", "dequantized_objective"]


class AffineCoupling(nn.Module):
    """y = b ⊙ x + (1 - b) ⊙ (x ⊙ exp(s) + t), s, t functions of b ⊙ x (Dinh et al. 2017).

    Args:
        mask: b, a 0/1 vector of length D.
        hidden: widths of the MLP computing (s, t).
        seed: seeds the MLP. Its output layer starts at zero: the layer starts as identity.
    """

    mask: Tensor

    def __init__(self, mask: Tensor, hidden: Sequence[int], seed: int) -> None:
        super().__init__()
        n_features = len(mask)
        self.register_buffer("mask", mask.float())
        self.network = MLP((n_features, *hidden, 2 * n_features), "relu", seed=seed)
        with torch.no_grad():
            self.network.output.weight.zero_()
            self.network.output.bias.zero_()
        self.scale = nn.Parameter(torch.ones(n_features))

    def init_parameters(self, generator: torch.Generator) -> None:
        """α = 1 (for :func:`labcoat.models.training.init_parameters`)."""
        with torch.no_grad():
            self.scale.fill_(1.0)

    def _log_scale_shift(self, kept: Tensor) -> tuple[Tensor, Tensor]:
        """(s, t), both zero on the kept features."""
        raw_s, t = self.network(kept).chunk(2, dim=-1)
        free = 1.0 - self.mask
        return free * self.scale * torch.tanh(raw_s), free * t

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(y, log |det ∂y/∂x|) with log |det| = Σ_d s_d, shapes (batch, D) and (batch,)."""
        s, t = self._log_scale_shift(self.mask * x)
        return x * torch.exp(s) + t, s.sum(-1)

    def inverse(self, y: Tensor) -> Tensor:
        """The inverse x = b ⊙ y + (1 - b) ⊙ (y - t) ⊙ exp(-s), s and t of b ⊙ y (= b ⊙ x)."""
        s, t = self._log_scale_shift(self.mask * y)
        return (y - t) * torch.exp(-s)


class RealNVP(nn.Module):
    """A stack of affine couplings with alternating masks and a N(0, 1) base density.

    Args:
        n_features: D ≥ 2.
        n_layers: coupling layers (≥ 1; an even number transforms every feature equally often).
        hidden: widths of each coupling's MLP.
        seed: seeds the couplings' networks (layer k uses seed + k).
    """

    def __init__(
        self,
        n_features: int,
        n_layers: int = 6,
        hidden: Sequence[int] = (64, 64),
        *,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.n_features = check_int("n_features", n_features, 2)
        n_layers = check_int("n_layers", n_layers, 1)
        sizes = check_sizes("hidden", hidden)
        index = torch.arange(n_features)
        self.couplings = nn.ModuleList(
            AffineCoupling((index + k) % 2, sizes, seed + k) for k in range(n_layers)
        )

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """The latent z = f(x), shape (batch, D), and log |det ∂f/∂x| over the layers, (batch,)."""
        log_det = torch.zeros(len(x), dtype=x.dtype, device=x.device)
        for coupling in self.couplings:
            x, layer_log_det = coupling(x)
            log_det = log_det + layer_log_det
        return x, log_det

    def inverse(self, z: Tensor) -> Tensor:
        """The data x = f⁻¹(z), the layers inverted in reverse order."""
        couplings: list[AffineCoupling] = list(self.couplings)  # type: ignore[arg-type]
        for coupling in reversed(couplings):
            z = coupling.inverse(z)
        return z

    def log_prob(self, x: Tensor) -> Tensor:
        """The exact log p(x) = Σ_d log N(z_d; 0, 1) + log |det ∂f/∂x|, shape (batch,)."""
        z, log_det = self(x)
        return -0.5 * (z**2).sum(-1) - 0.5 * self.n_features * math.log(2 * math.pi) + log_det

    def sample(self, n_samples: int, *, generator: torch.Generator | int,
               device: DeviceLike | None = None) -> Tensor:  # fmt: skip
        """Draw x = f⁻¹(z) with z ~ N(0, 1), shape (n_samples, D).

        Args:
            n_samples: how many points (≥ 1).
            generator: draws z: a ``torch.Generator`` or an integer seed, used on the device
                where the model samples.
            device: the model is moved there and z drawn there; None: the model's device.
        """
        n_samples, target, g = start_sampling(self, n_samples, generator, device)
        z = torch.randn(n_samples, self.n_features, generator=g, device=target,
                        dtype=next(self.parameters()).dtype)  # fmt: skip
        with torch.no_grad():
            return self.inverse(z)


def dequantized_log_prob(
    model: nn.Module, x: Tensor, n_samples: int, *, generator: torch.Generator | int
) -> Tensor:
    """The estimate log (1/K Σ_k p(x + u_k)), u_k ~ U[0, 1)^D: a lower bound on log P(x).

    P(x) = ∫_[0,1)^D p(x + u) du is the probability the density p gives the unit cube at the
    discrete x; by Jensen's inequality the estimate's expectation is ≤ log P(x), rising to it
    as K grows (Theis et al. 2016; K = 1 is the usual dequantization bound E_u log p(x + u)).

    Args:
        model: a density with ``log_prob(y) -> Tensor[batch]``.
        x: discrete points, shape (batch, D).
        n_samples: K ≥ 1.
        generator: a ``torch.Generator`` or an integer seed for the u_k (used on x's device).

    Returns:
        Shape (batch,).
    """
    n_samples = check_int("n_samples", n_samples, 1)
    g = sampling_generator(generator, x.device)
    u = torch.rand(
        (n_samples, *x.shape), generator=g, dtype=x.dtype, device=x.device
    )  # (K, batch, D)
    log_p = model.log_prob((x + u).reshape(-1, x.shape[-1])).reshape(n_samples, len(x))  # type: ignore[operator]
    return torch.logsumexp(log_p, 0) - math.log(n_samples)


def dequantized_objective(*, seed: int) -> Objective:
    """The dequantization bound as an Objective for ``fit``: the batch mean of -log p(x + u).

    A fresh u ~ U[0, 1)^D per batch (from a generator seeded by ``seed``, on the batch's
    device); minimizing it maximizes the lower bound E_u log p(x + u) ≤ log P(x)
    (Theis et al. 2016).
    """
    generator = torch_generator(seed)

    def negative_bound(model: nn.Module, batch: Tensor) -> Tensor:
        nonlocal generator
        x = batch[0] if isinstance(batch, tuple | list) else batch
        generator = generator_on(generator, x.device)
        return -dequantized_log_prob(model, x, 1, generator=generator).mean()

    return Objective(negative_bound)
