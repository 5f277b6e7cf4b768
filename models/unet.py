"""A small convolutional noise predictor ε_θ(x_t, t[, y]) for a DDPM on images: a U-Net.

The shape of Ho et al.'s network (2020, Appendix B), cut down for small images such as the
8 × 8 digits: a residual block at full resolution, a strided convolution halving the side,
a residual block there and one in the middle, a transposed convolution back up, the skip
connection concatenated, a last residual block and a 3 × 3 output convolution. Each residual
block computes h = conv(SiLU(norm(x))) + e(t, y), h' = conv(SiLU(norm(h))), x + h', where the
time embedding (sinusoidal, :func:`labcoat.models.diffusion.sinusoidal_embedding`, through a
small MLP) plus an optional learned class embedding enters as a per-channel shift e(t, y).
Use it as ``DDPM(64, network=EpsilonUNet(...), data_shape=(1, 8, 8))``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils import skip_init

from labcoat.classic._checks import check_int
from labcoat.models.diffusion import sinusoidal_embedding
from labcoat.models.training import init_parameters

__all__ = ["EpsilonUNet"]


def _groups(channels: int) -> int:
    """Groups of the group normalization: 8 when they divide ``channels``, else 1."""
    return 8 if channels % 8 == 0 else 1


class _ResidualBlock(nn.Module):
    """x + conv(SiLU(norm(conv(SiLU(norm(x))) + e))), e a per-channel shift (embedding)."""

    def __init__(self, channels: int, embedding_dim: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(channels), channels)
        self.conv1 = skip_init(nn.Conv2d, channels, channels, 3, padding=1)
        self.shift = skip_init(nn.Linear, embedding_dim, channels)
        self.norm2 = nn.GroupNorm(_groups(channels), channels)
        self.conv2 = skip_init(nn.Conv2d, channels, channels, 3, padding=1)

    def forward(self, x: Tensor, embedding: Tensor) -> Tensor:
        h = self.conv1(nn.functional.silu(self.norm1(x)))
        h = h + self.shift(embedding)[:, :, None, None]  # (batch, channels, 1, 1)
        return x + self.conv2(nn.functional.silu(self.norm2(h)))


class EpsilonUNet(nn.Module):
    """ε_θ(x_t, t) or, with ``n_classes``, ε_θ(x_t, t, y): a two-level U-Net for small images.

    Args:
        in_channels: channels of the images (1 for the digits).
        channels: channels at full resolution (doubled at half resolution; ≥ 1).
        time_embedding_dim: width of the sinusoidal time embedding (even, ≥ 2).
        n_classes: number of classes for a class-conditional network (None: unconditional).
        seed: seeds the initial weights.

    The image side must be even (it is halved once).
    """

    def __init__(
        self,
        in_channels: int = 1,
        channels: int = 32,
        time_embedding_dim: int = 32,
        n_classes: int | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        in_channels = check_int("in_channels", in_channels, 1)
        c = check_int("channels", channels, 1)
        self.time_embedding_dim = check_int("time_embedding_dim", time_embedding_dim, 2)
        if time_embedding_dim % 2:
            raise ValueError(
                f"time_embedding_dim must be an even integer >= 2, got {time_embedding_dim}"
            )
        e = 4 * c  # width of the embedding fed to every block
        self.n_classes = None if n_classes is None else check_int("n_classes", n_classes, 1)
        self.time = nn.Sequential(
            skip_init(nn.Linear, time_embedding_dim, e), nn.SiLU(), skip_init(nn.Linear, e, e)
        )
        self.label = None if n_classes is None else nn.Embedding(n_classes, e)
        self.inp = skip_init(nn.Conv2d, in_channels, c, 3, padding=1)
        self.down1 = _ResidualBlock(c, e)
        self.downsample = skip_init(nn.Conv2d, c, 2 * c, 4, stride=2, padding=1)
        self.down2 = _ResidualBlock(2 * c, e)
        self.middle = _ResidualBlock(2 * c, e)
        self.upsample = skip_init(nn.ConvTranspose2d, 2 * c, c, 4, stride=2, padding=1)
        self.merge = skip_init(nn.Conv2d, 2 * c, c, 3, padding=1)
        self.up = _ResidualBlock(c, e)
        self.out_norm = nn.GroupNorm(_groups(c), c)
        self.out = skip_init(nn.Conv2d, c, in_channels, 3, padding=1)
        init_parameters(self, seed)

    def embedding(self, t: Tensor, labels: Tensor | None) -> Tensor:
        """e(t, y): the time embedding's MLP plus the class embedding, (batch, 4 channels)."""
        sinusoid = sinusoidal_embedding(t, self.time_embedding_dim).to(self.inp.weight.dtype)
        embedding = self.time(sinusoid)
        if self.label is None:
            if labels is not None:
                raise ValueError("labels given to an unconditional EpsilonUNet (n_classes=None)")
            return embedding
        if labels is None:
            raise ValueError("a class-conditional EpsilonUNet needs labels")
        return embedding + self.label(labels)

    def forward(self, x: Tensor, t: Tensor, labels: Tensor | None = None) -> Tensor:
        """The predicted noise, shape of ``x`` (batch, in_channels, side, side)."""
        embedding = self.embedding(t, labels)
        skip = self.down1(self.inp(x), embedding)  # (batch, c, side, side)
        h = self.down2(self.downsample(skip), embedding)  # (batch, 2c, side/2, side/2)
        h = self.middle(h, embedding)
        h = self.merge(torch.cat([self.upsample(h), skip], dim=1))  # (batch, c, side, side)
        h = self.up(h, embedding)
        return self.out(nn.functional.silu(self.out_norm(h)))
