"""The 10-armed testbed: greedy, ε-greedy, optimistic, UCB and gradient bandits (S&B ch. 2).

Reproduces Sutton & Barto's Figures 2.2-2.5 in one plot (average reward and % optimal action
against steps, 2000 runs x 1000 steps) and the parameter study of Figure 2.6: the average
reward over the first 1000 steps against each method's parameter (ε, α, c, Q_0) on a log2
axis. Every method and parameter value sees the same 2000 bandit problems (one seed), so the
comparisons are paired. Notes §7.1 introduces the exploration-exploitation conflict with
ε-greedy; the other methods are Sutton & Barto's answers to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from scipy import integrate, stats

from labcoat.agents.bandits import (
    UCB,
    BanditResult,
    BanditStrategy,
    EpsilonGreedy,
    GradientBandit,
    run_testbed,
)
from labcoat.exercises._framework import (
    Exercise,
    Result,
    Table,
    check_bool,
    check_choice,
    check_float,
    check_ints,
    track,
)

COLORS = {
    "greedy": "#7f7f7f",
    "ε-greedy": "#d62728",
    "optimistic greedy": "#000000",
    "UCB": "#1f77b4",
    "gradient bandit": "#2ca02c",
}


@dataclass(frozen=True)
class Config:
    """Settings of the testbed exercise (defaults: Sutton & Barto's)."""

    n_runs: int = 2000
    """Independent bandit problems averaged over (Sutton & Barto use 2000)."""
    n_steps: int = 1000
    """Pulls per run; the parameter study averages the reward over all of them."""
    k: int = 10
    """Number of arms."""
    q_star_mean: float = 0.0
    """Mean of the true values' prior q*(a) ~ N(q_star_mean, q_star_std²)."""
    q_star_std: float = 1.0
    """Standard deviation of the true values' prior."""
    reward_std: float = 1.0
    """Reward noise: R ~ N(q*(a), reward_std²) (Gaussian rewards)."""
    reward_distribution: str = "gaussian"
    """"gaussian" (R ~ N(q*(a), reward_std²)) or "bernoulli" (R ∈ {0, 1}, q*(a) ~ U(0, 1))."""
    nonstationary: bool = False
    """q* starts equal and takes a Gaussian random walk every step (S&B Exercise 2.5)."""
    walk_std: float = 0.01
    """Standard deviation of the random walk's steps (non-stationary bandits)."""
    epsilon: float = 0.1
    """ε of the ε-greedy learning curve (Fig. 2.2 also shows 0.01 and greedy, ε = 0)."""
    small_epsilon: float = 0.01
    """The second ε-greedy learning curve."""
    optimistic_value: float = 5.0
    """Q_1 of optimistic greedy (Fig. 2.3), with a constant step size."""
    optimistic_step_size: float = 0.1
    """The constant step size α of optimistic greedy (and of its parameter study)."""
    ucb_c: float = 2.0
    """c of the UCB learning curve (Fig. 2.4)."""
    gradient_alpha: float = 0.1
    """α of the gradient bandit learning curve (with baseline, Fig. 2.5)."""
    study: bool = True
    """Run the parameter study of Fig. 2.6."""
    study_step: int = 1
    """Spacing of the study's parameters in powers of 2 (1: every power, 2: every other)."""
    seed: int = 0
    """One seed for the problems and the strategies (the same problems for every method)."""

    def __post_init__(self) -> None:
        check_ints(self, {"n_runs": 1, "n_steps": 1, "study_step": 1, "k": 2, "seed": 0})
        check_choice("reward_distribution", self.reward_distribution, ("gaussian", "bernoulli"))
        check_bool("nonstationary", self.nonstationary)
        for name in ("q_star_std", "reward_std", "ucb_c", "gradient_alpha", "walk_std"):
            check_float(name, getattr(self, name), 0.0, low_open=True)
        for name in ("epsilon", "small_epsilon"):
            check_float(name, getattr(self, name), 0.0, 1.0)
        check_float("optimistic_step_size", self.optimistic_step_size, 0.0, 1.0, low_open=True)
        for name in ("q_star_mean", "optimistic_value"):
            check_float(name, getattr(self, name))
        check_bool("study", self.study)


def learning_curve_strategies(config: Config) -> dict[str, BanditStrategy]:
    """The methods of Sutton & Barto's Figs. 2.2-2.5, labelled for the legend."""
    optimistic = (
        f"optimistic greedy Q₁ = {config.optimistic_value:g}, α = {config.optimistic_step_size:g}"
    )
    return {
        "greedy": EpsilonGreedy(epsilon=0.0),
        f"ε-greedy ε = {config.small_epsilon:g}": EpsilonGreedy(epsilon=config.small_epsilon),
        f"ε-greedy ε = {config.epsilon:g}": EpsilonGreedy(epsilon=config.epsilon),
        optimistic: EpsilonGreedy(
            epsilon=0.0,
            step_size=config.optimistic_step_size,
            initial_value=config.optimistic_value,
        ),
        f"UCB c = {config.ucb_c:g}": UCB(c=config.ucb_c),
        f"gradient bandit α = {config.gradient_alpha:g}": GradientBandit(
            alpha=config.gradient_alpha
        ),
    }


def study_grid(config: Config) -> dict[str, tuple[str, list[int], Any]]:
    """Fig. 2.6: method -> (parameter symbol, log2 exponents, strategy factory)."""

    def powers(low: int, high: int) -> list[int]:
        return list(range(low, high + 1, config.study_step))

    alpha = config.optimistic_step_size
    return {
        "ε-greedy": ("ε", powers(-7, -2), lambda x: EpsilonGreedy(epsilon=x)),
        "gradient bandit": ("α", powers(-5, 2), lambda x: GradientBandit(alpha=x)),
        "UCB": ("c", powers(-4, 2), lambda x: UCB(c=x)),
        "optimistic greedy": (
            "Q₀",
            powers(-2, 2),
            lambda x: EpsilonGreedy(epsilon=0.0, step_size=alpha, initial_value=x),
        ),
    }


def best_possible_reward(config: Config, curves: dict[str, BanditResult]) -> float:
    """E[max_a q*(a)]: the average reward of a player who always knew the best arm.

    Stationary Gaussian values: μ + σ E[max of k standard normals], by quadrature of
    k z φ(z) Φ(z)^(k−1). Stationary Bernoulli values q*(a) ~ U(0, 1): k / (k + 1), the mean of
    the largest of k uniforms. Non-stationary values (no closed form): estimated from the runs
    as the mean over steps and methods of reward + regret (E[R_t] + regret_t = E[max q*_t]).
    """
    if config.nonstationary:
        return float(np.mean([c.average_reward + c.average_regret for c in curves.values()]))
    if config.reward_distribution == "bernoulli":
        return config.k / (config.k + 1)

    def density(z: float) -> float:
        return config.k * z * stats.norm.pdf(z) * stats.norm.cdf(z) ** (config.k - 1)

    expected_max, _ = integrate.quad(density, -np.inf, np.inf)
    return config.q_star_mean + config.q_star_std * expected_max


def is_unimodal(values: np.ndarray) -> bool:
    """True if ``values`` rise (weakly) to one maximum and then fall (weakly)."""
    peak = int(np.argmax(values))
    return bool(np.all(np.diff(values[: peak + 1]) >= 0) and np.all(np.diff(values[peak:]) <= 0))


def run(config: Config) -> Result:
    """Learning curves of six methods and the parameter study, on the same problems."""
    bandit = dict(
        n_runs=config.n_runs,
        n_steps=config.n_steps,
        k=config.k,
        seed=config.seed,
        q_star_mean=config.q_star_mean,
        q_star_std=config.q_star_std,
        reward_std=config.reward_std,
        reward_distribution=config.reward_distribution,
        nonstationary=config.nonstationary,
        walk_std=config.walk_std,
    )
    strategies = learning_curve_strategies(config)
    curves = {
        name: run_testbed(strategy, **bandit)
        for name, strategy in track(strategies.items(), "learning curves", len(strategies))
    }
    study = _parameter_study(config, bandit) if config.study else {}
    best = best_possible_reward(config, curves)
    result = Result()
    result.data["learning_curves"] = _curve_columns(curves)
    result.tables["summary"] = _summary_table(curves, config.n_steps)
    result.metrics = _metrics(curves, study, best)
    if study:
        result.tables["parameter_study"] = Table(
            title="Parameter study (Fig. 2.6): average reward over all steps",
            columns=["method", "parameter", "value", "average reward"],
            rows=[
                [method, symbol, value, reward]
                for method, (symbol, values, rewards) in study.items()
                for value, reward in zip(values, rewards, strict=True)
            ],
        )
    result.figures["testbed"] = plot_testbed(curves, study, best, config)
    return result


def _parameter_study(
    config: Config, bandit: dict[str, Any]
) -> dict[str, tuple[str, list[float], list[float]]]:
    grid = study_grid(config)
    jobs = [(m, e) for m, (_, exponents, _) in grid.items() for e in exponents]
    rewards: dict[str, list[float]] = {m: [] for m in grid}
    for method, exponent in track(jobs, "parameter study", len(jobs)):
        strategy = grid[method][2](2.0**exponent)
        rewards[method].append(float(run_testbed(strategy, **bandit).average_reward.mean()))
    return {m: (grid[m][0], [2.0**e for e in grid[m][1]], rewards[m]) for m in grid}


def _curve_columns(curves: dict[str, BanditResult]) -> dict[str, np.ndarray]:
    n_steps = len(next(iter(curves.values())).average_reward)
    columns: dict[str, np.ndarray] = {"step": np.arange(1, n_steps + 1)}
    for name, curve in curves.items():
        columns[f"average reward: {name}"] = curve.average_reward
        columns[f"optimal action: {name}"] = curve.optimal_action_fraction
    return columns


def _summary_table(curves: dict[str, BanditResult], n_steps: int) -> Table:
    last = max(1, n_steps // 10)
    return Table(
        title=f"Testbed: averages over runs (last {last} steps and all {n_steps} steps)",
        columns=["method", "final reward", "final % optimal", "average reward"],
        rows=[
            [
                name,
                float(c.average_reward[-last:].mean()),
                100 * float(c.optimal_action_fraction[-last:].mean()),
                float(c.average_reward.mean()),
            ]
            for name, c in curves.items()
        ],
    )


def _metrics(
    curves: dict[str, BanditResult],
    study: dict[str, tuple[str, list[float], list[float]]],
    best: float,
) -> dict[str, Any]:
    last = max(1, len(next(iter(curves.values())).average_reward) // 10)
    metrics: dict[str, Any] = {
        "best_possible_reward": best,
        "final_optimal_fraction": {
            n: float(c.optimal_action_fraction[-last:].mean()) for n, c in curves.items()
        },
        "final_average_reward": {
            n: float(c.average_reward[-last:].mean()) for n, c in curves.items()
        },
        "average_reward": {n: float(c.average_reward.mean()) for n, c in curves.items()},
    }
    if study:
        metrics["study"] = {
            m: {"symbol": s, "parameters": v, "average_reward": r} for m, (s, v, r) in study.items()
        }
        metrics["study_best"] = {
            m: {"parameter": v[int(np.argmax(r))], "average_reward": max(r)}
            for m, (_, v, r) in study.items()
        }
    return metrics


def _color(name: str) -> str:
    if name.startswith("ε-greedy") and "0.01" in name:
        return "#ff9896"
    return next((c for key, c in COLORS.items() if name.startswith(key)), "#9467bd")


def plot_testbed(
    curves: dict[str, BanditResult],
    study: dict[str, tuple[str, list[float], list[float]]],
    best: float,
    config: Config,
) -> Figure:
    """Average reward and % optimal action against steps (Figs. 2.2-2.5) and Fig. 2.6."""
    figure = Figure(figsize=(15, 8.5), layout="constrained")
    grid = figure.add_gridspec(2, 2, width_ratios=(1.15, 1))
    reward_axes = figure.add_subplot(grid[0, 0])
    optimal_axes = figure.add_subplot(grid[1, 0], sharex=reward_axes)
    steps = np.arange(1, config.n_steps + 1)
    for name, curve in curves.items():
        for axes, y in (
            (reward_axes, curve.average_reward),
            (optimal_axes, 100 * curve.optimal_action_fraction),
        ):
            axes.plot(steps, y, color=_color(name), linewidth=1.3, label=name)
    reward_axes.axhline(best, color="0.6", linestyle="--", linewidth=1)
    reward_axes.annotate(
        f"best possible E[max q*] = {best:.2f}",
        (steps[0], best),
        xytext=(0, 4),
        textcoords="offset points",
        ha="left",
        va="bottom",
        fontsize=9,
        color="0.35",
    )
    reward_axes.set(ylabel="average reward", title="Average reward (Sutton & Barto Figs. 2.2-2.5)")
    reward_axes.set_ylim(top=best + 0.25)
    reward_axes.legend(loc="lower right", fontsize=9, frameon=False)
    optimal_axes.set(
        xlabel="steps", ylabel="% optimal action", ylim=(0, 100), title="% optimal action"
    )
    for axes in (reward_axes, optimal_axes):
        axes.grid(alpha=0.3)
    study_axes = figure.add_subplot(grid[:, 1])
    if study:
        _plot_study(study_axes, study, config)
    else:
        study_axes.set_axis_off()
    kind = f"{config.reward_distribution} rewards" + (
        f", non-stationary (walk std {config.walk_std:g})" if config.nonstationary else ""
    )
    figure.suptitle(
        f"The {config.k}-armed testbed: {config.n_runs} runs × {config.n_steps} steps, {kind}",
        fontsize=14,
    )
    return figure


def _plot_study(
    axes: Any, study: dict[str, tuple[str, list[float], list[float]]], config: Config
) -> None:
    for method, (symbol, values, rewards) in study.items():
        label = f"{method} ({symbol})"
        if method == "optimistic greedy":
            label = f"greedy, optimistic Q₀, α = {config.optimistic_step_size:g} ({symbol})"
        axes.plot(
            np.log2(values),
            rewards,
            marker="o",
            markersize=4,
            color=COLORS[method],
            linewidth=1.6,
            label=label,
        )
    axes.legend(loc="lower center", frameon=False, fontsize=10)
    exponents = np.arange(-7, 3)
    axes.set_xticks(exponents)
    axes.set_xticklabels([f"1/{2**-e}" if e < 0 else f"{2**e}" for e in exponents])
    axes.set(
        xlabel="ε   α   c   Q₀  (log₂ scale)",
        ylabel=f"average reward over the first {config.n_steps} steps",
        title="Parameter study (Sutton & Barto Fig. 2.6)",
    )
    axes.grid(alpha=0.3)


EXERCISE = Exercise(
    name="bandits",
    summary="10-armed testbed: greedy, epsilon-greedy, optimistic, UCB, gradient",
    config=Config,
    run=run,
    quick={"n_runs": 300, "n_steps": 500},
    groups={
        "environment": ("k", "q_star_mean", "q_star_std", "reward_std"),
        "agent": (
            "epsilon",
            "small_epsilon",
            "optimistic_value",
            "optimistic_step_size",
            "ucb_c",
            "gradient_alpha",
        ),
    },
)
