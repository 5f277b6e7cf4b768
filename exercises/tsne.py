"""t-SNE of the handwritten digits against PCA (seed 000 §2.3, Fig. 6).

Both methods map the 64-pixel digits to two dimensions; t-SNE keeps neighbourhoods (its
trustworthiness is near 1) and separates the ten digits into clusters, PCA does not. Measured:
the leave-one-out 5-nearest-neighbour accuracy of the digit labels in each 2-D map, the
trustworthiness (5 neighbours) and t-SNE's KL divergence (eq. 2.19) along the optimization.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from labcoat.classic.datasets import load_digits
from labcoat.classic.decomposition import PCA
from labcoat.classic.manifold import TSNE, trustworthiness
from labcoat.exercises._framework import (
    Exercise,
    Result,
    Table,
    check_choice,
    check_float,
    check_int,
)


@dataclass(frozen=True)
class Config:
    """Settings of the t-SNE exercise."""

    n_samples: int = 1797
    """Digits embedded (the first n of the 1,797)."""
    perplexity: float = 30.0
    """Effective number of neighbours (eq. 2.22)."""
    max_iter: int = 750
    """Gradient iterations."""
    early_exaggeration: float = 12.0
    """Factor on P during the first 250 iterations."""
    init: str = "pca"
    """Initial map: "pca" or "random"."""
    seed: int = 0
    """Seed of the random initialization."""

    def __post_init__(self) -> None:
        check_int("n_samples", self.n_samples, 50, 1797)
        check_float("perplexity", self.perplexity, 1.0)
        if self.perplexity >= self.n_samples / 3:
            raise ValueError(
                f"perplexity must be below n_samples/3 = {self.n_samples / 3:g}, "
                f"got {self.perplexity}"
            )
        check_int("max_iter", self.max_iter, 50)
        check_float("early_exaggeration", self.early_exaggeration, 0.0, low_open=True)
        check_choice("init", self.init, ("pca", "random"))
        check_int("seed", self.seed, 0)


def knn_accuracy(embedding: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    """Leave-one-out accuracy of a k-nearest-neighbour majority vote in the embedding."""
    squared = np.sum(embedding**2, axis=1)
    d = squared[:, None] + squared[None, :] - 2.0 * embedding @ embedding.T
    np.fill_diagonal(d, np.inf)
    neighbours = np.argsort(d, axis=1)[:, :k]
    votes = np.zeros((labels.size, labels.max() + 1))
    np.add.at(votes, (np.arange(labels.size)[:, None], labels[neighbours]), 1.0)
    return float(np.mean(votes.argmax(axis=1) == labels))


def run(config: Config) -> Result:
    """Embed the digits with PCA and t-SNE; compare neighbourhood scores and draw both maps."""
    x, labels = load_digits()
    x, labels = x[: config.n_samples], labels[: config.n_samples]
    pca_map = PCA(2).fit_transform(x)
    tsne = TSNE(
        perplexity=config.perplexity,
        max_iter=config.max_iter,
        early_exaggeration=config.early_exaggeration,
        early_exaggeration_iter=min(250, config.max_iter // 2),
        init=config.init,  # type: ignore[arg-type]
        random_state=config.seed,
    )
    tsne_map = tsne.fit_transform(x)
    scores = {
        name: (knn_accuracy(embedding, labels), trustworthiness(x, embedding, 5))
        for name, embedding in (("PCA", pca_map), ("t-SNE", tsne_map))
    }
    result = Result()
    result.metrics.update(
        knn_accuracy_pca=scores["PCA"][0],
        knn_accuracy_tsne=scores["t-SNE"][0],
        trustworthiness_pca=scores["PCA"][1],
        trustworthiness_tsne=scores["t-SNE"][1],
        kl_divergence=tsne.kl_divergence_,
    )
    result.tables["scores"] = Table(
        f"{config.n_samples} digits in 2-D",
        ["method", "5-NN accuracy", "trustworthiness (5)"],
        [[name, round(a, 4), round(t, 4)] for name, (a, t) in scores.items()],
    )
    iterations, kl = zip(*tsne.kl_history_, strict=True)
    result.data["kl_history"] = {"iteration": iterations, "kl_divergence": kl}
    result.figures["maps"] = _figure(pca_map, tsne_map, labels, scores)
    return result


def _figure(
    pca_map: np.ndarray,
    tsne_map: np.ndarray,
    labels: np.ndarray,
    scores: dict[str, tuple[float, float]],
) -> Figure:
    figure = Figure(figsize=(13, 5.8), layout="constrained")
    axes = figure.subplots(1, 2)
    for ax, (name, embedding) in zip(axes, (("PCA", pca_map), ("t-SNE", tsne_map)), strict=True):
        points = ax.scatter(*embedding.T, c=labels, cmap="tab10", vmin=-0.5, vmax=9.5, s=6)
        for digit in range(10):
            centre = np.median(embedding[labels == digit], axis=0)
            ax.text(*centre, str(digit), fontsize=16, weight="bold", ha="center", va="center")
        accuracy, trust = scores[name]
        ax.set(
            title=f"{name}: 5-NN accuracy {accuracy:.3f}, trustworthiness {trust:.3f}",
            xlabel=f"{name} 1",
            ylabel=f"{name} 2",
        )
    figure.colorbar(points, ax=axes, ticks=range(10), label="digit")
    return figure


EXERCISE = Exercise(
    name="tsne",
    summary="t-SNE of the digits",
    config=Config,
    run=run,
    quick={"n_samples": 400, "max_iter": 300},
)
