"""Restricted Boltzmann machine on bars-and-stripes: CD-1 against persistent CD.

Seed 000, §5.2: an RBM (eqs. 5.3-5.8) learns the uniform distribution over the
2^(n+1) - 2 bars-and-stripes images (MacKay 2003) by contrastive divergence (Algorithm 4,
eq. 5.14, per-batch mean) and by persistent contrastive divergence. The machine is small enough
that the log partition function is exact (enumeration of the smaller layer), so the exact
log-likelihood of the data is followed during training; its ceiling is -log(2^(n+1) - 2).
Samples are drawn by Gibbs sampling (Algorithm 3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure

from labcoat.exercises._framework import (
    Exercise,
    Result,
    Table,
    check_float,
    check_int,
    check_ints,
    track,
)
from labcoat.models.generative_data import bars_and_stripes
from labcoat.models.rbm import RBM, train_rbm


@dataclass(frozen=True)
class Config:
    """Settings of the RBM exercise."""

    side: int = 4
    """Image side n of the bars-and-stripes patterns (2..5)."""
    n_hidden: int = 12
    """Hidden units n_h (1..20; the exact log Z enumerates min(n_v, n_h) units)."""
    epochs: int = 1000
    """Passes over the 2^(n+1) - 2 patterns (≥ 1)."""
    batch_size: int = 10
    """Patterns per CD update (≥ 1)."""
    learning_rate: float = 0.1
    """η of the update θ ← θ + η Δθ (> 0)."""
    gibbs_steps: int = 1
    """k of CD-k / PCD-k (≥ 1)."""
    n_chains: int = 100
    """Persistent chains of PCD (≥ 1)."""
    eval_every: int = 20
    """Epochs between exact log-likelihood evaluations (≥ 1)."""
    n_samples: int = 32
    """Samples drawn from each trained machine (≥ 1)."""
    sample_steps: int = 500
    """Gibbs steps per sample (≥ 1)."""
    seed: int = 0
    """Seed of the weights, the shuffling and the Gibbs sampling."""

    def __post_init__(self) -> None:
        check_int("seed", self.seed, 0)
        check_int("side", self.side, 2, 5)
        check_int("n_hidden", self.n_hidden, 1, 20)
        counts = ("epochs", "batch_size", "gibbs_steps", "n_chains", "eval_every")
        check_ints(self, dict.fromkeys((*counts, "n_samples", "sample_steps"), 1))
        check_float("learning_rate", self.learning_rate, 0.0, low_open=True)


METHODS = {"CD": False, "PCD": True}


def _train(
    config: Config, data: np.ndarray, persistent: bool
) -> tuple[RBM, list[int], list[float]]:
    rbm = RBM(data.shape[1], config.n_hidden, seed=config.seed, weight_scale=0.1)
    epochs, log_likelihood = [0], [float(rbm.log_likelihood(data).mean())]

    def evaluate(index: int, machine: RBM, _: object) -> None:
        epoch = index + 1
        if epoch % config.eval_every == 0 or epoch == config.epochs:
            epochs.append(epoch)
            log_likelihood.append(float(machine.log_likelihood(data).mean()))

    train_rbm(
        rbm,
        data,
        epochs=config.epochs,
        batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        gibbs_steps=config.gibbs_steps,
        persistent=persistent,
        n_chains=config.n_chains,
        seed=config.seed + 1,
        callbacks=evaluate,
    )
    return rbm, epochs, log_likelihood


def _valid_fraction(samples: np.ndarray, data: np.ndarray) -> float:
    patterns = {tuple(row) for row in data.astype(int)}
    return float(np.mean([tuple(row) in patterns for row in samples.astype(int)]))


def _figures(
    config: Config, curves: dict[str, tuple[list[int], list[float]]], samples: dict[str, np.ndarray]
) -> dict[str, Figure]:
    best = -math.log(2 ** (config.side + 1) - 2)
    curve_fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = curve_fig.subplots()
    for name, (epochs, log_likelihood) in curves.items():
        ax.plot(epochs, log_likelihood, label=f"{name}-{config.gibbs_steps}")
    ax.axhline(best, color="k", ls="--", label="-log(#patterns): the optimum")
    ax.axhline(-(config.side**2) * math.log(2), color="grey", ls=":", label="uniform over 2^(n·n)")
    ax.set(
        title=(
            f"Exact log-likelihood of bars-and-stripes ({config.epochs} epochs, seed {config.seed})"
        ),
        xlabel="epoch",
        ylabel="mean log P(x)",
    )
    ax.legend()
    sample_fig = Figure(figsize=(10, 1.4 * len(samples)), layout="constrained")
    rows = sample_fig.subfigures(len(samples), 1, squeeze=False)[:, 0]
    for row, (name, images) in zip(rows, samples.items(), strict=True):
        shown = images[:16]
        axes = row.subplots(1, len(shown))
        for a, image in zip(np.atleast_1d(axes), shown, strict=True):
            a.imshow(image.reshape(config.side, config.side), cmap="gray_r", vmin=0, vmax=1)
            a.set_xticks([])
            a.set_yticks([])
        row.suptitle(f"{name}: Gibbs samples after {config.sample_steps} steps")
    return {"log_likelihood": curve_fig, "samples": sample_fig}


def run(config: Config) -> Result:
    """Train with CD and PCD, follow the exact log-likelihood, sample from both."""
    data = bars_and_stripes(config.side)
    curves: dict[str, tuple[list[int], list[float]]] = {}
    samples: dict[str, np.ndarray] = {}
    metrics: dict[str, float] = {"optimal_log_likelihood": -math.log(len(data))}
    for name, persistent in track(METHODS.items(), "RBM", total=len(METHODS)):
        rbm, epochs, log_likelihood = _train(config, data, persistent)
        curves[name] = (epochs, log_likelihood)
        with torch.no_grad():
            drawn = rbm.sample(config.n_samples, config.sample_steps, seed=config.seed + 2)
        samples[name] = drawn.numpy()
        metrics[f"{name}_initial_log_likelihood"] = log_likelihood[0]
        metrics[f"{name}_final_log_likelihood"] = log_likelihood[-1]
        metrics[f"{name}_valid_sample_fraction"] = _valid_fraction(samples[name], data)
    table = Table(
        "Mean exact log-likelihood of the patterns",
        ["method", "start", "end", "optimum", "valid samples"],
        [
            [
                f"{name}-{config.gibbs_steps}",
                metrics[f"{name}_initial_log_likelihood"],
                metrics[f"{name}_final_log_likelihood"],
                metrics["optimal_log_likelihood"],
                metrics[f"{name}_valid_sample_fraction"],
            ]
            for name in METHODS
        ],
    )
    data_columns = {"epoch": np.asarray(curves["CD"][0])}
    data_columns.update({f"{name}_log_likelihood": np.asarray(c[1]) for name, c in curves.items()})
    return Result(
        tables={"log_likelihood": table},
        figures=_figures(config, curves, samples),
        data={"log_likelihood": data_columns},
        metrics=metrics,
    )


EXERCISE = Exercise(
    name="rbm",
    summary="Restricted Boltzmann machine on bars-and-stripes: CD-k, exact likelihood",
    config=Config,
    run=run,
    quick={
        "n_hidden": 8,
        "epochs": 300,
        "learning_rate": 0.2,
        "eval_every": 30,
        "sample_steps": 100,
    },
    groups={
        "data": ("side",),
        "model": ("n_hidden", "gibbs_steps"),
        "training": ("epochs", "batch_size", "learning_rate", "n_chains"),
    },
)
