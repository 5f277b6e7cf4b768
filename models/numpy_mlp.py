"""A dense network in plain numpy with hand-written backpropagation (seed 003; seed 000, Alg. 2).

Conventions (ERRATA, seeds 002/003: "pick W of shape (in, out)"): a batch is a matrix ``a`` of
shape (m, n_in) with one sample per row, and layer l computes

    z^l = a^{l-1} W^l + b^l,   a^l = f(z^l),     W^l of shape (n_{l-1}, n_l), b^l of (n_l,).

``torch.nn.Linear(n_in, n_out)`` stores the transpose: ``linear.weight == W.T`` (shape
(n_out, n_in)) and ``linear.bias == b``; :meth:`NumpyMLP.to_torch` and
:meth:`NumpyMLP.from_torch` convert between the two.

Backpropagation (seed 003; the output layer L is updated too, ERRATA):

    delta^L = dC/da^L * f'(z^L)                 (softmax or sigmoid with cross-entropy:
                                                 delta^L = (a^L - y) / m)
    delta^l = (delta^{l+1} (W^{l+1})^T) * f'(z^l)
    dC/dW^l = (a^{l-1})^T delta^l,   dC/db^l = sum over the batch of delta^l.

The cost is the batch mean: C = (1/2m) sum ||a^L - y||^2 for "mse", and
C = -(1/m) sum y . log a^L for "cross_entropy" (softmax output, eq. 4.14) or the binary
cross-entropy for a sigmoid output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np
import torch
from torch import nn

from labcoat.classic._checks import check_choice, check_float, check_int
from labcoat.models._checks import check_finite, check_sizes
from labcoat.models._random import numpy_generator

__all__ = ["Gradients", "NumpyMLP", "activation", "activation_derivative"]

Activation = Literal["sigmoid", "tanh", "relu", "identity"]
Output = Literal["identity", "sigmoid", "tanh", "relu", "softmax"]
Loss = Literal["mse", "cross_entropy"]


def activation(name: str, z: np.ndarray) -> np.ndarray:
    """f(z): sigmoid 1/(1+e^-z), tanh, relu max(0, z), identity or a row-wise softmax."""
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "identity":
        return z
    if name == "softmax":
        shifted = np.exp(z - z.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)
    raise ValueError(f"activation must be sigmoid, tanh, relu, identity or softmax, got {name!r}")


def activation_derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """f'(z) of an element-wise activation, given z and a = f(z) (sigmoid: a (1 - a))."""
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a * a
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "identity":
        return np.ones_like(z)
    raise ValueError(f"no element-wise derivative for activation {name!r}")


@dataclass
class Gradients:
    """dC/dW^l and dC/db^l of every layer l = 1..L (lists, input side first)."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]


class NumpyMLP:
    """A fully connected network trained by hand-written backpropagation (numpy, float64).

    Args:
        layer_sizes: (n_in, n_1, ..., n_out), at least two entries.
        activation: hidden activation f: "sigmoid" (the seed's choice), "tanh", "relu",
            "identity".
        output: output activation: "identity", "sigmoid", "tanh", "relu" or "softmax".
        loss: "mse" (any output) or "cross_entropy" (softmax or sigmoid output).
        seed: seeds the initial weights, N(0, 1/n_in) (scaled normal; seed 003 discusses the
            pitfalls of unit-variance initial weights).

    Attributes:
        weights: W^l of shape (n_{l-1}, n_l).
        biases: b^l of shape (n_l,).
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation: Activation = "sigmoid",
        output: Output = "identity",
        loss: Loss = "mse",
        seed: int = 0,
    ) -> None:
        sizes = check_sizes("layer_sizes", layer_sizes, 2)
        check_choice("activation", activation, ("sigmoid", "tanh", "relu", "identity"))
        check_choice("output", output, ("identity", "sigmoid", "tanh", "relu", "softmax"))
        check_choice("loss", loss, ("mse", "cross_entropy"))
        if loss == "cross_entropy" and output not in ("softmax", "sigmoid"):
            raise ValueError(f"loss cross_entropy needs output softmax or sigmoid, not {output!r}")
        if output == "softmax" and loss != "cross_entropy":
            raise ValueError("output 'softmax' needs loss 'cross_entropy'")
        self.layer_sizes, self.activation, self.output, self.loss = sizes, activation, output, loss
        rng = numpy_generator(seed)
        self.weights = [rng.normal(0.0, 1.0 / np.sqrt(a), (a, b)) for a, b in pairwise(sizes)]
        self.biases = [np.zeros(b) for b in sizes[1:]]

    def _layer_activation(self, layer: int) -> str:
        return self.output if layer == len(self.weights) - 1 else self.activation

    def forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Forward pass: the pre-activations z^1..z^L and activations a^0 = x, a^1..a^L."""
        a = [np.asarray(x, dtype=np.float64)]
        z: list[np.ndarray] = []
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z.append(a[-1] @ w + b)  # (m, n_l)
            a.append(activation(self._layer_activation(layer), z[-1]))
        return z, a

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The network's output a^L, shape (m, n_out)."""
        return self.forward(x)[1][-1]

    def cost(self, x: np.ndarray, y: np.ndarray) -> float:
        """The batch-mean cost C (see the module docstring); y has the output's shape."""
        out, y = self.predict(x), np.asarray(y, dtype=np.float64)
        m = len(out)
        if self.loss == "mse":
            return float(0.5 * np.sum((out - y) ** 2) / m)
        clipped = np.clip(out, 1e-300, 1.0)
        if self.output == "softmax":
            return float(-np.sum(y * np.log(clipped)) / m)
        other = np.clip(1.0 - out, 1e-300, 1.0)
        return float(-np.sum(y * np.log(clipped) + (1 - y) * np.log(other)) / m)

    def backward(self, x: np.ndarray, y: np.ndarray) -> Gradients:
        """Backpropagation: dC/dW^l and dC/db^l for every layer (module docstring equations)."""
        z, a = self.forward(x)
        y = np.asarray(y, dtype=np.float64)
        if y.shape != a[-1].shape:
            raise ValueError(f"y must have shape {a[-1].shape}, got {y.shape}")
        m = len(y)
        if self.loss == "cross_entropy":
            delta = (a[-1] - y) / m  # softmax or sigmoid with its cross-entropy
        else:
            delta = (a[-1] - y) / m * activation_derivative(self.output, z[-1], a[-1])
        grad_w: list[np.ndarray] = []
        grad_b: list[np.ndarray] = []
        for layer in range(len(self.weights) - 1, -1, -1):
            grad_w.insert(0, a[layer].T @ delta)  # (n_{l-1}, n_l)
            grad_b.insert(0, delta.sum(axis=0))
            if layer > 0:
                derivative = activation_derivative(self.activation, z[layer - 1], a[layer])
                delta = (delta @ self.weights[layer].T) * derivative
        return Gradients(grad_w, grad_b)

    def step(self, x: np.ndarray, y: np.ndarray, learning_rate: float) -> float:
        """One gradient-descent step W <- W - eta dC/dW, b <- b - eta dC/db; returns C before."""
        learning_rate = check_float("learning_rate", learning_rate, 0.0, low_open=True)
        cost = self.cost(x, y)
        gradients = self.backward(x, y)
        for w, b, gw, gb in zip(
            self.weights, self.biases, gradients.weights, gradients.biases, strict=True
        ):
            w -= learning_rate * gw
            b -= learning_rate * gb
        return cost

    def train(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        epochs: int,
        batch_size: int,
        learning_rate: float,
        seed: int,
    ) -> list[float]:
        """Mini-batch gradient descent; returns the cost on all data after each epoch.

        Raises:
            FloatingPointError: a batch's cost is NaN or ±inf (NaN in the data, a learning rate
                too large); the message names the epoch and the batch (counted from 1).
        """
        epochs = check_int("epochs", epochs, 1)
        batch_size = check_int("batch_size", batch_size, 1)
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        rng = numpy_generator(seed)
        costs = []
        for epoch in range(1, epochs + 1):
            order = rng.permutation(len(x))
            for batch, start in enumerate(range(0, len(x), batch_size), 1):
                index = order[start : start + batch_size]
                cost = self.step(x[index], y[index], learning_rate)
                check_finite(cost, "the cost", epoch=epoch, batch=batch)
            costs.append(self.cost(x, y))
        return costs

    def to_torch(self) -> nn.Sequential:
        """The same network in torch (float64): ``nn.Linear.weight = W.T``, ``bias = b``."""
        modules: list[nn.Module] = []
        names = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "identity": nn.Identity}
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            linear = nn.utils.skip_init(nn.Linear, *w.shape, dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(w.T))
                linear.bias.copy_(torch.from_numpy(b))
            modules.append(linear)
            name = self._layer_activation(layer)
            modules.append(nn.Softmax(dim=1) if name == "softmax" else names[name]())
        return nn.Sequential(*modules)

    def from_torch(self, network: nn.Sequential) -> NumpyMLP:
        """Copy the ``nn.Linear`` weights of ``network`` in: ``W = weight.T``, ``b = bias``."""
        linears = [m for m in network if isinstance(m, nn.Linear)]
        if [(m.in_features, m.out_features) for m in linears] != [w.shape for w in self.weights]:
            raise ValueError("network's Linear layers do not match layer_sizes")
        self.weights = [m.weight.detach().double().numpy().T.copy() for m in linears]
        self.biases = [m.bias.detach().double().numpy().copy() for m in linears]
        return self
