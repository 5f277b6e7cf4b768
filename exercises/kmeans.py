"""k-means on the iris flowers (seed 000 §2.4; seed 001 "Clustering").

Lloyd's algorithm alternates the assignment step (eq. 2.26) and the centroid step (eq. 2.25);
the loss (eq. 2.24) never increases. The exercise standardizes the features (as §2.4 advises),
compares the notes' initialization (k random data points) with k-means++ over many seeds (how
often each ends more than 1% above the best loss found: a bad local minimum), draws the loss
against k (it always falls: k-means "overfits" k) and compares the clusters with the species.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from labcoat.classic.cluster import KMeans
from labcoat.classic.datasets import load_iris
from labcoat.classic.decomposition import PCA
from labcoat.exercises._framework import Exercise, Result, Table, check_int, check_ints, track


@dataclass(frozen=True)
class Config:
    """Settings of the k-means exercise."""

    n_clusters: int = 3
    """Clusters k of the main run (iris has 3 species)."""
    max_k: int = 10
    """Largest k of the loss-versus-k curve."""
    n_seeds: int = 200
    """Single-initialization runs per method, to measure how often each gets stuck."""
    n_init: int = 10
    """Restarts of the final model (the best loss is kept)."""
    seed: int = 0
    """Seed of all initializations."""

    def __post_init__(self) -> None:
        check_int("n_clusters", self.n_clusters, 1, 150)  # at most the 150 iris samples
        check_int("max_k", self.max_k, 2, 150)
        check_ints(self, {"n_seeds": 2, "n_init": 1, "seed": 0})


def _purity(clusters: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of points whose cluster's majority species is their own."""
    hits = sum(np.bincount(labels[clusters == c]).max() for c in np.unique(clusters))
    return float(hits / labels.size)


def run(config: Config) -> Result:
    """Lloyd's k-means on standardized iris: initializations, loss histories, loss versus k."""
    x, labels = load_iris()
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    seeds = np.random.SeedSequence(config.seed).spawn(3)
    finals: dict[str, np.ndarray] = {}
    histories: dict[str, list[list[float]]] = {}
    for init, seed in zip(("random", "k-means++"), seeds[:2], strict=True):
        rng = np.random.default_rng(seed)
        runs = [
            KMeans(config.n_clusters, init=init, n_init=1, random_state=rng).fit(x)
            for _ in track(range(config.n_seeds), f"k-means, init={init}")
        ]
        finals[init] = np.array([model.inertia_ for model in runs])
        histories[init] = [model.objective_history_ for model in runs[:8]]
    best = KMeans(
        config.n_clusters, n_init=config.n_init, random_state=np.random.default_rng(seeds[2])
    ).fit(x)
    ks = np.arange(1, config.max_k + 1)
    losses = np.array(
        [KMeans(int(k), n_init=config.n_init, random_state=config.seed).fit(x).inertia_ for k in ks]
    )
    optimum = min(best.inertia_, *(f.min() for f in finals.values()))
    result = Result()
    result.metrics.update(
        best_loss=best.inertia_,
        purity=_purity(best.labels_, labels),
        loss_versus_k=losses.tolist(),
        **{
            f"stuck_fraction_{init}": float(np.mean(f > optimum * 1.01))
            for init, f in finals.items()
        },
        **{f"mean_loss_{init}": float(f.mean()) for init, f in finals.items()},
    )
    result.tables["initializations"] = Table(
        f"Single runs from {config.n_seeds} seeds, k = {config.n_clusters}",
        ["init", "mean loss", "worst loss", "fraction > 1% above the best"],
        [
            [
                init,
                round(float(f.mean()), 3),
                round(float(f.max()), 3),
                round(float(np.mean(f > optimum * 1.01)), 3),
            ]
            for init, f in finals.items()
        ],
    )
    result.data["loss_versus_k"] = {"k": ks, "loss": losses}
    result.figures["kmeans"] = _figure(x, labels, best, histories, ks, losses)
    return result


def _figure(
    x: np.ndarray,
    labels: np.ndarray,
    best: KMeans,
    histories: dict[str, list[list[float]]],
    ks: np.ndarray,
    losses: np.ndarray,
) -> Figure:
    figure = Figure(figsize=(15, 4.3), layout="constrained")
    left, middle, right = figure.subplots(1, 3)
    pca = PCA(2).fit(x)
    scores, centres = pca.transform(x), pca.transform(best.cluster_centers_)
    markers = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<")
    for species in np.unique(labels):
        mask = labels == species
        left.scatter(
            *scores[mask].T,
            c=best.labels_[mask],
            cmap="tab10",
            vmin=0,
            vmax=9,
            marker=markers[species % 10],
            s=18,
            label=f"species {species}",
        )
    left.scatter(*centres.T, c="red", marker="x", s=120, linewidths=3, label="centroids")
    left.set(title="Clusters (colour) vs species (marker), PCA plane", xlabel="PC1", ylabel="PC2")
    left.legend(fontsize=8)
    for init, colour in (("random", "tab:orange"), ("k-means++", "tab:blue")):
        for index, history in enumerate(histories[init]):
            middle.plot(history, color=colour, alpha=0.7, label=init if index == 0 else None)
    middle.set(title="Loss (eq. 2.24) per Lloyd iteration", xlabel="iteration", ylabel="loss")
    middle.legend()
    right.plot(ks, losses, "o-")
    right.set(title="Best loss versus k (always decreasing)", xlabel="k", ylabel="loss")
    return figure


EXERCISE = Exercise(
    name="kmeans",
    summary="k-means: Lloyd iterations, k-means++ and the objective",
    config=Config,
    run=run,
    quick={"n_seeds": 20, "max_k": 6, "n_init": 3},
)
