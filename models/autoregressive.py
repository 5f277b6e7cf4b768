"""MADE, a masked autoencoder for distribution estimation (Germain et al., ICML 2015).

An autoregressive model factorizes a distribution over binary vectors x ∈ {0, 1}^D exactly,

    p(x) = Π_d p(x_d | x_<d),   p(x_d = 1 | x_<d) = σ(a_d(x_<d)),

so log p(x) = Σ_d [x_d log σ(a_d) + (1 - x_d) log(1 - σ(a_d))] needs no partition function
and Σ_x p(x) = 1 by construction. MADE computes every logit a_d in one pass of an MLP whose
weight matrices are multiplied by binary masks: input d has degree d (1..D), each hidden unit
k a degree m(k) ∈ [1, D - 1]; a connection into a hidden unit is kept when m(k) ≥ m(source),
and into output d when d > m(source) (Germain et al., eqs. 12-13). Every path from input j to
output d then has j < d: a_d depends on x_<d only, and a_1 is the output bias alone.

The same :func:`log_likelihood_objective` (the mean of -log p(x) over a batch, i.e. maximum
likelihood) trains MADE, :class:`labcoat.models.transformer.CausalTransformer` and
:class:`labcoat.models.flow.RealNVP` with :func:`labcoat.models.training.fit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import Tensor, nn
from torch.nn.functional import binary_cross_entropy_with_logits

from labcoat.classic._checks import check_int
from labcoat.models._checks import check_sizes
from labcoat.models._random import DeviceLike
from labcoat.models.training import Objective, init_parameters, start_sampling

__all__ = ["MADE", "MaskedLinear", "log_likelihood_objective", "made_masks"]


class MaskedLinear(nn.Linear):
    """y = (W ⊙ M) x + b: a linear layer whose weight W is multiplied by a fixed 0/1 mask M."""

    mask: Tensor

    def __init__(self, mask: Tensor) -> None:
        super().__init__(mask.shape[1], mask.shape[0])
        self.register_buffer("mask", mask.to(self.weight.dtype))

    def forward(self, x: Tensor) -> Tensor:
        """(W ⊙ M) x + b."""
        return nn.functional.linear(x, self.weight * self.mask, self.bias)


def made_masks(n_inputs: int, hidden: Sequence[int]) -> list[Tensor]:
    """The masks of MADE with the natural order (input d has degree d = 1..D).

    Hidden unit k of every layer gets degree m(k) = 1 + k mod (D - 1) (deterministic, each
    degree used as evenly as the width allows). A mask entry (to, from) is 1 when
    m(to) ≥ m(from) for hidden units and d > m(from) for output d (Germain et al., eqs. 12-13).

    Args:
        n_inputs: D ≥ 2.
        hidden: widths of the hidden layers (each ≥ 1).

    Returns:
        One mask per layer, shapes (h_1, D), (h_2, h_1), ..., (D, h_k).
    """
    n_inputs = check_int("n_inputs", n_inputs, 2)
    degrees = [torch.arange(1, n_inputs + 1)]
    degrees += [1 + torch.arange(width) % (n_inputs - 1) for width in hidden]
    masks = [(after[:, None] >= before[None, :]) for before, after in pairwise(degrees)]
    masks.append(degrees[0][:, None] > degrees[-1][None, :])
    return [mask.float() for mask in masks]


class MADE(nn.Module):
    """MADE for binary vectors: exact log p(x) = Σ_d log p(x_d | x_<d) (Germain et al. 2015).

    Args:
        n_inputs: D ≥ 2, the number of bits.
        hidden: hidden widths (≥ 1 layer; widths ≥ D - 1 let every degree appear).
        seed: seeds the initial weights (PyTorch's default scheme).
    """

    def __init__(self, n_inputs: int, hidden: Sequence[int] = (64, 64), *, seed: int = 0) -> None:
        super().__init__()
        sizes = check_sizes("hidden", hidden, 1)
        masks = made_masks(n_inputs, sizes)
        layers: list[nn.Module] = []
        for mask in masks[:-1]:
            layers += [MaskedLinear(mask), nn.ReLU()]
        layers.append(MaskedLinear(masks[-1]))
        self.network = nn.Sequential(*layers)
        self.n_inputs = n_inputs
        init_parameters(self, seed)

    def forward(self, x: Tensor) -> Tensor:
        """The logits a_d(x_<d) of p(x_d = 1 | x_<d), shape (batch, D)."""
        return self.network(x)

    def log_prob(self, x: Tensor) -> Tensor:
        """The exact log-likelihood, shape (batch,).

        log p(x) = Σ_d [x_d log σ(a_d) + (1 - x_d) log σ(-a_d)].
        """
        logits = self(x)
        return -binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)

    def sample(self, n_samples: int, *, generator: torch.Generator | int,
               device: DeviceLike | None = None) -> Tensor:  # fmt: skip
        """Draw x_1, then x_2 | x_1, ... (D passes), shape (n_samples, D), entries 0/1.

        Args:
            n_samples: how many vectors (≥ 1).
            generator: a ``torch.Generator`` or an integer seed (used on the sampling device).
            device: where to sample (the model is moved there); None: the model's device.
        """
        n_samples, target, g = start_sampling(self, n_samples, generator, device)
        dtype = next(self.parameters()).dtype
        x = torch.zeros(n_samples, self.n_inputs, dtype=dtype, device=target)
        with torch.no_grad():
            for d in range(self.n_inputs):
                p = torch.sigmoid(self(x)[:, d])
                x[:, d] = torch.bernoulli(p, generator=g)
        return x


def log_likelihood_objective() -> Objective:
    """Maximum likelihood as an Objective for ``fit``: the batch mean of -log p(x).

    Works for any model with ``log_prob(x) -> Tensor[batch]`` (batches: x, or (x, ...)).
    Minimizing it minimizes KL(p_data || p_model) up to the data's entropy.
    """

    def negative_log_likelihood(model: nn.Module, batch: Tensor) -> Tensor:
        x = batch[0] if isinstance(batch, tuple | list) else batch
        return -model.log_prob(x).mean()  # type: ignore[operator]

    return Objective(negative_log_likelihood)
