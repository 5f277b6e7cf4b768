"""Digits: the notes' dense network against their convolutional network (seed 000, §4.4-4.6).

The MNIST stand-in is the 8 x 8 digits set (1,797 images, see ``labcoat.models.datasets``).
The dense network is the notes' Example 1 (one sigmoid hidden layer, softmax output, the
cross-entropy of eq. 4.14, plain SGD with learning rate 0.5 and mini-batches of 10) on the
flattened 8 x 8 pixels; the CNN is the notes' Example 3 ("advanced MNIST", two 3x3
convolution + 2x2 max-pooling blocks, 50 % dropout, a dense layer of 100) on the digits
upsampled to 28 x 28, trained with Adam. Both see the same stratified train/test split. The
exercise reports test accuracy (eq. 4.19), per-class precision, recall and specificity
(eqs. 4.20-4.22), confusion matrices and learning curves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch import nn
from torch.nn import functional as F

from labcoat.exercises._framework import Exercise, Result, Table, check_float, check_ints, track
from labcoat.models.cnn import CNN
from labcoat.models.datasets import SplitData, digits_data
from labcoat.models.metrics import accuracy, confusion_matrix, precision, recall, specificity
from labcoat.models.mlp import MLP
from labcoat.models.training import History, fit, predict


@dataclass(frozen=True)
class Config:
    """Settings of the digits exercise (defaults: the notes' recipes)."""

    hidden_size: int = 30
    """Neurons in the dense network's hidden layer (the notes use 30 and 100)."""
    dense_learning_rate: float = 0.5
    """SGD learning rate of the dense network (the notes' eta = 0.5)."""
    dense_batch_size: int = 10
    """Mini-batch size of the dense network (the notes use 10)."""
    dense_epochs: int = 30
    """Training epochs of the dense network (the notes use 30)."""
    cnn_learning_rate: float = 1e-3
    """Adam learning rate of the CNN."""
    cnn_batch_size: int = 32
    """Mini-batch size of the CNN."""
    cnn_epochs: int = 10
    """Training epochs of the CNN."""
    image_size: int = 28
    """Side of the CNN's input images (digits upsampled bilinearly; 28 = MNIST's size)."""
    test_fraction: float = 0.25
    """Share of each digit held out for testing."""
    seed: int = 0
    """Seeds the split, the initial weights, dropout and the batch order."""

    def __post_init__(self) -> None:
        check_ints(
            self,
            {
                "hidden_size": 1,
                "dense_batch_size": 1,
                "dense_epochs": 1,
                "cnn_batch_size": 1,
                "cnn_epochs": 1,
                "image_size": 12,
                "seed": 0,
            },
        )
        for name in ("dense_learning_rate", "cnn_learning_rate"):
            check_float(name, getattr(self, name), 0.0, low_open=True)
        check_float("test_fraction", self.test_fraction, 0.0, 1.0, low_open=True, high_open=True)


@dataclass
class _Trained:
    model: nn.Module
    history: History
    data: SplitData


def _train(model: nn.Module, data: SplitData, config: Config, **settings: Any) -> _Trained:
    """Cross-entropy training (eq. 4.14) with test accuracy recorded after every epoch."""
    history = fit(
        model,
        data.train,
        loss=F.cross_entropy,
        seed=config.seed,
        validation_data=data.test,
        metrics={"accuracy": accuracy},
        **settings,
    )
    return _Trained(model, history, data)


def train_dense(config: Config) -> _Trained:
    """The notes' Example 1 on flattened 8 x 8 digits: 64 -> hidden (sigmoid) -> 10, SGD."""
    data = digits_data(8, config.test_fraction, config.seed, layout="flat")
    model = MLP((64, config.hidden_size, 10), activation="sigmoid", seed=config.seed)
    return _train(
        model,
        data,
        config,
        optimizer=torch.optim.SGD,
        learning_rate=config.dense_learning_rate,
        epochs=config.dense_epochs,
        batch_size=config.dense_batch_size,
    )


def train_cnn(config: Config) -> _Trained:
    """The notes' Example 3 (advanced MNIST) on the upsampled digits, Adam."""
    data = digits_data(config.image_size, config.test_fraction, config.seed)
    model = CNN.advanced_mnist(image_size=config.image_size, seed=config.seed)
    return _train(
        model,
        data,
        config,
        learning_rate=config.cnn_learning_rate,
        epochs=config.cnn_epochs,
        batch_size=config.cnn_batch_size,
    )


def _evaluation(trained: _Trained) -> dict[str, Any]:
    labels = trained.data.y_test.numpy()
    predicted = predict(trained.model, trained.data.x_test).argmax(1).numpy()
    return {
        "accuracy": accuracy(labels, predicted),
        "precision": precision(labels, predicted, average=None),
        "recall": recall(labels, predicted, average=None),
        "specificity": specificity(labels, predicted, average=None),
        "confusion_matrix": confusion_matrix(labels, predicted, n_classes=10),
        "parameters": sum(p.numel() for p in trained.model.parameters()),
    }


def run(config: Config) -> Result:
    """Train both networks, evaluate them on the held-out digits and plot the comparison."""
    trained = {}
    for name, train in track((("dense", train_dense), ("cnn", train_cnn)), "training", total=2):
        trained[name] = train(config)
    scores = {name: _evaluation(t) for name, t in trained.items()}
    result = Result()
    result.metrics = {
        name: {
            "accuracy": s["accuracy"],
            "parameters": s["parameters"],
            "macro_precision": float(np.mean(s["precision"])),
            "macro_recall": float(np.mean(s["recall"])),
            "macro_specificity": float(np.mean(s["specificity"])),
            "confusion_matrix": s["confusion_matrix"],
            "final_train_loss": trained[name].history.train_loss[-1],
            "final_test_loss": trained[name].history.val_loss[-1],
        }
        for name, s in scores.items()
    }
    result.tables["summary"] = _summary_table(scores)
    result.tables["per_class"] = _per_class_table(scores)
    for name, t in trained.items():
        result.data[f"learning_curve_{name}"] = _curve(t.history)
    result.figures["confusion_matrices"] = _confusion_figure(scores)
    result.figures["learning_curves"] = _curve_figure(trained, config)
    return result


def _curve(history: History) -> dict[str, np.ndarray]:
    return {
        "epoch": np.arange(1, history.epochs_run + 1),
        "train_loss": np.array(history.train_loss),
        "test_loss": np.array(history.val_loss),
        "train_accuracy": np.array(history.metrics["train_accuracy"]),
        "test_accuracy": np.array(history.metrics["val_accuracy"]),
    }


LABELS = {"dense": "dense (notes' Example 1)", "cnn": "CNN (notes' Example 3)"}


def _summary_table(scores: dict[str, dict[str, Any]]) -> Table:
    rows = [
        [
            LABELS[name],
            s["parameters"],
            round(s["accuracy"], 4),
            round(float(np.mean(s["precision"])), 4),
            round(float(np.mean(s["recall"])), 4),
            round(float(np.mean(s["specificity"])), 4),
        ]
        for name, s in scores.items()
    ]
    columns = ["network", "parameters", "test accuracy", "precision", "recall", "specificity"]
    return Table("Digits: test-set scores (macro averages over the 10 digits)", columns, rows)


def _per_class_table(scores: dict[str, dict[str, Any]]) -> Table:
    columns = ["digit"] + [
        f"{name} {measure}" for name in scores for measure in ("precision", "recall")
    ]
    rows = [
        [digit]
        + [
            round(float(scores[name][measure][digit]), 3)
            for name in scores
            for measure in ("precision", "recall")
        ]
        for digit in range(10)
    ]
    return Table("Per-digit precision and recall (eqs. 4.20-4.21)", columns, rows)


def _confusion_figure(scores: dict[str, dict[str, Any]]) -> Figure:
    figure = Figure(figsize=(11, 5), layout="constrained")
    axes = figure.subplots(1, len(scores))
    for ax, (name, s) in zip(np.atleast_1d(axes), scores.items(), strict=True):
        matrix = s["confusion_matrix"]
        image = ax.imshow(matrix, cmap="Blues")
        for i in range(10):
            for j in range(10):
                if matrix[i, j]:
                    color = "white" if matrix[i, j] > matrix.max() / 2 else "black"
                    ax.text(
                        j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7, color=color
                    )
        ax.set_xticks(range(10))
        ax.set_yticks(range(10))
        ax.set_xlabel("predicted digit")
        ax.set_ylabel("true digit")
        ax.set_title(f"{LABELS[name]}: accuracy {s['accuracy']:.3f}")
        figure.colorbar(image, ax=ax, shrink=0.8, label="test images")
    figure.suptitle("Confusion matrices on the held-out digits")
    return figure


def _curve_figure(trained: dict[str, _Trained], config: Config) -> Figure:
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    loss_ax, accuracy_ax = figure.subplots(1, 2)
    colors = {"dense": "#1f77b4", "cnn": "#d62728"}
    for name, t in trained.items():
        curve = _curve(t.history)
        for split, style in (("train", "--"), ("test", "-")):
            label = f"{LABELS[name]}, {split}"
            loss_ax.plot(
                curve["epoch"], curve[f"{split}_loss"], style, color=colors[name], label=label
            )
            accuracy_ax.plot(
                curve["epoch"], curve[f"{split}_accuracy"], style, color=colors[name], label=label
            )
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("cross-entropy (eq. 4.14)")
    loss_ax.set_title("Loss")
    accuracy_ax.set_xlabel("epoch")
    accuracy_ax.set_ylabel("accuracy (eq. 4.19)")
    accuracy_ax.set_title("Accuracy")
    accuracy_ax.legend(loc="lower right", fontsize=8)
    for ax in (loss_ax, accuracy_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.suptitle(
        "Learning curves: training (dashed) and held-out test (solid); budget: "
        f"{config.dense_epochs} epochs (dense), {config.cnn_epochs} (CNN), seed {config.seed}"
    )
    return figure


EXERCISE = Exercise(
    name="digits",
    summary="Digits: a dense network against a CNN, with metrics and confusion matrix",
    config=Config,
    run=run,
    quick={"dense_epochs": 5, "cnn_epochs": 3, "image_size": 16},
    groups={
        "model": ("hidden_size", "image_size"),
        "training": (
            "dense_learning_rate",
            "dense_batch_size",
            "dense_epochs",
            "cnn_learning_rate",
            "cnn_batch_size",
            "cnn_epochs",
        ),
    },
)
