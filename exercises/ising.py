"""2-D Ising model: Metropolis samples, PCA finds the magnetization, a network finds the phase.

Seed 001 ("can we measure order with few parameters?", "can we identify the phase of spin
configurations in 2D Ising?"): configurations sampled at temperatures around
T_c = 2/ln(1 + √2) ≈ 2.269 are

1. compared with Onsager's exact energy and magnetization (labcoat's sampler,
   :func:`labcoat.models.ising.sample_ising`);
2. projected on their principal components (seed 000, Algorithm 1): the first component is
   the magnetization, PC1 = ±√N m (the uniform direction carries the order);
3. classified ordered / disordered by a small MLP trained only on temperatures away from T_c
   (Carrasquilla and Melko 2017); its mean ordered-phase probability crosses 1/2 near T_c.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure

from labcoat.classic.decomposition import PCA
from labcoat.exercises._framework import Exercise, Result, Table, check_float, check_int, check_ints
from labcoat.models.ising import (
    CRITICAL_TEMPERATURE,
    onsager_energy,
    onsager_magnetization,
    sample_ising,
)
from labcoat.models.mlp import MLP
from labcoat.models.training import fit


@dataclass(frozen=True)
class Config:
    """Settings of the Ising exercise."""

    side: int = 16
    """Lattice side L (4..128; an odd side is swept in three sublattices)."""
    n_temperatures: int = 24
    """Number of temperatures, evenly spaced in [t_min, t_max] (≥ 4)."""
    t_min: float = 1.2
    """Lowest temperature (> 0)."""
    t_max: float = 3.6
    """Highest temperature (> t_min)."""
    n_chains: int = 20
    """Independent Metropolis chains per temperature (≥ 1)."""
    n_samples_per_chain: int = 5
    """Configurations kept per chain (≥ 1)."""
    equilibration_sweeps: int = 600
    """Sweeps discarded before sampling (≥ 0)."""
    sweeps_between_samples: int = 20
    """Sweeps between kept configurations of one chain (≥ 1)."""
    train_margin: float = 0.4
    """The classifier trains only on |T - T_c| > train_margin (≥ 0)."""
    hidden: int = 32
    """Hidden units of the phase classifier (≥ 1)."""
    epochs: int = 30
    """Training epochs of the phase classifier (≥ 1)."""
    seed: int = 0
    """Seed of the sampler and of the classifier."""

    def __post_init__(self) -> None:
        check_ints(self, {"seed": 0, "equilibration_sweeps": 0, "n_temperatures": 4})
        counts = ("n_chains", "n_samples_per_chain", "sweeps_between_samples", "hidden", "epochs")
        check_ints(self, dict.fromkeys(counts, 1))
        check_int("side", self.side, 4, 128)
        check_float("t_min", self.t_min, 0.0, low_open=True)
        check_float("t_max", self.t_max, 0.0, low_open=True)
        if self.t_max <= self.t_min:
            raise ValueError(f"t_max must be greater than t_min={self.t_min}, got {self.t_max}")
        check_float("train_margin", self.train_margin, 0.0)


def _crossing(temperatures: np.ndarray, probability: np.ndarray) -> float:
    """First T where the ordered-phase probability falls through 1/2 (linear interpolation)."""
    below = np.nonzero(probability < 0.5)[0]
    if len(below) == 0 or below[0] == 0:
        return float("nan")
    i = below[0]
    p0, p1 = probability[i - 1], probability[i]
    return float(
        temperatures[i - 1] + (p0 - 0.5) / (p0 - p1) * (temperatures[i] - temperatures[i - 1])
    )


def _phase_probability(config: Config, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Train an MLP on configurations far from T_c; return P(ordered) for every row of x."""
    train = np.abs(t - CRITICAL_TEMPERATURE) > config.train_margin
    labels = (t < CRITICAL_TEMPERATURE).astype(np.int64)
    model = MLP((x.shape[1], config.hidden, 2), "relu", seed=config.seed)
    inputs = torch.tensor(x, dtype=torch.float32)
    fit(
        model,
        (inputs[train], torch.tensor(labels[train])),
        loss=torch.nn.functional.cross_entropy,
        epochs=config.epochs,
        batch_size=64,
        learning_rate=1e-3,
        seed=config.seed,
    )
    with torch.no_grad():
        return model.probabilities(inputs)[:, 1].numpy()


def _figures(
    temperatures: np.ndarray,
    pcs: np.ndarray,
    t_rows: np.ndarray,
    m_rows: np.ndarray,
    energy: np.ndarray,
    abs_m: np.ndarray,
    p_ordered: np.ndarray,
    n_spins: int,
) -> dict[str, Figure]:
    fine = np.linspace(temperatures[0], temperatures[-1], 400)
    pca_fig = Figure(figsize=(11, 4.5), layout="constrained")
    ax1, ax2 = pca_fig.subplots(1, 2)
    s = ax1.scatter(pcs[:, 0], pcs[:, 1], c=t_rows, cmap="coolwarm", s=6)
    ax1.set(title="PCA of Ising configurations", xlabel="PC1", ylabel="PC2")
    sign = np.sign(np.corrcoef(pcs[:, 0], m_rows)[0, 1])  # PCA fixes axes only up to sign
    ax2.scatter(m_rows, sign * pcs[:, 0] / np.sqrt(n_spins), c=t_rows, cmap="coolwarm", s=6)
    line = np.array([-1.0, 1.0])
    ax2.plot(line, line - m_rows.mean(), "k--", lw=1, label="PC1/√N = m - mean(m)")
    ax2.set(title="The first component is the magnetization", xlabel="m", ylabel="± PC1 / √N")
    ax2.legend()
    pca_fig.colorbar(s, ax=[ax1, ax2], label="temperature T")

    thermo = Figure(figsize=(11, 4.5), layout="constrained")
    bx1, bx2 = thermo.subplots(1, 2)
    bx1.plot(fine, onsager_energy(fine), "k-", label="Onsager (L = ∞)")
    bx1.plot(temperatures, energy, "o", ms=4, label="Metropolis")
    bx1.set(title="Energy per spin", xlabel="T", ylabel="E / N")
    bx2.plot(fine, onsager_magnetization(fine), "k-", label="Onsager (L = ∞)")
    bx2.plot(temperatures, abs_m, "o", ms=4, label="Metropolis <|m|>")
    bx2.plot(temperatures, p_ordered, "s-", ms=4, label="MLP: P(ordered)")
    for ax in (bx1, bx2):
        ax.axvline(CRITICAL_TEMPERATURE, color="grey", ls=":", label="T_c")
    bx2.set(title="Order parameter and learned phase", xlabel="T", ylabel="|m|, probability")
    bx1.legend()
    bx2.legend()
    return {"pca": pca_fig, "phases": thermo}


def run(config: Config) -> Result:
    """Sample, compare with Onsager, run PCA, train the phase classifier."""
    temperatures = np.linspace(config.t_min, config.t_max, config.n_temperatures)
    samples = sample_ising(
        config.side,
        temperatures,
        n_chains=config.n_chains,
        equilibration_sweeps=config.equilibration_sweeps,
        n_samples_per_chain=config.n_samples_per_chain,
        sweeps_between_samples=config.sweeps_between_samples,
        seed=config.seed,
    )
    n_per = samples.configurations.shape[1]
    n_spins = config.side**2
    x = samples.configurations.reshape(-1, n_spins).astype(np.float64)
    t_rows = np.repeat(temperatures, n_per)
    m_rows = samples.magnetizations.reshape(-1)
    pca = PCA(n_components=2)
    pcs = pca.fit_transform(x)
    correlation = abs(float(np.corrcoef(pcs[:, 0], m_rows)[0, 1]))
    p_rows = _phase_probability(config, x, t_rows)
    p_ordered = p_rows.reshape(len(temperatures), n_per).mean(1)
    energy = samples.energies.mean(1)
    abs_m = np.abs(samples.magnetizations).mean(1)
    t_estimate = _crossing(temperatures, p_ordered)
    rows = [
        [
            round(float(t), 3),
            float(e),
            float(onsager_energy(t)),
            float(m),
            float(onsager_magnetization(t)),
            float(p),
        ]
        for t, e, m, p in zip(temperatures, energy, abs_m, p_ordered, strict=True)
    ]
    return Result(
        tables={
            "thermodynamics": Table(
                "Metropolis vs Onsager, and the learned phase",
                ["T", "E/N", "E/N Onsager", "<|m|>", "m Onsager", "P(ordered)"],
                rows,
            )
        },
        figures=_figures(temperatures, pcs, t_rows, m_rows, energy, abs_m, p_ordered, n_spins),
        data={
            "curves": {
                "temperature": temperatures,
                "energy": energy,
                "energy_onsager": onsager_energy(temperatures),
                "abs_magnetization": abs_m,
                "magnetization_onsager": onsager_magnetization(temperatures),
                "p_ordered": p_ordered,
            }
        },
        metrics={
            "pc1_explained_variance_ratio": float(pca.explained_variance_ratio_[0]),
            "pc1_magnetization_abs_correlation": correlation,
            "critical_temperature_estimate": t_estimate,
            "critical_temperature_exact": CRITICAL_TEMPERATURE,
            "max_energy_error_vs_onsager": float(
                np.max(np.abs(energy - onsager_energy(temperatures)))
            ),
        },
    )


EXERCISE = Exercise(
    name="ising",
    summary="2-D Ising model: Metropolis samples, PCA finds the magnetization, phases",
    config=Config,
    run=run,
    quick={
        "side": 12,
        "n_temperatures": 12,
        "n_chains": 10,
        "equilibration_sweeps": 200,
        "sweeps_between_samples": 10,
        "epochs": 20,
    },
)
