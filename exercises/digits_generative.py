"""Image generative models on the 8 x 8 digits, scored by a Fréchet distance.

A class-conditional DDPM (Ho et al. 2020; seed 002, "Diffusion models") with a small
convolutional U-Net noise predictor (:class:`labcoat.models.unet.EpsilonUNet`) and a
class-conditional convolutional GAN (DCGAN-style, :class:`labcoat.models.dcgan.ConvGAN`;
seed 000, §5.5) learn the digits (pixels scaled to [-1, 1]). Their quality is measured in
the feature space of labcoat's own digit classifier, the notes' CNN (§4.6.4, padded for
8 x 8 inputs, :meth:`labcoat.models.cnn.CNN.advanced_mnist`) trained here on the same
training split: the penultimate (100-unit) layer's activations of generated digits and of
the training digits are each fitted by a Gaussian and compared by the Fréchet distance
|μ₁ - μ₂|² + tr(Σ₁ + Σ₂ - 2 (Σ₁^½ Σ₂ Σ₁^½)^½) (the FID of Heusel et al. 2017, with this
classifier in place of Inception). The classifier's accuracy on the samples, against the
class each was asked for, measures whether the conditioning works.

Every generated set has as many digits, with the same labels, as the held-out test split, so
the distances are comparable (the Fréchet distance is biased by the sample size): the
held-out real digits give the floor, and a Gaussian fitted to each class's pixels (then
clipped to [0, 1]) is the baseline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from labcoat.classic._checks import check_choice, check_float, check_int
from labcoat.exercises._framework import Exercise, Result, Table, check_ints, track
from labcoat.models._random import numpy_generator
from labcoat.models.cnn import CNN
from labcoat.models.datasets import SplitData, digits_data
from labcoat.models.dcgan import ConvGAN
from labcoat.models.diffusion import DDPM, ddpm_objective
from labcoat.models.gan import train_gan
from labcoat.models.metrics import accuracy, frechet_distance
from labcoat.models.training import fit
from labcoat.models.unet import EpsilonUNet


@dataclass(frozen=True)
class Config:
    """Settings of the digits-generative exercise."""

    classifier_epochs: int = 20
    """Training epochs of the feature classifier (≥ 1)."""
    ddpm_epochs: int = 150
    """Training epochs of the DDPM (≥ 1; at 60 it does not yet beat the Gaussian baseline)."""
    ddpm_steps: int = 100
    """T, the DDPM's diffusion steps (linear schedule, 2..1000)."""
    ddpm_width: int = 16
    """Channels of the U-Net at full resolution (≥ 1)."""
    ddpm_learning_rate: float = 2e-3
    """Adam step size of the DDPM (> 0)."""
    gan_steps: int = 1000
    """GAN iterations, one discriminator and one generator step each (≥ 1)."""
    gan_width: int = 32
    """Channels of the GAN's networks at full resolution (≥ 1)."""
    n_noise: int = 32
    """Dimension of the GAN's noise z (≥ 1)."""
    gan_learning_rate: float = 2e-4
    """Adam step size of both GAN players (> 0)."""
    batch_size: int = 64
    """Batch size of every model (≥ 1)."""
    test_fraction: float = 0.25
    """Share of each class held out: the floor's real digits and the sample size (0.05..0.5)."""
    device: str = "cpu"
    """Where the models train and sample: "cpu", "cuda" or "mps"."""
    seed: int = 0
    """Seed of the split, the weights, the batches and the samples."""

    def __post_init__(self) -> None:
        check_ints(
            self,
            {
                "seed": 0,
                "classifier_epochs": 1,
                "ddpm_epochs": 1,
                "ddpm_width": 1,
                "gan_steps": 1,
                "gan_width": 1,
                "n_noise": 1,
                "batch_size": 1,
            },
        )
        check_int("ddpm_steps", self.ddpm_steps, 2, 1000)
        for name in ("ddpm_learning_rate", "gan_learning_rate"):
            check_float(name, getattr(self, name), 0.0, low_open=True)
        check_float("test_fraction", self.test_fraction, 0.05, 0.5)
        check_choice("device", self.device, ("cpu", "cuda", "mps"))


def _classifier(config: Config, data: SplitData) -> CNN:
    model = CNN.advanced_mnist(image_size=8, padding=1, seed=config.seed)
    fit(model, data.train, loss=nn.functional.cross_entropy, epochs=config.classifier_epochs,
        batch_size=32, seed=config.seed + 1, device=config.device)  # fmt: skip
    return model.eval()


def features(classifier: CNN, images: torch.Tensor) -> np.ndarray:
    """The classifier's penultimate layer (the dense 100 ReLU units) for images in [0, 1]."""
    with torch.no_grad():
        x = images.to(classifier.head[0].weight.device)
        return classifier.head[:-1](classifier.features(x)).cpu().numpy()


def gaussian_digits(data: SplitData, labels: torch.Tensor, seed: int) -> torch.Tensor:
    """The baseline: per class, pixels drawn from the class's fitted Gaussian, clipped to [0, 1]."""
    rng = numpy_generator(seed)
    x = data.x_train.flatten(1).numpy().astype(np.float64)
    y = data.y_train.numpy()
    out = np.empty((len(labels), x.shape[1]))
    for label in np.unique(labels.numpy()):
        rows = labels.numpy() == label
        members = x[y == label]
        out[rows] = rng.multivariate_normal(
            members.mean(0), np.cov(members.T), size=int(rows.sum()), method="eigh"
        )
    return torch.tensor(out.clip(0, 1), dtype=torch.float32).reshape(-1, 1, 8, 8)


def _ddpm(config: Config, data: SplitData) -> tuple[torch.Tensor, list[float], float]:
    network = EpsilonUNet(1, config.ddpm_width, 32, n_classes=10, seed=config.seed)
    model = DDPM(64, config.ddpm_steps, seed=config.seed, network=network, data_shape=(1, 8, 8))
    start = time.perf_counter()
    history = fit(model, (2 * data.x_train - 1, data.y_train), loss=ddpm_objective(True),
                  epochs=config.ddpm_epochs, batch_size=config.batch_size,
                  learning_rate=config.ddpm_learning_rate, seed=config.seed + 2,
                  device=config.device, progress_bar=True)  # fmt: skip
    seconds = time.perf_counter() - start
    samples = model.sample(len(data.y_test), seed=config.seed + 3, labels=data.y_test)
    return ((samples.cpu() + 1) / 2).clamp(0, 1), history.train_loss, seconds


def _gan(config: Config, data: SplitData) -> tuple[torch.Tensor, list[float], float]:
    gan = ConvGAN(config.n_noise, 10, config.gan_width, seed=config.seed)
    start = time.perf_counter()
    history = train_gan(gan, 2 * data.x_train - 1, labels=data.y_train, n_steps=config.gan_steps,
                        batch_size=config.batch_size, learning_rate=config.gan_learning_rate,
                        seed=config.seed + 4, device=config.device)  # fmt: skip
    seconds = time.perf_counter() - start
    samples = gan.sample(data.y_test, seed=config.seed + 5)
    return ((samples.cpu() + 1) / 2).clamp(0, 1), history.generator_loss, seconds


def _grid(figure: Figure, sets: dict[str, torch.Tensor], labels: torch.Tensor) -> None:
    """Two samples of each class per row, one row per source."""
    picks = [int(i) for d in range(10) for i in np.flatnonzero(labels.numpy() == d)[:2]]
    axes = figure.subplots(len(sets), len(picks), squeeze=False)
    for row, (name, images) in zip(axes, sets.items(), strict=True):
        for ax, index in zip(row, picks, strict=True):
            ax.imshow(images[index, 0].numpy(), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(name, rotation=0, ha="right", va="center")


def _figures(sets: dict[str, torch.Tensor], labels: torch.Tensor, curves: dict) -> dict:
    samples = Figure(figsize=(12, 0.75 * len(sets) + 0.6), layout="constrained")
    _grid(samples, sets, labels)
    samples.suptitle("two digits of each class 0-9 per row (generated ones asked for that class)")
    training = Figure(figsize=(11, 3.6), layout="constrained")
    left, right = training.subplots(1, 2)
    left.plot(np.arange(1, len(curves["ddpm"]) + 1), curves["ddpm"])
    left.set(title="DDPM: Ho eq. 14 loss", xlabel="epoch", ylabel="loss", yscale="log")
    right.plot(np.arange(1, len(curves["gan"]) + 1), curves["gan"], lw=0.5)
    right.set(title="GAN: generator loss (eq. 5.25)", xlabel="iteration", ylabel="L_G")
    return {"samples": samples, "training": training}


def run(config: Config) -> Result:
    """Train the classifier, the DDPM and the GAN; score every sample set against the floor."""
    data = digits_data(8, config.test_fraction, seed=config.seed)
    classifier = _classifier(config, data)
    reference = features(classifier, data.x_train)
    sets = {
        "held-out digits": data.x_test,
        "Gaussian per class": gaussian_digits(data, data.y_test, config.seed + 6),
    }
    seconds = {"held-out digits": 0.0, "Gaussian per class": 0.0}
    curves = {}
    for name, train in track({"DDPM (U-Net)": _ddpm, "GAN (conv)": _gan}.items(), "models"):
        sets[name], curves["ddpm" if name.startswith("DDPM") else "gan"], seconds[name] = train(
            config, data
        )
    rows = []
    metrics: dict[str, float] = {}
    for name, images in sets.items():
        distance = frechet_distance(features(classifier, images), reference)
        with torch.no_grad():
            scores = classifier(images.to(classifier.head[0].weight.device)).cpu()
        correct = accuracy(data.y_test, scores)
        rows.append([name, len(images), distance, correct, seconds[name]])
        key = name.split(" ")[0].lower().replace("-", "_")
        metrics.update({f"{key}_frechet": distance, f"{key}_accuracy": correct})
        metrics[f"{key}_seconds"] = seconds[name]
    table = Table(
        "Fréchet distance to the training digits in the classifier's feature space",
        ["samples", "n", "Fréchet distance", "classifier accuracy", "training s"],
        rows,
    )
    return Result(
        tables={"scores": table},
        figures=_figures(sets, data.y_test, curves),
        data={
            "ddpm_loss": {"epoch": np.arange(1, len(curves["ddpm"]) + 1), "loss": curves["ddpm"]},
            "gan_loss": {"step": np.arange(1, len(curves["gan"]) + 1), "loss": curves["gan"]},
        },
        metrics=metrics,
    )


SUMMARY = "DDPM and convolutional GAN on the digits, scored by a Fréchet distance"
EXERCISE = Exercise(
    "digits-generative",
    SUMMARY,
    Config,
    run,
    quick={
        "classifier_epochs": 2,
        "ddpm_epochs": 2,
        "ddpm_steps": 10,
        "ddpm_width": 8,
        "gan_steps": 20,
        "gan_width": 8,
    },  # fmt: skip
    groups={
        "classifier": ("classifier_epochs",),
        "DDPM": ("ddpm_epochs", "ddpm_steps", "ddpm_width", "ddpm_learning_rate"),
        "GAN": ("gan_steps", "gan_width", "n_noise", "gan_learning_rate"),
    },
)
