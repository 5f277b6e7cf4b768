"""A small class-conditional convolutional GAN for small images (DCGAN-style).

Radford, Metz and Chintala 2016 (DCGAN): the generator grows an image from the noise with
transposed convolutions, batch normalization and ReLU, ending in tanh (data scaled to
[-1, 1]); the discriminator shrinks it with strided convolutions and leaky ReLU. Both are
conditioned on the class y: the generator sees [z, embedding(y)], and the discriminator is a
projection discriminator (Miyato and Koyama 2018), l(x, y) = w·φ(x) + b + embedding(y)·φ(x)
with φ the convolutional features. Train it with :func:`labcoat.models.gan.train_gan`
(``labels=``), which uses the losses of seed 000, §5.5 (eqs. 5.22 and 5.25) on these logits.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils import skip_init

from labcoat.classic._checks import check_int
from labcoat.models._random import DeviceLike, check_device, torch_generator
from labcoat.models.training import init_parameters, model_device

__all__ = ["ConvDiscriminator", "ConvGAN", "ConvGenerator"]


def _side(image_size: int) -> int:
    """The generator's starting side: image_size / 2 (the image side must be even)."""
    size = check_int("side", image_size, 4)
    if size % 2:
        raise ValueError(f"side must be an even integer >= 4, got {image_size}")
    return size // 2


class ConvGenerator(nn.Module):
    """G(z, y): Linear to (2c, s/2, s/2), BN, ReLU; ConvT to (c, s, s), BN, ReLU; conv; tanh."""

    def __init__(
        self, n_noise: int, n_classes: int, channels: int, image_size: int, in_channels: int
    ) -> None:
        super().__init__()
        self.start = (2 * channels, _side(image_size), _side(image_size))
        self.label = nn.Embedding(n_classes, n_noise)
        self.project = skip_init(nn.Linear, 2 * n_noise, 2 * channels * self.start[1] ** 2)
        self.norm0 = nn.BatchNorm2d(2 * channels)
        self.up = skip_init(nn.ConvTranspose2d, 2 * channels, channels, 4, stride=2, padding=1)
        self.norm1 = nn.BatchNorm2d(channels)
        self.out = skip_init(nn.Conv2d, channels, in_channels, 3, padding=1)

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        """Images in [-1, 1], shape (batch, in_channels, image_size, image_size)."""
        h = self.project(torch.cat([z, self.label(labels)], dim=1)).reshape(-1, *self.start)
        h = torch.relu(self.norm1(self.up(torch.relu(self.norm0(h)))))  # (batch, c, s, s)
        return torch.tanh(self.out(h))


class ConvDiscriminator(nn.Module):
    """l(x, y) = w·φ(x) + b + embedding(y)·φ(x), φ: two strided convs with leaky ReLU."""

    def __init__(self, n_classes: int, channels: int, image_size: int, in_channels: int) -> None:
        super().__init__()
        side = _side(image_size)
        self.conv1 = skip_init(nn.Conv2d, in_channels, channels, 3, padding=1)
        self.conv2 = skip_init(nn.Conv2d, channels, 2 * channels, 4, stride=2, padding=1)
        width = 2 * channels * side * side
        self.output = skip_init(nn.Linear, width, 1)
        self.label = nn.Embedding(n_classes, width)

    def features(self, x: Tensor) -> Tensor:
        """φ(x), flattened: (batch, 2c · (s/2)²)."""
        h = nn.functional.leaky_relu(self.conv1(x), 0.2)
        return nn.functional.leaky_relu(self.conv2(h), 0.2).flatten(1)

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        """The logit l(x, y), shape (batch,)."""
        phi = self.features(x)
        return self.output(phi).squeeze(-1) + (self.label(labels) * phi).sum(-1)


class ConvGAN(nn.Module):
    """A class-conditional convolutional GAN: G(z, y) and D(x, y) = σ(l(x, y)).

    Args:
        n_noise: dimension of z (≥ 1).
        n_classes: number of classes (≥ 1).
        width: channels c at full resolution (2c at half; ≥ 1).
        side: side s of the square one-channel images (even, ≥ 4).
        seed: seeds the initial weights (G from ``seed``, D from ``seed + 1``).

    Attributes:
        generator: :class:`ConvGenerator`.
        discriminator: :class:`ConvDiscriminator`.
    """

    def __init__(
        self, n_noise: int = 32, n_classes: int = 10, width: int = 32, side: int = 8, seed: int = 0
    ) -> None:
        super().__init__()
        self.n_noise = check_int("n_noise", n_noise, 1)
        self.n_classes = check_int("n_classes", n_classes, 1)
        width = check_int("width", width, 1)
        self.generator = ConvGenerator(n_noise, n_classes, width, side, 1)
        self.discriminator = ConvDiscriminator(n_classes, width, side, 1)
        init_parameters(self.generator, seed)
        init_parameters(self.discriminator, seed + 1)

    def noise(self, n_samples: int, generator: torch.Generator) -> Tensor:
        """Draw z ~ N(0, 1), shape (n_samples, n_noise), on the model's device."""
        weight = self.generator.project.weight
        shape = (n_samples, self.n_noise)
        return torch.randn(shape, generator=generator, dtype=weight.dtype, device=weight.device)

    def generate(self, z: Tensor, labels: Tensor) -> Tensor:
        """G(z, y), images in [-1, 1]."""
        return self.generator(z, labels)

    def discriminate(self, x: Tensor, labels: Tensor) -> Tensor:
        """The logit l(x, y) with D(x, y) = σ(l), shape (batch,)."""
        return self.discriminator(x, labels)

    def sample(self, labels: Tensor, *, seed: int, device: DeviceLike | None = None) -> Tensor:
        """G(z, y) for one fresh z per label, in eval mode (batch-norm running statistics).

        Args:
            labels: the classes y to draw, int64 (n,).
            seed: seeds the ``torch.Generator`` of z (on the sampling device).
            device: where to sample (the model is moved there); None: the model's device.
        """
        target = model_device(self) if device is None else check_device(device)
        self.to(target)
        labels = labels.to(target)
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                z = self.noise(len(labels), torch_generator(seed, device=target))
                return self.generate(z, labels)
        finally:
            self.train(was_training)
