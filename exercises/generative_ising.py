"""Generative models against exact distributions: the 4×4 Ising model and bars-and-stripes.

Issue 16's benchmark. The Boltzmann distribution of a small periodic Ising lattice (J = 1, no
field; 2^16 = 65,536 states for 4×4) is enumerated exactly at T ∈ {1.5, 2.27, 3.5}, and so is
the uniform distribution over the bars-and-stripes images. Every model is trained on exact
independent samples of the target and scored by KL(p || q) in nats:

* exactly where the model's likelihood is exact: MADE, the causal transformer (autoregressive,
  exact normalization) and the RBM (exact log Z by enumerating its hidden layer);
* through a stated bound where it is not: the VAE by its importance-weighted bound IWAE_K
  (Burda et al. 2016) and RealNVP on uniformly dequantized bits by log (1/K Σ_k p(x + u_k))
  (Theis et al. 2016); both are lower bounds on log q(x) in expectation, so the KL they give
  is an upper bound in expectation;
* from samples for the samplers without a likelihood (DDPM and GAN on spins ±1, samples
  rounded to the nearest spin): the KL of the smoothed histogram over all states
  (add-1/2, a biased estimate, labelled as such, with what as many exact samples score on
  it: with 10,000 samples over 65,536 states that floor is about 0.76 nats at T = 3.5).

For every model the KL of the energy-level histogram of its samples (33 levels, add-1/2) is
reported too, comparable across all models, with ⟨E⟩ and ⟨|m|⟩ of the samples against the
exact values; training time is wall-clock on this machine.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
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
from labcoat.models.autoencoder import VAE, iwae_bound, iwae_objective
from labcoat.models.autoregressive import MADE, log_likelihood_objective
from labcoat.models.diffusion import DDPM, ddpm_objective
from labcoat.models.exact import (
    ExactDistribution,
    exact_bars_and_stripes,
    exact_ising,
    histogram_kl,
    kl_divergence,
    state_index,
)
from labcoat.models.flow import RealNVP, dequantized_log_prob, dequantized_objective
from labcoat.models.gan import GAN, train_gan
from labcoat.models.rbm import RBM, train_rbm
from labcoat.models.training import fit
from labcoat.models.transformer import CausalTransformer

TEMPERATURES = (1.5, 2.27, 3.5)
"""The issue's temperatures: ordered, near T_c ≈ 2.269, disordered."""


@dataclass(frozen=True)
class Config:
    """Settings of the generative-ising exercise."""

    side: int = 4
    """Lattice (and bars-and-stripes image) side L (2..4; 2^(L·L) states are enumerated)."""
    n_train: int = 50_000
    """Exact independent samples each model is trained on (≥ 100)."""
    epochs: int = 8
    """Passes over the training samples (≥ 1; the GAN takes as many steps as batches)."""
    batch_size: int = 500
    """Samples per gradient step (≥ 1)."""
    learning_rate: float = 3e-3
    """Adam step size of the likelihood models (> 0)."""
    hidden: int = 128
    """Width of the hidden layers of MADE, RealNVP, the VAE, DDPM and the GAN (≥ 2)."""
    d_model: int = 32
    """Features per position of the transformer (a multiple of 4, its number of heads)."""
    rbm_hidden: int = 16
    """Hidden units of the RBM (1..20: its log Z enumerates 2^rbm_hidden states)."""
    n_model_samples: int = 10_000
    """Samples drawn from each model for the histograms and sample-based KLs (≥ 100)."""
    n_importance: int = 16
    """K of the IWAE bound and of the dequantization estimate (≥ 1)."""
    seed: int = 0
    """Seed of the exact samples, the weights, the training and the sampling."""

    def __post_init__(self) -> None:
        check_int("seed", self.seed, 0)
        check_int("side", self.side, 2, 4)
        check_int("rbm_hidden", self.rbm_hidden, 1, 20)
        check_int("hidden", self.hidden, 2)
        check_ints(self, {"n_train": 100, "n_model_samples": 100})
        check_ints(self, dict.fromkeys(("epochs", "batch_size", "n_importance"), 1))
        if check_int("d_model", self.d_model, 4) % 4:
            raise ValueError(f"d_model must be a multiple of 4 (4 heads), got {self.d_model}")
        check_float("learning_rate", self.learning_rate, 0.0, low_open=True)


@dataclass
class Scored:
    """One trained model on one target: its KL, how it was measured, samples, training time."""

    kl: float
    method: str
    samples: np.ndarray  # bits, (n_model_samples, N)
    seconds: float


def _fit(config: Config, model: torch.nn.Module, data: torch.Tensor, loss: object) -> None:
    fit(
        model,
        data,
        loss=loss,  # type: ignore[arg-type]
        epochs=config.epochs,
        batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        seed=config.seed + 1,
    )


def _states(target: ExactDistribution) -> torch.Tensor:
    return torch.as_tensor(target.states, dtype=torch.float32)


def _exact_kl(target: ExactDistribution, log_q: Callable[[torch.Tensor], torch.Tensor]) -> float:
    """KL(p || q) with log q evaluated on every state (in chunks, without gradients)."""
    with torch.no_grad():
        values = torch.cat([log_q(chunk) for chunk in _states(target).split(4096)])
    return kl_divergence(target.log_p, values.double().numpy())


def _histogram_kl(target: ExactDistribution, bits: torch.Tensor) -> float:
    counts = np.bincount(state_index(bits.numpy()), minlength=len(target.log_p))
    return histogram_kl(target.p, counts, smoothing=0.5)


# ------------------------------------------------ each model: train(config, data) -> model


def _train_made(config: Config, data: torch.Tensor) -> MADE:
    model = MADE(data.shape[1], hidden=(config.hidden, config.hidden), seed=config.seed)
    _fit(config, model, data, log_likelihood_objective())
    return model


def _train_transformer(config: Config, data: torch.Tensor) -> CausalTransformer:
    model = CausalTransformer(
        2, data.shape[1], d_model=config.d_model, n_heads=4, n_layers=2, seed=config.seed
    )
    _fit(config, model, data.long(), log_likelihood_objective())
    return model


def _train_rbm(config: Config, data: torch.Tensor) -> RBM:
    rbm = RBM(data.shape[1], config.rbm_hidden, seed=config.seed, weight_scale=0.1)
    train_rbm(
        rbm,
        data.double(),
        epochs=config.epochs,
        batch_size=config.batch_size,
        learning_rate=0.05,
        gibbs_steps=5,
        persistent=True,
        n_chains=config.batch_size,
        seed=config.seed + 1,
        track_reconstruction=False,
    )
    return rbm


def _train_realnvp(config: Config, data: torch.Tensor) -> RealNVP:
    flow = RealNVP(data.shape[1], n_layers=6, hidden=(config.hidden,), seed=config.seed)
    _fit(config, flow, data, dequantized_objective(seed=config.seed + 3))
    return flow


def _train_vae(config: Config, data: torch.Tensor) -> VAE:
    n = data.shape[1]
    vae = VAE(n, max(n // 4, 2), hidden=(config.hidden,), seed=config.seed)
    _fit(config, vae, data, iwae_objective(8))
    return vae


def _train_ddpm(config: Config, data: torch.Tensor) -> DDPM:
    model = DDPM(data.shape[1], hidden=(config.hidden, config.hidden), seed=config.seed)
    _fit(config, model, 2 * data - 1, ddpm_objective())  # spins ±1
    return model


def _train_gan(config: Config, data: torch.Tensor) -> GAN:
    n, widths = data.shape[1], (config.hidden, config.hidden)
    gan = GAN(n, n, widths, widths, seed=config.seed)
    steps = config.epochs * math.ceil(len(data) / config.batch_size)
    train_gan(gan, 2 * data - 1, n_steps=steps, batch_size=config.batch_size, seed=config.seed + 1)
    return gan


# --------------------------------- each model: score(config, target, model) -> KL, method, samples


def _score_autoregressive(config: Config, target: ExactDistribution, model: torch.nn.Module):
    as_input = (lambda x: x.long()) if isinstance(model, CausalTransformer) else (lambda x: x)
    kl = _exact_kl(target, lambda x: model.log_prob(as_input(x)))  # type: ignore[operator]
    samples = model.sample(config.n_model_samples, generator=config.seed + 2)  # type: ignore[operator]
    return kl, "exact", samples.float()


def _score_rbm(config: Config, target: ExactDistribution, rbm: RBM):
    log_z = rbm.log_partition()
    kl = _exact_kl(target, lambda x: rbm.log_likelihood(x.double(), log_z))
    with torch.no_grad():
        samples = rbm.sample(config.n_model_samples, 1000, seed=config.seed + 2)
    return kl, "exact (log Z enumerated)", samples.float()


def _score_realnvp(config: Config, target: ExactDistribution, flow: RealNVP):
    g = torch.Generator().manual_seed(config.seed + 4)
    k = config.n_importance
    kl = _exact_kl(target, lambda x: dequantized_log_prob(flow, x, k, generator=g))
    samples = flow.sample(config.n_model_samples, generator=config.seed + 2).floor().clamp(0, 1)
    return kl, f"upper bound (dequantized, K={k})", samples


def _score_vae(config: Config, target: ExactDistribution, vae: VAE):
    g = torch.Generator().manual_seed(config.seed + 4)
    k = config.n_importance
    kl = _exact_kl(target, lambda x: iwae_bound(vae, x, k, generator=g))
    means = vae.sample(config.n_model_samples, seed=config.seed + 2)
    return kl, f"upper bound (IWAE, K={k})", torch.bernoulli(means, generator=g)


def _score_sampler(config: Config, target: ExactDistribution, model: torch.nn.Module):
    spins = model.sample(config.n_model_samples, seed=config.seed + 2)  # type: ignore[operator]
    samples = (spins > 0).float()  # the nearest spin
    exact = torch.as_tensor(target.sample(config.n_model_samples, seed=config.seed + 6))
    floor = _histogram_kl(target, exact)  # the estimator's bias: what exact samples score
    method = (
        f"histogram estimate ({config.n_model_samples} samples, add-1/2; "
        f"exact samples score {floor:.3f})"
    )
    return _histogram_kl(target, samples), method, samples


MODELS: dict[str, tuple[Callable[..., torch.nn.Module], Callable[..., tuple]]] = {
    "MADE": (_train_made, _score_autoregressive),
    "transformer": (_train_transformer, _score_autoregressive),
    "RBM": (_train_rbm, _score_rbm),
    "RealNVP": (_train_realnvp, _score_realnvp),
    "VAE": (_train_vae, _score_vae),
    "DDPM": (_train_ddpm, _score_sampler),
    "GAN": (_train_gan, _score_sampler),
}
"""Model name -> (train, score)."""


def _targets(side: int) -> dict[str, ExactDistribution]:
    targets = {f"Ising T={t}": exact_ising(side, t) for t in TEMPERATURES}
    targets["bars-and-stripes"] = exact_bars_and_stripes(side)
    return targets


def _level_probabilities(target: ExactDistribution) -> tuple[np.ndarray, np.ndarray]:
    """The total energies E (integers) and their exact probabilities."""
    energy = np.round(np.asarray(target.energy) * target.states.shape[1]).astype(int)
    levels, level = np.unique(energy, return_inverse=True)
    return levels, np.bincount(level, weights=target.p)


def _sample_statistics(target: ExactDistribution, samples: np.ndarray) -> dict[str, float]:
    """Energy-level KL (add-1/2), ⟨E⟩/N and ⟨|m|⟩ of samples; for bars-and-stripes, validity."""
    index = state_index(samples)
    if target.energy is None:
        return {"valid_fraction": float(np.mean(target.p[index] > 0))}
    levels, p_level = _level_probabilities(target)
    energy = np.round(target.energy[index] * samples.shape[1]).astype(int)
    counts = np.array([(energy == level).sum() for level in levels])
    return {
        "energy_level_kl": histogram_kl(p_level, counts, smoothing=0.5),
        "energy": float(target.energy[index].mean()),
        "abs_magnetization": float(np.abs(target.magnetization[index]).mean()),
    }


def _score(config: Config, name: str, target: ExactDistribution, seed: int) -> Scored:
    """Train model ``name`` on exact samples of ``target`` (timed), then score it."""
    data = torch.as_tensor(target.sample(config.n_train, seed=seed), dtype=torch.float32)
    train, score = MODELS[name]
    start = time.perf_counter()
    model = train(config, data)
    seconds = time.perf_counter() - start
    kl, method, samples = score(config, target, model)
    return Scored(kl, method, samples.numpy().astype(np.float64), seconds)


def _frequencies(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Fraction of ``values`` at each of ``levels`` (rounded to 6 decimals before comparing)."""
    rounded = np.round(values, 6)
    return np.array([(rounded == level).mean() for level in np.round(levels, 6)])


def _histogram_figure(
    targets: dict[str, ExactDistribution],
    scores: dict[tuple[str, str], Scored],
    statistic: str,
) -> Figure:
    """Exact distribution of E/N or |m| (bars) against the models' samples (lines)."""
    ising = {name: t for name, t in targets.items() if t.energy is not None}
    fig = Figure(figsize=(5 * len(ising), 4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(ising)))
    for ax, (target_name, target) in zip(axes, ising.items(), strict=True):
        values = target.energy if statistic == "energy" else np.abs(target.magnetization)
        levels = np.unique(np.round(values, 6))
        exact = np.array([target.p[np.round(values, 6) == level].sum() for level in levels])
        width = 0.8 * np.min(np.diff(levels)) if len(levels) > 1 else 0.1
        ax.bar(levels, exact, width=width, color="lightgrey", label="exact")
        for model in MODELS:
            index = state_index(scores[target_name, model].samples)
            ax.plot(levels, _frequencies(values[index], levels), ".-", label=model, lw=1)
        ax.set(title=target_name, xlabel="E / N" if statistic == "energy" else "|m|")
        ax.set_ylabel("probability")
    axes[0].legend(fontsize=8)
    return fig


def _kl_figure(config: Config, scores: dict[tuple[str, str], Scored], names: list[str]) -> Figure:
    fig = Figure(figsize=(10, 4.5), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / len(MODELS)
    for k, model in enumerate(MODELS):
        kls = [max(scores[name, model].kl, 1e-4) for name in names]
        ax.bar(np.arange(len(names)) + (k - len(MODELS) / 2 + 0.5) * width, kls, width, label=model)
    ax.axhline(0.05, color="k", ls="--", lw=1, label="0.05 nats")
    ax.set_xticks(np.arange(len(names)), names)
    ax.set_yscale("log")
    ax.set(
        ylabel="KL(p_exact || q_model) [nats]",
        title=f"{config.side}×{config.side}: exact KL (MADE, transformer, RBM); upper bounds "
        "(RealNVP, VAE); histogram estimates (DDPM, GAN)",
    )
    ax.legend(ncols=4, fontsize=8)
    return fig


def _sample_figure(
    config: Config,
    targets: dict[str, ExactDistribution],
    scores: dict[tuple[str, str], Scored],
    shown: list[str],
) -> Figure:
    rows = ["exact", *MODELS]
    n = 6
    fig = Figure(figsize=(1.1 * n * len(shown), 1.15 * len(rows)), layout="constrained")
    axes = fig.subplots(len(rows), n * len(shown), squeeze=False)
    for column, target_name in enumerate(shown):
        exact = targets[target_name].sample(n, seed=config.seed + 5)
        for row, model in enumerate(rows):
            images = exact if model == "exact" else scores[target_name, model].samples[:n]
            for j, image in enumerate(images):
                ax = axes[row, column * n + j]
                ax.imshow(image.reshape(config.side, config.side), cmap="gray_r", vmin=0, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
                if j == 0 and column == 0:
                    ax.set_ylabel(model, fontsize=8)
                if row == 0 and j == 0:
                    ax.set_title(target_name, fontsize=8, loc="left")
    return fig


def _table(targets: dict[str, ExactDistribution], scores: dict[tuple[str, str], Scored]) -> Table:
    rows = []
    for (target_name, model), scored in scores.items():
        target = targets[target_name]
        stats = _sample_statistics(target, scored.samples)
        sample_columns: list[object]
        if target.energy is None:
            sample_columns = ["", "", "", f"{stats['valid_fraction']:.3f} valid"]
        else:
            sample_columns = [
                round(stats["energy_level_kl"], 4),
                f"{stats['energy']:.3f} ({target.expectation(target.energy):.3f})",
                f"{stats['abs_magnetization']:.3f} "
                f"({target.expectation(np.abs(target.magnetization)):.3f})",
                "",
            ]
        rows.append(
            [
                target_name,
                model,
                round(scored.kl, 4),
                scored.method,
                *sample_columns,
                round(scored.seconds, 1),
            ]
        )
    return Table(
        "KL(p_exact || q_model) in nats, and statistics of the samples (exact in brackets)",
        [
            "target",
            "model",
            "KL",
            "how",
            "energy-level KL (samples)",
            "<E>/N",
            "<|m|>",
            "bars-and-stripes",
            "training s",
        ],
        rows,
    )


def run(config: Config) -> Result:
    """Train every model on every exact target, score it, draw the figures."""
    targets = _targets(config.side)
    scores: dict[tuple[str, str], Scored] = {}
    jobs = [(t, m) for t in targets for m in MODELS]
    for index, (target_name, model) in enumerate(track(jobs, "generative-ising", len(jobs))):
        seed = config.seed + 1000 * (index // len(MODELS))  # the same data for every model
        scores[target_name, model] = _score(config, model, targets[target_name], seed)
    names = list(targets)
    metrics: dict[str, object] = {
        "kl": {t: {m: scores[t, m].kl for m in MODELS} for t in names},
        "training_seconds": {t: {m: scores[t, m].seconds for m in MODELS} for t in names},
        "entropy": {t: targets[t].entropy() for t in names},
    }
    hot = f"Ising T={TEMPERATURES[-1]}"
    best = min(
        MODELS, key=lambda m: scores[hot, m].kl if "exact" in scores[hot, m].method else math.inf
    )
    metrics["best_exact_model_hot"] = best
    metrics["best_exact_kl_hot"] = scores[hot, best].kl
    data = {
        "kl": {
            "target": np.array([t for t, _ in scores]),
            "model": np.array([m for _, m in scores]),
            "kl": np.array([s.kl for s in scores.values()]),
            "training_seconds": np.array([s.seconds for s in scores.values()]),
        }
    }
    return Result(
        tables={"kl": _table(targets, scores)},
        figures={
            "kl": _kl_figure(config, scores, names),
            "energy": _histogram_figure(targets, scores, "energy"),
            "magnetization": _histogram_figure(targets, scores, "magnetization"),
            "samples": _sample_figure(config, targets, scores, [names[1], names[-1]]),
        },
        data=data,
        metrics=metrics,
    )


EXERCISE = Exercise(
    name="generative-ising",
    summary="Generative models scored by exact KL on the 4×4 Ising model and bars-and-stripes",
    config=Config,
    run=run,
    quick={
        "side": 2,
        "n_train": 2000,
        "epochs": 4,
        "batch_size": 100,
        "learning_rate": 1e-2,
        "hidden": 32,
        "d_model": 8,
        "rbm_hidden": 8,
        "n_model_samples": 500,
        "n_importance": 4,
    },
    groups={
        "data": ("side", "n_train"),
        "model": ("hidden", "d_model", "rbm_hidden"),
        "training": ("epochs", "batch_size", "learning_rate"),
        "scoring": ("n_model_samples", "n_importance"),
    },
)
