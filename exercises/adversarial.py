"""Adversarial examples and dreaming on a digits classifier (seed 000, §6.2-6.3).

A dense classifier is trained on the 8 x 8 digits (pixels in [0, 1]). On test images it
classifies correctly we then compare, for a range of perturbation sizes epsilon (max-norm):

* FGSM, the standard untargeted fast gradient sign method: x + eps sign(grad_x CE);
* the notes' Algorithm 5: T signed steps of size eps / T down the squared loss
  |F(x) - y*|^2 (eq. 6.2) towards a wrong target y* (here the next digit, y + 1 mod 10);
* random noise of the same size: x + eps s with random signs s_i = +-1.

Every perturbed image is clipped to [0, 1]. The success rate of an attack is the share of
images whose predicted class changed (for Algorithm 5 also: reached the target). Finally, the
classifier "dreams" (eq. 6.3): gradient descent on the input, from random noise, until the
network classifies it as each digit with high confidence, though it looks nothing like one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor, nn
from torch.nn import functional as F

from labcoat.exercises._framework import (
    Exercise,
    Result,
    Table,
    check_choice,
    check_float,
    check_floats,
    check_int,
    check_ints,
    track,
)
from labcoat.models.datasets import digits_data
from labcoat.models.interpret import dream, fgsm, iterated_targeted_attack, random_sign_noise
from labcoat.models.metrics import accuracy
from labcoat.models.mlp import MLP
from labcoat.models.training import fit, predict


@dataclass(frozen=True)
class Config:
    """Settings of the adversarial-examples exercise."""

    hidden_size: int = 64
    """Neurons in the classifier's hidden layer (ReLU)."""
    epochs: int = 30
    """Training epochs of the classifier (Adam, batches of 32)."""
    learning_rate: float = 3e-3
    """Adam learning rate of the classifier."""
    epsilons: tuple[float, ...] = (0.0, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3)
    """Perturbation sizes (max-norm, pixels in [0, 1]) of the success-rate curves."""
    example_epsilon: float = 0.15
    """Perturbation size of the example images and of the headline metrics."""
    attack_steps: int = 10
    """Iterations T of the notes' Algorithm 5."""
    n_attacked: int = 300
    """Correctly classified test images attacked."""
    dream_steps: int = 200
    """Gradient steps of dreaming."""
    dream_learning_rate: float = 0.1
    """Learning rate eta of dreaming (eq. 6.3)."""
    dream_l2: float = 1e-3
    """Weight of the L2 regularizer |x - x_0|^2 / 2 of dreaming."""
    dream_loss: Literal["cross_entropy", "squared"] = "cross_entropy"
    """Dreaming loss: -log F_target, or the notes' |F - y*|^2 (saturates from noise)."""
    seed: int = 0
    """Seeds the split, the classifier, the noise and the dreams' starting images."""

    def __post_init__(self) -> None:
        check_ints(
            self,
            {"hidden_size": 1, "epochs": 1, "attack_steps": 1, "n_attacked": 1, "dream_steps": 1},
        )
        check_int("seed", self.seed, 0)
        for name in ("learning_rate", "dream_learning_rate"):
            check_float(name, getattr(self, name), 0.0, low_open=True)
        check_float("dream_l2", self.dream_l2, 0.0)
        check_float("example_epsilon", self.example_epsilon, 0.0, 1.0)
        check_floats("epsilons", self.epsilons, 0.0, 1.0)
        check_choice("dream_loss", self.dream_loss, ("cross_entropy", "squared"))


def train_classifier(config: Config) -> tuple[nn.Module, Tensor, Tensor, float]:
    """Train the dense digits classifier.

    Returns:
        The model, up to ``n_attacked`` correctly classified test images and their labels,
        and the test accuracy.
    """
    data = digits_data(8, 0.25, config.seed, layout="flat")
    model = MLP((64, config.hidden_size, 10), activation="relu", seed=config.seed)
    fit(
        model,
        data.train,
        loss=F.cross_entropy,
        learning_rate=config.learning_rate,
        epochs=config.epochs,
        batch_size=32,
        seed=config.seed,
    )
    predicted = predict(model, data.x_test).argmax(1)
    correct = predicted == data.y_test
    x, y = data.x_test[correct][: config.n_attacked], data.y_test[correct][: config.n_attacked]
    return model, x, y, accuracy(data.y_test, predicted)


def _changed(model: nn.Module, x: Tensor, labels: Tensor) -> float:
    return float((predict(model, x).argmax(1) != labels).float().mean())


def _reached(model: nn.Module, x: Tensor, target: Tensor) -> float:
    return float((predict(model, x).argmax(1) == target).float().mean())


def attack_curves(
    model: nn.Module, x: Tensor, labels: Tensor, config: Config
) -> dict[str, np.ndarray]:
    """Success rates of FGSM, Algorithm 5 and random noise against epsilon."""
    target = (labels + 1) % 10
    rows = []
    for index, epsilon in enumerate(track(config.epsilons, "attacks", len(config.epsilons))):
        generator = torch.Generator().manual_seed(config.seed * 1000 + index)
        iterated = iterated_targeted_attack(model, x, target, epsilon, config.attack_steps)
        rows.append(
            [
                epsilon,
                _changed(model, fgsm(model, x, labels, epsilon), labels),
                _changed(model, iterated, labels),
                _reached(model, iterated, target),
                _changed(model, random_sign_noise(x, epsilon, generator), labels),
            ]
        )
    table = np.array(rows)
    names = [
        "epsilon",
        "fgsm_changed",
        "iterated_changed",
        "iterated_reached_target",
        "noise_changed",
    ]
    return {name: table[:, i] for i, name in enumerate(names)}


def run(config: Config) -> Result:
    """Train, attack over the epsilon grid, show examples and dream of every digit."""
    model, x, labels, test_accuracy = train_classifier(config)
    curves = attack_curves(model, x, labels, config)
    examples = _examples(model, x[:6], labels[:6], config)
    start = torch.rand(10, 64, generator=torch.Generator().manual_seed(config.seed + 1))
    dreamed = dream(
        model,
        torch.arange(10),
        start,
        steps=config.dream_steps,
        learning_rate=config.dream_learning_rate,
        l2=config.dream_l2,
        loss=config.dream_loss,
    )
    at = _headline(model, x, labels, config)
    result = Result()
    result.metrics = {
        "test_accuracy": test_accuracy,
        "n_attacked": len(labels),
        "example_epsilon": config.example_epsilon,
        **at,
        "dream_confidence": dreamed.confidence.tolist(),
        "dream_min_confidence": float(dreamed.confidence.min()),
    }
    result.data["success_rates"] = curves
    result.tables["success_rates"] = Table(
        "Share of correctly classified test digits whose prediction changes",
        ["epsilon", "FGSM", "Algorithm 5 (changed)", "Algorithm 5 (reached y+1)", "random ±ε"],
        [[round(float(v), 4) for v in row] for row in zip(*curves.values(), strict=True)],
    )
    result.figures["success_rates"] = _success_figure(curves, config)
    result.figures["examples"] = _examples_figure(examples, config)
    result.figures["dreams"] = _dream_figure(dreamed.inputs, dreamed.confidence)
    return result


def _headline(model: nn.Module, x: Tensor, labels: Tensor, config: Config) -> dict[str, float]:
    epsilon, target = config.example_epsilon, (labels + 1) % 10
    generator = torch.Generator().manual_seed(config.seed + 7)
    iterated = iterated_targeted_attack(model, x, target, epsilon, config.attack_steps)
    return {
        "fgsm_success": _changed(model, fgsm(model, x, labels, epsilon), labels),
        "noise_success": _changed(model, random_sign_noise(x, epsilon, generator), labels),
        "iterated_success": _changed(model, iterated, labels),
        "iterated_target_reached": _reached(model, iterated, target),
    }


def _examples(model: nn.Module, x: Tensor, labels: Tensor, config: Config) -> dict[str, Any]:
    epsilon = config.example_epsilon
    generator = torch.Generator().manual_seed(config.seed + 3)
    images = {
        "original": x,
        f"FGSM ε={epsilon:g}": fgsm(model, x, labels, epsilon),
        f"Alg. 5 → y+1, ε={epsilon:g}": iterated_targeted_attack(
            model, x, (labels + 1) % 10, epsilon, config.attack_steps
        ),
        f"random ±ε, ε={epsilon:g}": random_sign_noise(x, epsilon, generator),
    }
    probabilities = {name: torch.softmax(predict(model, v), 1) for name, v in images.items()}
    return {"images": images, "probabilities": probabilities}


def _success_figure(curves: dict[str, np.ndarray], config: Config) -> Figure:
    figure = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = figure.subplots()
    eps = curves["epsilon"]
    ax.plot(eps, curves["fgsm_changed"], "o-", color="#d62728", label="FGSM (untargeted)")
    ax.plot(
        eps,
        curves["iterated_changed"],
        "s-",
        color="#1f77b4",
        label=f"Algorithm 5, T={config.attack_steps}: prediction changed",
    )
    ax.plot(
        eps,
        curves["iterated_reached_target"],
        "s--",
        color="#1f77b4",
        label="Algorithm 5: target y+1 reached",
    )
    ax.plot(eps, curves["noise_changed"], "^-", color="#7f7f7f", label="random ±ε noise")
    ax.set_xlabel("perturbation size ε (max-norm, pixels in [0, 1])")
    ax.set_ylabel("success rate")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Adversarial directions are special: attacks vs noise of equal size")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return figure


def _examples_figure(examples: dict[str, Any], config: Config) -> Figure:
    images, probabilities = examples["images"], examples["probabilities"]
    n_rows, n_cols = len(images), len(next(iter(images.values())))
    figure = Figure(figsize=(1.7 * n_cols + 1.5, 1.9 * n_rows), layout="constrained")
    axes = figure.subplots(n_rows, n_cols, squeeze=False)
    for row, name in enumerate(images):
        for col in range(n_cols):
            ax = axes[row, col]
            ax.imshow(images[name][col].reshape(8, 8).numpy(), cmap="gray_r", vmin=0, vmax=1)
            p = probabilities[name][col]
            ax.set_title(f"→ {int(p.argmax())} ({float(p.max()):.2f})", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(name, fontsize=9)
    figure.suptitle("Examples: predicted digit (probability) under each perturbation")
    return figure


def _dream_figure(inputs: Tensor, confidence: Tensor) -> Figure:
    figure = Figure(figsize=(12, 2.6), layout="constrained")
    axes = figure.subplots(1, len(inputs))
    for digit, ax in enumerate(axes):
        ax.imshow(inputs[digit].reshape(8, 8).numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"'{digit}': {float(confidence[digit]):.3f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    figure.suptitle(
        "Dreaming (eq. 6.3) from random noise: inputs classified as each digit "
        "with the shown confidence"
    )
    return figure


EXERCISE = Exercise(
    name="adversarial",
    summary="Adversarial examples (FGSM, the notes' iterated attack) and dreaming",
    config=Config,
    run=run,
    quick={
        "epochs": 15,
        "n_attacked": 150,
        "epsilons": (0.0, 0.05, 0.1, 0.15, 0.2),
        "dream_steps": 100,
    },
    groups={
        "model": ("hidden_size",),
        "training": ("epochs", "learning_rate"),
    },
)
