"""Generative adversarial network on a 1-D Gaussian mixture: saturating vs non-saturating.

Seed 000, §5.5 (seed 001, GAN slides): a generator G(z) and a discriminator D(x) play the
game of eqs. 5.22-5.25. The target is a mixture of Gaussians on the line, so the generated
density can be compared with the exact one and the 1-D Wasserstein distance
W_1 = ∫ |F_G(x) - F_data(x)| dx (``scipy.stats.wasserstein_distance``) measures progress. The
same run is made with the non-saturating generator loss -log D(G(z)) (eq. 5.25, the default)
and with the saturating minimax loss log(1 - D(G(z))) (eq. 5.23), with one-sided label
smoothing (§5.5.4) on the discriminator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from scipy.stats import wasserstein_distance

from labcoat.exercises._framework import (
    Exercise,
    Result,
    Table,
    check_float,
    check_floats,
    check_ints,
    track,
)
from labcoat.models.gan import GAN, train_gan
from labcoat.models.generative_data import gaussian_mixture_density, sample_gaussian_mixture

LOSSES = ("non-saturating", "saturating")


@dataclass(frozen=True)
class Config:
    """Settings of the GAN exercise."""

    means: tuple[float, ...] = (-2.0, 2.0)
    """Centres of the target mixture's components (1..8 of them)."""
    std: float = 0.5
    """Standard deviation of every component (> 0)."""
    n_data: int = 4000
    """Training samples drawn from the target (≥ 10)."""
    n_noise: int = 4
    """Dimension of the generator's noise z (≥ 1)."""
    hidden: int = 32
    """Width of the two hidden layers of G and of D (≥ 1)."""
    n_steps: int = 3000
    """Training iterations (one D and one G update each; ≥ 1)."""
    batch_size: int = 128
    """Data and noise batch size (≥ 1)."""
    learning_rate: float = 1e-3
    """Adam step size of both players (> 0)."""
    label_smoothing: float = 0.1
    """One-sided label smoothing α: real targets 1 - α (in [0, 1))."""
    eval_every: int = 100
    """Iterations between Wasserstein evaluations (≥ 1)."""
    n_eval: int = 4000
    """Samples used for the Wasserstein distance and histograms (≥ 100)."""
    seed: int = 0
    """Seed of the data, weights, batches and noise."""

    def __post_init__(self) -> None:
        check_floats("means", self.means, max_length=8)
        check_float("std", self.std, 0.0, low_open=True)
        check_ints(self, {"seed": 0, "n_data": 10, "n_eval": 100})
        check_ints(
            self, dict.fromkeys(("n_noise", "hidden", "n_steps", "batch_size", "eval_every"), 1)
        )
        check_float("learning_rate", self.learning_rate, 0.0, low_open=True)
        check_float("label_smoothing", self.label_smoothing, 0.0, 1.0, high_open=True)


def _train(config: Config, data: np.ndarray, reference: np.ndarray, kind: str) -> dict:
    gan = GAN(1, config.n_noise, (config.hidden,) * 2, (config.hidden,) * 2, seed=config.seed)
    steps, distances, snapshots = [], [], {}
    checkpoints = {0, config.n_steps // 10, config.n_steps // 3, config.n_steps}

    def evaluate(step: int, model: GAN) -> None:
        if step % config.eval_every and step not in checkpoints:
            return
        x = model.sample(config.n_eval, seed=config.seed + 7)[:, 0].numpy()
        steps.append(step)
        distances.append(wasserstein_distance(x, reference))
        if step in checkpoints:
            snapshots[step] = x

    evaluate(0, gan)
    history = train_gan(
        gan,
        data,
        n_steps=config.n_steps,
        batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        generator_loss_kind=kind,  # type: ignore[arg-type]
        label_smoothing=config.label_smoothing,
        seed=config.seed + 1,
        callbacks=lambda index, model, _: evaluate(index + 1, model),
    )
    return {"steps": steps, "w": distances, "snapshots": snapshots, "history": history}


def _figures(config: Config, runs: dict[str, dict]) -> dict[str, Figure]:
    grid = np.linspace(
        min(config.means) - 4 * config.std - 1, max(config.means) + 4 * config.std + 1, 400
    )
    density = gaussian_mixture_density(grid, config.means, config.std)
    hist = Figure(figsize=(12, 3.2 * len(runs)), layout="constrained")
    rows = hist.subplots(len(runs), 4, squeeze=False)
    for axes, (kind, result) in zip(rows, runs.items(), strict=True):
        for ax, (step, x) in zip(axes, sorted(result["snapshots"].items()), strict=True):
            ax.hist(
                x, bins=np.linspace(grid[0], grid[-1], 60), density=True, alpha=0.6, label="G(z)"
            )
            ax.plot(grid, density, "k-", lw=1.2, label="target")
            ax.set(title=f"{kind}, step {step}", xlabel="x", ylabel="density")
        axes[0].legend()
    curve = Figure(figsize=(7, 4.5), layout="constrained")
    ax = curve.subplots()
    for kind, result in runs.items():
        ax.plot(result["steps"], result["w"], label=kind)
    ax.set(
        title=f"Wasserstein distance to the target ({config.n_steps} steps, seed {config.seed})",
        xlabel="iteration",
        ylabel="W_1",
        yscale="log",
    )
    ax.legend()
    return {"densities": hist, "wasserstein": curve}


def run(config: Config) -> Result:
    """Train one GAN per generator loss; follow W_1 and the generated density."""
    data = sample_gaussian_mixture(config.n_data, config.means, config.std, seed=config.seed)
    reference = sample_gaussian_mixture(
        config.n_eval, config.means, config.std, seed=config.seed + 3
    )
    runs = {kind: _train(config, data, reference[:, 0], kind) for kind in track(LOSSES, "GAN")}
    metrics: dict[str, float] = {}
    for kind, result in runs.items():
        metrics[f"{kind}_initial_wasserstein"] = float(result["w"][0])
        metrics[f"{kind}_final_wasserstein"] = float(result["w"][-1])
        metrics[f"{kind}_best_wasserstein"] = float(min(result["w"]))
    table = Table(
        "Wasserstein distance W_1 to the target",
        ["generator loss", "start", "end", "best"],
        [
            [
                k,
                metrics[f"{k}_initial_wasserstein"],
                metrics[f"{k}_final_wasserstein"],
                metrics[f"{k}_best_wasserstein"],
            ]
            for k in runs
        ],
    )
    curves = {"step": np.asarray(runs[LOSSES[0]]["steps"])}
    curves.update({f"{k}_wasserstein": np.asarray(r["w"]) for k, r in runs.items()})
    return Result(
        tables={"wasserstein": table},
        figures=_figures(config, runs),
        data={"wasserstein": curves},
        metrics=metrics,
    )


EXERCISE = Exercise(
    name="gan",
    summary="Generative adversarial network on a 1-D mixture: saturating vs non-saturating",
    config=Config,
    run=run,
    quick={"n_steps": 300, "eval_every": 50, "n_eval": 1000, "n_data": 1000, "batch_size": 64},
    groups={
        "data": ("means", "std", "n_data"),
        "model": ("n_noise", "hidden"),
        "training": ("n_steps", "batch_size", "learning_rate", "label_smoothing"),
    },
)
