"""Dense (fully connected) networks, seeded dropout and the weight penalties of seed 000, §4.

A layer computes ``z = g(W z_prev + b)`` (eqs. 4.1-4.2, one neuron per output), and a network
stacks them (eq. 4.5). Classification networks end in a softmax (eq. 4.14's F): :class:`MLP`
returns the pre-softmax scores (logits), which ``torch.nn.functional.cross_entropy`` turns into
the cross-entropy of eq. 4.14 in one numerically stable step; :meth:`MLP.probabilities` applies
the softmax itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn.utils import skip_init

from labcoat.classic._checks import check_float
from labcoat.models._checks import check_sizes
from labcoat.models._random import generator_on, torch_generator
from labcoat.models.training import Objective, init_parameters

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "Dropout",
    "activation_module",
    "regularized",
    "weight_penalty",
]

ActivationName = Literal["relu", "sigmoid", "tanh", "identity"]

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "identity": nn.Identity,
}
"""The activation functions g of eq. 4.1 by name: ReLU max(0, q), sigmoid 1/(1+e^-q), tanh q."""


def activation_module(name: str) -> nn.Module:
    """A fresh activation module g (eq. 4.1) by name: "relu", "sigmoid", "tanh" or "identity"."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()


class Dropout(nn.Module):
    """Dropout (§4.5) drawing its masks from its own ``torch.Generator``.

    In training mode each input is kept with probability 1 - p and scaled by 1/(1 - p)
    ("inverted dropout", so that the expectation is unchanged and evaluation is the identity);
    in eval mode it is the identity. The masks are drawn on the input's device (a module
    moved to another device restarts its mask stream from the seed). Unlike
    ``torch.nn.Dropout`` it never touches torch's global random generator, so a seeded
    network trains identically every time.

    Args:
        p: probability of dropping an input, in [0, 1).
        seed: seeds the mask generator.
    """

    def __init__(self, p: float, seed: int = 0) -> None:
        super().__init__()
        self.p = check_float("p", p, 0.0, 1.0, high_open=True)
        self.generator = torch_generator(seed)

    def forward(self, x: Tensor) -> Tensor:
        """Zero each entry with probability p and rescale the rest by 1/(1 - p) (training)."""
        if not self.training or self.p == 0.0:
            return x
        self.generator = generator_on(self.generator, x.device)
        keep = torch.rand(x.shape, generator=self.generator, dtype=x.dtype, device=x.device)
        keep = keep >= self.p
        return x * keep / (1.0 - self.p)

    def extra_repr(self) -> str:
        """Shown by ``print(module)``."""
        return f"p={self.p}"


class MLP(nn.Module):
    """A fully connected network (seed 000, eq. 4.5) with one activation for all hidden layers.

    ``layer_sizes = (n_in, h_1, ..., h_k, n_out)`` builds k hidden layers
    ``z_l = g(W_l z_{l-1} + b_l)`` (eqs. 4.1-4.2) and a linear output layer; dropout (§4.5),
    if any, follows every hidden activation. ``forward`` returns the output layer's linear
    scores q (logits for a classifier); :meth:`probabilities` is the softmax F(x) of eq. 4.14.

    Args:
        layer_sizes: widths from input to output, at least two entries, all >= 1.
        activation: hidden activation g: "relu", "sigmoid", "tanh" or "identity".
        dropout: dropout probability after each hidden layer, in [0, 1).
        seed: seeds the initial weights (PyTorch's default scheme) and the dropout masks.

    Attributes:
        hidden: everything up to and including the last hidden activation (and dropout):
            the network as a feature map, ``features(x) = hidden(x)``.
        output: the last linear layer.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation: ActivationName = "relu",
        dropout: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        sizes = check_sizes("layer_sizes", layer_sizes, 2)  # (input, ..., output)
        dropout = check_float("dropout", dropout, 0.0, 1.0, high_open=True)
        activation_module(activation)  # validates the name
        self.layer_sizes = sizes
        self.activation = activation
        blocks: list[nn.Module] = []
        for index, (n_in, n_out) in enumerate(pairwise(sizes[:-1])):
            blocks += [skip_init(nn.Linear, n_in, n_out), activation_module(activation)]
            if dropout > 0.0:
                blocks.append(Dropout(dropout, seed=seed + 1 + index))
        self.hidden = nn.Sequential(*blocks)
        self.output = skip_init(nn.Linear, sizes[-2], sizes[-1])
        init_parameters(self, seed)

    @property
    def layers(self) -> list[nn.Linear]:
        """The ``nn.Linear`` layers, input to output."""
        return [m for m in self.hidden if isinstance(m, nn.Linear)] + [self.output]

    @property
    def features_dim(self) -> int:
        """Width of :meth:`features`: the last hidden layer (the input width if none)."""
        return self.layer_sizes[-2]

    def features(self, x: Tensor) -> Tensor:
        """The last hidden layer's activations, shape (batch, layer_sizes[-2])."""
        return self.hidden(x.flatten(1) if x.dim() > 2 else x)

    def forward(self, x: Tensor) -> Tensor:
        """Output scores q = W_L z_{L-1} + b_L, shape (batch, layer_sizes[-1]).

        Inputs with more than two dimensions (e.g. images) are flattened per sample.
        """
        return self.output(self.features(x))

    def probabilities(self, x: Tensor) -> Tensor:
        """Softmax of the output scores, F_i(x) = exp(q_i) / sum_j exp(q_j) (eq. 4.14's F)."""
        return torch.softmax(self(x), dim=-1)


def _penalized_weights(model: nn.Module) -> list[Tensor]:
    """Weight matrices and kernels only: parameters named weight* with >= 2 dimensions."""
    return [
        parameter
        for name, parameter in model.named_parameters()
        if name.rsplit(".", 1)[-1].startswith("weight") and parameter.dim() >= 2
    ]


def weight_penalty(model: nn.Module, l1: float = 0.0, l2: float = 0.0) -> Tensor:
    """L1 and L2 penalties on the weights (not the biases) of ``model`` (eqs. 4.23-4.24).

    R(W) = l1 * sum_j |W_j| + (l2 / 2) * sum_j W_j^2, summed over every weight matrix and
    convolution kernel (parameters named ``weight*`` with two or more dimensions; biases and
    normalization scales are not penalized, as the notes prescribe).

    Conventions (ERRATA: eqs. 4.23/4.24 print lambda twice): ``l2`` is the lambda of eq. 4.23,
    so the gradient of its term is ``l2 * W`` (SGD's ``weight_decay=l2``); ``l1`` multiplies
    sum |W| directly (the lasso's lambda; eq. 4.24's factor 1/2 is absorbed into it).

    Raises:
        ValueError: if ``l1`` or ``l2`` is negative or not finite (TypeError: not a number).
    """
    l1, l2 = check_float("l1", l1, 0.0), check_float("l2", l2, 0.0)
    weights = _penalized_weights(model)
    total = torch.zeros((), dtype=weights[0].dtype if weights else torch.get_default_dtype())
    for w in weights:
        if l1:
            total = total + l1 * w.abs().sum()
        if l2:
            total = total + 0.5 * l2 * (w * w).sum()
    return total


def regularized(
    loss: Callable[[Tensor, Tensor], Tensor], l1: float = 0.0, l2: float = 0.0
) -> Objective:
    """The objective L(theta) + R(W) (§4.5): ``loss(model(x), y) + weight_penalty(model, l1, l2)``.

    Pass the result to :func:`labcoat.models.training.fit` as ``loss``; batches are
    ``(inputs, targets)``.
    """
    l1, l2 = check_float("l1", l1, 0.0), check_float("l2", l2, 0.0)

    def penalized(model: nn.Module, batch: tuple[Tensor, Tensor]) -> Tensor:
        inputs, targets = batch[0], batch[1]
        return loss(model(inputs), targets) + weight_penalty(model, l1, l2)

    return Objective(penalized)
