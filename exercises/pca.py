"""PCA on the iris flowers and on Ising configurations (seed 000 §2.1; seed 001 "Ising PCA").

Iris: Algorithm 1 on the four measurements, and on petal length and width alone, where the
rotation is eq. 2.4 of the notes (w1 = 0.922 length + 0.388 width). Ising: Metropolis
configurations of the 2-D Ising model at temperatures across T_c (labcoat.models.ising); the
first principal component is the uniform vector (1, ..., 1)/sqrt(N), so its score is
sqrt(N) times the magnetization: PCA finds the order parameter without being told.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from labcoat.classic.datasets import IRIS_TARGET_NAMES, load_iris
from labcoat.classic.decomposition import PCA
from labcoat.exercises._framework import Exercise, Result, Table, check_float, check_int, check_ints
from labcoat.models.ising import CRITICAL_TEMPERATURE, onsager_magnetization, sample_ising


@dataclass(frozen=True)
class Config:
    """Settings of the PCA exercise."""

    side: int = 24
    """Ising lattice side L (≥ 2); N = L^2 spins per configuration."""
    t_min: float = 1.5
    """Lowest temperature (J = k_B = 1)."""
    t_max: float = 3.5
    """Highest temperature."""
    n_temperatures: int = 16
    """Temperatures, evenly spaced in [t_min, t_max]."""
    n_chains: int = 25
    """Independent Metropolis chains (one configuration each) per temperature."""
    equilibration_sweeps: int = 400
    """Metropolis sweeps before a configuration is kept."""
    seed: int = 0
    """Seed of the Ising sampler."""

    def __post_init__(self) -> None:
        check_int("side", self.side, 2)
        check_float("t_min", self.t_min, 0.0, low_open=True)
        check_float("t_max", self.t_max, 0.0, low_open=True)
        if self.t_max <= self.t_min:
            raise ValueError(f"t_max must be greater than t_min={self.t_min}, got {self.t_max}")
        check_ints(self, {"n_temperatures": 2, "n_chains": 1, "equilibration_sweeps": 0, "seed": 0})


def _iris(result: Result) -> None:
    x, labels = load_iris()
    pca = PCA().fit(x)
    petal = PCA().fit(x[:, 2:])
    result.metrics["iris_explained_variance_ratio"] = pca.explained_variance_ratio_.tolist()
    result.metrics["iris_petal_first_component"] = np.abs(petal.components_[0]).tolist()
    result.tables["iris"] = Table(
        "Iris: principal components (rows) in terms of the four measurements",
        ["component", "sepal length", "sepal width", "petal length", "petal width", "ratio"],
        [
            [f"PC{k + 1}", *np.round(vector, 3).tolist(), round(float(ratio), 4)]
            for k, (vector, ratio) in enumerate(
                zip(pca.components_, pca.explained_variance_ratio_, strict=True)
            )
        ],
    )
    scores = pca.transform(x)
    figure = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = figure.subplots(1, 2)
    centred = x[:, 2:] - x[:, 2:].mean(axis=0)
    for k, name in enumerate(IRIS_TARGET_NAMES):
        left.scatter(*centred[labels == k].T, s=12, label=name)
        right.scatter(scores[labels == k, 0], scores[labels == k, 1], s=12, label=name)
    for vector, variance in zip(petal.components_, petal.explained_variance_, strict=True):
        left.annotate(
            "",
            xy=1.5 * np.sqrt(variance) * vector,
            xytext=(0, 0),
            arrowprops={"arrowstyle": "->", "lw": 2},
            annotation_clip=False,
        )
    left.set(title="Centred petals and their principal axes (eq. 2.4)", aspect="equal")
    left.set(xlabel="petal length - mean (cm)", ylabel="petal width - mean (cm)")
    right.set(title="Iris on the first two components", xlabel="PC1", ylabel="PC2")
    left.legend()
    right.legend()
    result.figures["iris"] = figure


def _ising(config: Config, result: Result) -> None:
    temperatures = np.linspace(config.t_min, config.t_max, config.n_temperatures)
    samples = sample_ising(
        config.side,
        temperatures,
        n_chains=config.n_chains,
        equilibration_sweeps=config.equilibration_sweeps,
        seed=config.seed,
    )
    n_per_temperature = samples.configurations.shape[1]
    x = samples.configurations.reshape(-1, config.side**2).astype(np.float64)
    t = np.repeat(samples.temperatures, n_per_temperature)
    m = samples.magnetizations.ravel()
    pca = PCA(n_components=2).fit(x)
    scores = pca.transform(x)
    n = x.shape[1]
    first = pca.components_[0]
    correlation = abs(float(np.corrcoef(scores[:, 0], m)[0, 1]))
    mean_abs = np.array(
        [np.mean(np.abs(scores[t == temp, 0])) / np.sqrt(n) for temp in temperatures]
    )
    result.metrics["ising_explained_variance_ratio"] = pca.explained_variance_ratio_.tolist()
    result.metrics["ising_pc1_magnetization_correlation"] = correlation
    result.metrics["ising_pc1_uniformity"] = float(np.abs(np.abs(first) * np.sqrt(n) - 1).max())
    result.data["ising_order_parameter"] = {
        "temperature": temperatures,
        "mean_abs_pc1_over_sqrt_n": mean_abs,
        "mean_abs_magnetization": [np.mean(np.abs(m[t == temp])) for temp in temperatures],
        "onsager_magnetization": onsager_magnetization(temperatures),
    }
    _ising_figure(config, temperatures, t, scores, first, mean_abs, result)


def _ising_figure(
    config: Config,
    temperatures: np.ndarray,
    t: np.ndarray,
    scores: np.ndarray,
    first: np.ndarray,
    mean_abs: np.ndarray,
    result: Result,
) -> None:
    figure = Figure(figsize=(14, 4.2), layout="constrained")
    left, middle, right = figure.subplots(1, 3)
    points = left.scatter(scores[:, 0], scores[:, 1], c=t, cmap="coolwarm", s=10)
    figure.colorbar(points, ax=left, label="temperature T")
    left.set(title="Ising configurations on PC1, PC2", xlabel="PC1", ylabel="PC2")
    fine = np.linspace(config.t_min, config.t_max, 400)
    middle.plot(temperatures, mean_abs, "o", label="<|PC1 score|> / sqrt(N)")
    middle.plot(fine, onsager_magnetization(fine), "k-", label="Onsager m(T), infinite lattice")
    middle.axvline(CRITICAL_TEMPERATURE, color="gray", ls=":", label="T_c")
    middle.set(title="The first component is the magnetization", xlabel="T", ylabel="|m|")
    middle.legend(loc="upper right")
    image = right.imshow(first.reshape(config.side, config.side), cmap="viridis")
    figure.colorbar(image, ax=right, label="weight")
    right.set(title="PC1 weights on the lattice (uniform)", xlabel="column", ylabel="row")
    result.figures["ising"] = figure


def run(config: Config) -> Result:
    """PCA of iris (Algorithm 1, eq. 2.4) and of Ising configurations across T_c."""
    result = Result()
    _iris(result)
    _ising(config, result)
    return result


EXERCISE = Exercise(
    name="pca",
    summary="PCA on iris and on Ising configurations",
    config=Config,
    run=run,
    quick={"side": 12, "n_temperatures": 8, "n_chains": 10, "equilibration_sweeps": 150},
)
