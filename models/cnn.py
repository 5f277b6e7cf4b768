"""Convolutional networks (seed 000, §4.6), 1-D and 2-D, with the notes' two architectures.

A convolutional layer computes feature maps q_ij = sum_mn f_nm x_{si-m, sj-n} + b_0
(eq. 4.25) of side n_q = floor((n_in + 2 * padding - k) / s) + 1; max pooling over n
neighbours (§4.6.2) divides the side by n (rounding down). :class:`CNN` stacks such blocks,
flattens, and ends in dense layers, like the examples of §4.6.3 and §4.6.4:

* :meth:`CNN.dna_classifier` (Example 2): input 4 x 36, Conv1d k=4, s=1, N=64, max pool 2,
  dense 256 (ReLU), output 2.
* :meth:`CNN.advanced_mnist` (Example 3): input 28 x 28, Conv2d 3x3, N=32 (ReLU), max pool
  2x2, Conv2d 3x3, N=64 (ReLU), max pool 2x2, dropout 50 %, dense 100 (ReLU), output 10.

Outputs are the pre-softmax scores (use cross-entropy on them, eq. 4.14);
:meth:`CNN.probabilities` applies the softmax.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import Tensor, nn
from torch.nn.utils import skip_init

from labcoat.classic._checks import check_float, check_int
from labcoat.models._checks import check_sizes
from labcoat.models.mlp import ActivationName, Dropout, activation_module
from labcoat.models.training import init_parameters

__all__ = ["CNN", "conv_output_size"]


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Side of a feature map, n_q = floor((n_in + 2 * padding - k) / s) + 1 (after eq. 4.25)."""
    return (size + 2 * padding - kernel_size) // stride + 1


def _per_layer(value: int | Sequence[int], count: int, name: str, minimum: int) -> list[int]:
    """One int >= ``minimum`` per conv layer: a single int repeated, or ``count`` of them."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        return [check_int(name, value, minimum)] * count
    if len(value) != count:
        raise ValueError(
            f"{name} must be an integer >= {minimum} or {count} of them, got {value!r}"
        )
    return [check_int(f"{name}[{i}]", v, minimum) for i, v in enumerate(value)]


class CNN(nn.Module):
    """Convolution + pooling blocks, then dense layers (seed 000, §4.6); 1-D or 2-D.

    Args:
        input_shape: (channels, length) for 1-D data such as one-hot DNA, or
            (channels, height, width) for images (square or not).
        conv_channels: number of filters N of each convolutional layer (at least one layer).
        kernel_sizes: kernel side k, one for all layers or one per layer.
        dense_sizes: widths of the dense hidden layers after flattening.
        n_outputs: width of the output layer (classes).
        strides: stride s per layer (or one for all).
        paddings: zero padding per layer (or one for all).
        pool_sizes: max-pooling width n per layer (1 = no pooling).
        conv_activation: activation after each convolution ("identity" for none).
        dense_activation: activation of the dense hidden layers.
        dropout: dropout probability after the last pooling layer (the notes' position).
        seed: seeds the initial weights and the dropout masks.

    Attributes:
        feature_shape: shape of one sample after the last pooling layer, e.g. (64, 5, 5).
        features: convolutional blocks, flattening and dropout: x -> flat feature vector.
        head: the dense layers, feature vector -> output scores.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        conv_channels: Sequence[int],
        kernel_sizes: int | Sequence[int],
        dense_sizes: Sequence[int],
        n_outputs: int,
        *,
        strides: int | Sequence[int] = 1,
        paddings: int | Sequence[int] = 0,
        pool_sizes: int | Sequence[int] = 2,
        conv_activation: ActivationName = "relu",
        dense_activation: ActivationName = "relu",
        dropout: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        shape = check_sizes("input_shape", input_shape)
        if len(shape) not in (2, 3):
            raise ValueError(
                f"input_shape must be (channels, length) or (channels, height, width), got {shape}"
            )
        conv_channels = check_sizes("conv_channels", conv_channels, 1)
        dense_sizes = check_sizes("dense_sizes", dense_sizes)
        n_outputs = check_int("n_outputs", n_outputs, 1)
        dropout = check_float("dropout", dropout, 0.0, 1.0, high_open=True)
        count = len(conv_channels)
        kernels = _per_layer(kernel_sizes, count, "kernel_sizes", 1)
        stride_list = _per_layer(strides, count, "strides", 1)
        padding_list = _per_layer(paddings, count, "paddings", 0)
        pools = _per_layer(pool_sizes, count, "pool_sizes", 1)
        self.input_shape = shape
        conv = nn.Conv1d if len(shape) == 2 else nn.Conv2d
        pool = nn.MaxPool1d if len(shape) == 2 else nn.MaxPool2d
        blocks: list[nn.Module] = []
        channels, spatial = shape[0], list(shape[1:])
        for n, k, s, p, m in zip(
            conv_channels, kernels, stride_list, padding_list, pools, strict=True
        ):
            blocks += [skip_init(conv, channels, n, k, stride=s, padding=p)]
            blocks.append(activation_module(conv_activation))
            spatial = [conv_output_size(side, k, s, p) for side in spatial]
            if m > 1:
                blocks.append(pool(m))
                spatial = [side // m for side in spatial]
            if min(spatial) < 1:
                raise ValueError(f"input_shape {shape} is too small for these layers")
            channels = n
        blocks.append(nn.Flatten())
        if dropout > 0.0:
            blocks.append(Dropout(dropout, seed=seed + 1))
        self.features = nn.Sequential(*blocks)
        self.feature_shape = (channels, *spatial)
        widths = [channels * math.prod(spatial), *dense_sizes]
        head: list[nn.Module] = []
        for n_in, n_out in pairwise(widths):
            head += [skip_init(nn.Linear, n_in, n_out), activation_module(dense_activation)]
        head.append(skip_init(nn.Linear, widths[-1], n_outputs))
        self.head = nn.Sequential(*head)
        init_parameters(self, seed)

    @property
    def features_dim(self) -> int:
        """Length of the flattened feature vector fed to the dense layers."""
        return math.prod(self.feature_shape)

    def forward(self, x: Tensor) -> Tensor:
        """Output scores for x of shape (batch, *input_shape)."""
        return self.head(self.features(x))

    def probabilities(self, x: Tensor) -> Tensor:
        """Softmax of the output scores (eq. 4.14's F)."""
        return torch.softmax(self(x), dim=-1)

    @classmethod
    def dna_classifier(cls, sequence_length: int = 36, seed: int = 0) -> CNN:
        """The notes' DNA classifier (§4.6.3, Example 2) for one-hot input (4, length).

        Conv1d with k = 4, s = 1 and N = 64 filters (the notes name no activation for it, so
        none is applied), max pooling over 2, a dense layer of 256 ReLU neurons and 2 outputs
        (DNA / non-DNA). For length 36: 33 positions after the convolution, 16 after
        pooling, 64 * 16 = 1024 features.
        """
        return cls(
            (4, sequence_length),
            conv_channels=[64],
            kernel_sizes=4,
            dense_sizes=[256],
            n_outputs=2,
            pool_sizes=2,
            conv_activation="identity",
            seed=seed,
        )

    @classmethod
    def advanced_mnist(cls, image_size: int = 28, padding: int = 0, seed: int = 0) -> CNN:
        """The notes' advanced MNIST network (§4.6.4, Example 3) for (1, size, size) images.

        Conv2d 3x3, s = 1, N = 32, ReLU; max pool 2x2; Conv2d 3x3, s = 1, N = 64, ReLU;
        max pool 2x2; dropout 0.5; dense 100 ReLU; 10 outputs. For 28 x 28 inputs the maps are
        26 -> 13 -> 11 -> 5, so 64 * 5 * 5 = 1600 features. ``padding=1`` keeps the
        convolutions size-preserving, which lets the same network run on the 8 x 8 digits
        (8 -> 4 -> 2: 256 features).
        """
        return cls(
            (1, image_size, image_size),
            conv_channels=[32, 64],
            kernel_sizes=3,
            dense_sizes=[100],
            n_outputs=10,
            paddings=padding,
            pool_sizes=2,
            conv_activation="relu",
            dropout=0.5,
            seed=seed,
        )
