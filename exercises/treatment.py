"""The doctor's bandit of the notes (§7.1): how many patients does learning on the job cost?

A doctor chooses one of n treatments for each patient; treatment a cures with an unknown
probability q*(a). The regret after T patients, Σ_t (max q* − q*(A_t)), counts the expected
recoveries lost to exploration and to mistakes. The exercise compares the notes' greedy method
(try each treatment once, then always the best so far) and ε-greedy with UCB1, the gradient
bandit and Thompson sampling, averaged over many runs (a band shows the middle half of the
runs), against the Lai–Robbins lower bound: any consistent strategy's expected regret grows at
least like C ln T with C = Σ_a Δ_a / KL(q*(a) ‖ q*_max) (``lai_robbins_constant``), an
asymptotic statement about the slope in ln T.

The runs use the vectorized ``labcoat/Bandit-v0`` with Bernoulli rewards and q* fixed to the
recovery probabilities, which is ``labcoat/TreatmentBandit-v0`` (same rewards for the same
seed, tested), batched over runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from labcoat.agents.bandits import (
    UCB,
    BanditResult,
    BanditStrategy,
    EpsilonGreedy,
    GradientBandit,
    ThompsonSampling,
    lai_robbins_constant,
    run_testbed,
)
from labcoat.exercises._framework import (
    Exercise,
    Result,
    Table,
    check_float,
    check_floats,
    check_ints,
    track,
)
from labcoat.exercises._seeds import over_seeds, seed_metrics, titled
from labcoat.exercises.stats import Interval

COLORS = ("#7f7f7f", "#d62728", "#1f77b4", "#2ca02c", "#9467bd")


@dataclass(frozen=True)
class Config:
    """Settings of the doctor's bandit."""

    recovery_probabilities: tuple[float, ...] = (0.2, 0.4, 0.5, 0.6, 0.8)
    """The treatments' recovery probabilities q*(a), one per treatment, in [0, 1]."""
    n_patients: int = 5000
    """Patients treated per run (the time horizon T)."""
    n_runs: int = 1000
    """Independent runs (doctors) averaged over."""
    epsilon: float = 0.1
    """ε of ε-greedy (uniform over all treatments, Sutton & Barto's convention)."""
    ucb_c: float = math.sqrt(2.0)
    """c of UCB; sqrt(2) is UCB1 (Auer et al. 2002) for rewards in [0, 1]."""
    gradient_alpha: float = 0.1
    """Step size α of the gradient bandit (with baseline)."""
    seed: int = 0
    """One seed for the patients' outcomes and the strategies."""

    def __post_init__(self) -> None:
        check_floats("recovery_probabilities", self.recovery_probabilities, 0.0, 1.0, min_length=2)
        check_ints(self, {"n_patients": 1, "n_runs": 1, "seed": 0})
        check_float("epsilon", self.epsilon, 0.0, 1.0)
        for name in ("ucb_c", "gradient_alpha"):
            check_float(name, getattr(self, name), 0.0, low_open=True)


def strategies(config: Config) -> dict[str, BanditStrategy]:
    """The compared strategies, labelled for the legend."""
    return {
        "greedy (each once, then the best)": EpsilonGreedy(epsilon=0.0, initial_value=math.inf),
        f"ε-greedy ε = {config.epsilon:g}": EpsilonGreedy(epsilon=config.epsilon),
        f"UCB c = {config.ucb_c:.3g}": UCB(c=config.ucb_c),
        f"gradient bandit α = {config.gradient_alpha:g}": GradientBandit(
            alpha=config.gradient_alpha
        ),
        "Thompson sampling Beta(1, 1)": ThompsonSampling(likelihood="bernoulli"),
    }


def run(config: Config) -> Result:
    """Cumulative regret of each strategy over the patients, with the Lai–Robbins bound."""
    p = config.recovery_probabilities
    runs = {
        name: run_testbed(
            strategy,
            n_runs=config.n_runs,
            n_steps=config.n_patients,
            k=len(p),
            seed=config.seed,
            record_runs=True,
            reward_distribution="bernoulli",
            q_star=p,
        )
        for name, strategy in track(strategies(config).items(), "strategies", 5)
    }
    constant = lai_robbins_constant(p)
    patients = np.arange(1, config.n_patients + 1)
    bound = constant * np.log(patients)
    bands = {name: _quartiles(result) for name, result in runs.items()}
    result = Result()
    columns: dict[str, np.ndarray] = {"patient": patients, "lai_robbins_bound": bound}
    for name, r in runs.items():
        columns[f"mean regret: {name}"] = r.cumulative_regret
        columns[f"q25: {name}"], columns[f"q75: {name}"] = bands[name]
    result.data["cumulative_regret"] = columns
    intervals = over_seeds({name: r.total_regret for name, r in runs.items()})
    result.tables["summary"] = _summary(runs, config, intervals)
    result.metrics = _metrics(runs, constant, config)
    result.metrics["final_regret_over_seeds"] = seed_metrics(intervals, config.n_runs)
    result.figures["regret"] = plot_regret(runs, bands, bound, constant, config)
    return result


def _quartiles(result: BanditResult) -> tuple[np.ndarray, np.ndarray]:
    assert result.cumulative_regret_runs is not None
    q25, q75 = np.quantile(result.cumulative_regret_runs, [0.25, 0.75], axis=1)
    return q25, q75


def _best_fraction(result: BanditResult, config: Config) -> float:
    last = max(1, config.n_patients // 10)
    return float(result.optimal_action_fraction[-last:].mean())


def _summary(
    runs: dict[str, BanditResult], config: Config, intervals: dict[str, Interval]
) -> Table:
    log_t = math.log(config.n_patients)
    return Table(
        title=f"Regret after {config.n_patients} patients ({config.n_runs} runs, i.e. seeds)",
        columns=[
            "strategy",
            "regret (mean)",
            "std",
            "IQM over seeds [95% CI]",
            "regret / ln T",
            "% best treatment (last 10%)",
        ],
        rows=[
            [
                name,
                float(r.total_regret.mean()),
                float(r.total_regret.std()),
                str(intervals[name]),
                float(r.total_regret.mean() / log_t),
                100 * _best_fraction(r, config),
            ]
            for name, r in runs.items()
        ],
    )


def _metrics(runs: dict[str, BanditResult], constant: float, config: Config) -> dict[str, Any]:
    return {
        "lai_robbins_constant": constant,
        "lai_robbins_bound_at_T": constant * math.log(config.n_patients),
        "final_regret": {n: float(r.total_regret.mean()) for n, r in runs.items()},
        "final_regret_std": {n: float(r.total_regret.std()) for n, r in runs.items()},
        "best_treatment_fraction": {n: _best_fraction(r, config) for n, r in runs.items()},
        "regret_at_half": {
            n: float(r.cumulative_regret[config.n_patients // 2 - 1]) for n, r in runs.items()
        },
    }


def plot_regret(
    runs: dict[str, BanditResult],
    bands: dict[str, tuple[np.ndarray, np.ndarray]],
    bound: np.ndarray,
    constant: float,
    config: Config,
) -> Figure:
    """Mean cumulative regret with the interquartile band, linear and logarithmic time."""
    figure = Figure(figsize=(14, 5.5), layout="constrained")
    linear, logarithmic = figure.subplots(1, 2)
    patients = np.arange(1, config.n_patients + 1)
    top = 1.15 * max(float(r.cumulative_regret[-1]) for r in runs.values())
    for (name, result), color in zip(runs.items(), COLORS, strict=True):
        for axes in (linear, logarithmic):
            axes.fill_between(patients, *bands[name], color=color, alpha=0.15, linewidth=0)
            axes.plot(patients, result.cumulative_regret, color=color, linewidth=1.6, label=name)
    for axes in (linear, logarithmic):
        axes.plot(
            patients,
            bound,
            color="black",
            linestyle="--",
            linewidth=1.2,
            label=f"Lai–Robbins bound {constant:.2f} ln t (asymptotic: slope, not offset)",
        )
        axes.set(
            xlabel="patients t",
            ylabel="cumulative regret (expected recoveries lost)",
            ylim=(0, top),
        )
        axes.grid(alpha=0.3)
    linear.set_title("Cumulative regret (lines: mean; bands: 25–75 % of runs)")
    linear.legend(loc="upper left", frameon=False, fontsize=9)
    logarithmic.set_xscale("log")
    logarithmic.set_title("Log time: C ln t is a straight line; compare the slopes late")
    rates = ", ".join(f"{x:g}" for x in config.recovery_probabilities)
    figure.suptitle(
        titled(
            f"The doctor's bandit (notes §7.1): recovery probabilities {rates}; "
            f"{config.n_runs} runs (seeds) x {config.n_patients} patients",
            config,
            QUICK,
        ),
        fontsize=13,
    )
    return figure


QUICK = {"n_runs": 200, "n_patients": 1000}
"""The ``--quick`` settings."""

EXERCISE = Exercise(
    name="treatment",
    summary="The doctor's bandit: cumulative regret of each strategy",
    config=Config,
    run=run,
    quick=QUICK,
)
