"""Reaction optimization with two objectives: yield against cost, and the exact Pareto front.

Issue 13, point 4. On each of ``n_landscapes`` held-out landscapes of
``labcoat/ReactionOptimization-v0`` (odd seeds, ``held_out_landscape_seeds``) every method
runs one campaign of ``budget`` noisy experiments. The objectives of an experiment are its
yield (maximized) and its cost (`labcoat.envs.reaction.reaction_cost`: heating above room
temperature and organic co-solvent, minimized), the two the env's reward trades off with
``cost_weight``. A method's found front is the non-dominated set of its experiments scored by
their true (noise-free) yields and costs, so the noise only misleads the search, never the
score; it is compared with the landscape's exact front (`labcoat.envs.reaction.pareto_front`)
by the hypervolume (reference: yield 0, cost 1) relative to the exact front's, mean and 95 %
bootstrap CI over landscapes. Methods:

- random search and grid search (the `reaction` exercise's);
- Nelder-Mead and GP-EI on the weighted scalarization r = y_m - w cost (y_m the measured
  yield): the budget is split into equal parts, one per weight w in ``weights``, each a fresh
  run of the method (Nelder-Mead restarts inside its part as in `reaction`; GP-EI starts with
  ``bo_initial`` Latin-hypercube points).

The learned optimizer and PPO are left out: both are trained for the yield alone (minutes of
training per seed in the `reaction` exercise); a scalarized reward would need that training
again for every weight.

Full run (16 landscapes, 30 experiments, seed 0; 8 s CPU): relative hypervolume, mean [95 %
bootstrap CI] over landscapes: Nelder-Mead (weighted) 0.837 [0.803, 0.870], GP-EI (weighted)
0.748 [0.679, 0.805], random search 0.738 [0.695, 0.778], grid search 0.700 [0.653, 0.747]; the
exact fronts' hypervolume is 0.510 on average.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from labcoat.agents.experiment import held_out_landscape_seeds
from labcoat.envs.reaction import (
    HIGH,
    LOW,
    ReactionOptimizationEnv,
    hypervolume,
    objectives,
    pareto_front,
    pareto_mask,
    reaction_cost,
)
from labcoat.exercises import _framework, reaction, stats
from labcoat.exercises._bayesopt import bayesian_optimization
from labcoat.exercises._framework import Exercise, Result, Table, track
from labcoat.exercises._seeds import titled
from labcoat.exercises.reaction import grid_search, nelder_mead, random_search

METHODS = ("random search", "grid search", "Nelder-Mead (weighted)", "GP-EI (weighted)")
"""The compared methods, in the order of the table and the plot."""

COLORS = ("#7f7f7f", "#8c564b", "#ff7f0e", "#1f77b4")

REFERENCE = (0.0, 1.0)
"""Hypervolume reference point in (-yield, cost): yield 0 and cost 1, the worst possible."""


@dataclass(frozen=True)
class Config:
    """Settings of the yield-cost comparison."""

    seed: int = 0
    """One seed for the landscapes, the measurement noise and the methods."""
    n_landscapes: int = 16
    """Held-out landscapes; every method runs one campaign on each."""
    budget: int = 30
    """Experiments per campaign."""
    noise: float = 0.02
    """Standard deviation of a yield measurement."""
    weights: tuple[float, ...] = (0.2, 0.6, 1.5)
    """Cost weights w of the scalarization y - w cost, one equal share of the budget each."""
    bo_initial: int = 4
    """Latin-hypercube experiments at the start of each GP-EI part."""
    bo_candidates: int = 1000
    """Random candidates (and as many near the incumbent) for maximizing expected improvement."""
    levels: int = 201
    """Cost levels of the exact front (`pareto_front`)."""

    def __post_init__(self) -> None:
        lows = {"seed": 0, "n_landscapes": 1, "budget": 2, "bo_initial": 1, "bo_candidates": 1}
        _framework.check_ints(self, {**lows, "levels": 2})
        _framework.check_float("noise", self.noise, 0.0)
        _framework.check_floats("weights", self.weights, 0.0, max_length=self.budget)


class _Campaign(reaction._Campaign):
    """The `reaction` exercise's campaign, returning the measured y - weight cost.

    The chosen conditions are recorded for scoring; ``budget`` is where the current part ends.
    """

    def __init__(self, env: ReactionOptimizationEnv, noise_seed: int) -> None:
        super().__init__(env, 0, noise_seed)
        self.weight = 0.0
        self.conditions: list[np.ndarray] = []

    def __call__(self, unit: np.ndarray) -> float:
        measured = super().__call__(unit)
        conditions = LOW + np.clip(unit, 0.0, 1.0) * (HIGH - LOW)
        self.conditions.append(conditions)
        return measured - self.weight * float(reaction_cost(conditions[0], conditions[2]))


def _nelder_mead(campaign: _Campaign, rng: np.random.Generator, config: Config) -> None:
    nelder_mead(campaign, rng, config)  # type: ignore[arg-type]  # its config is unused


def _gp_ei(campaign: _Campaign, rng: np.random.Generator, config: Config) -> None:
    share = campaign.budget - len(campaign.true_yields)
    bayesian_optimization(
        campaign,
        3,
        share,
        rng,
        noise_variance=config.noise**2,
        n_initial=min(config.bo_initial, share),
        n_candidates=config.bo_candidates,
    )


SCALARIZED: dict[str, Callable[[_Campaign, np.random.Generator, Config], None]] = {
    "Nelder-Mead (weighted)": _nelder_mead,
    "GP-EI (weighted)": _gp_ei,
}


def campaign_points(
    config: Config, method: str, env: ReactionOptimizationEnv, noise_seed: int, seed: list[int]
) -> np.ndarray:
    """The conditions (budget, 3) one campaign of ``method`` chose, in order."""
    campaign = _Campaign(env, noise_seed)
    rng = np.random.default_rng(seed)
    if method in SCALARIZED:
        ends = np.linspace(0, config.budget, len(config.weights) + 1).round().astype(int)[1:]
        for weight, end in zip(config.weights, ends, strict=True):
            campaign.weight, campaign.budget = weight, int(end)
            SCALARIZED[method](campaign, rng, config)
    else:
        campaign.budget = config.budget
        (random_search if method == "random search" else grid_search)(campaign, rng, config)  # type: ignore[arg-type]
    return np.array(campaign.conditions)


def run(config: Config) -> Result:
    """Every method on every held-out landscape; hypervolume of its found front / the exact one."""
    streams = np.random.SeedSequence(config.seed).spawn(2)
    landscape_seeds = held_out_landscape_seeds(streams[0], config.n_landscapes)
    noise_seeds = [int(s) for s in streams[1].generate_state(config.n_landscapes)]
    ratio = {m: np.zeros(config.n_landscapes) for m in METHODS}
    exact_hv = np.zeros(config.n_landscapes)
    shown: dict[str, Any] = {}
    for i in track(range(config.n_landscapes), "landscapes", total=config.n_landscapes):
        env = ReactionOptimizationEnv(landscape_seed=landscape_seeds[i], noise=config.noise)
        assert env.landscape is not None
        front = pareto_front(env.landscape, levels=config.levels)  # type: ignore[arg-type]
        exact_hv[i] = hypervolume(front.points(), REFERENCE)
        for m, method in enumerate(METHODS):
            chosen = campaign_points(config, method, env, noise_seeds[i], [config.seed, m, i])
            y, _, cost = objectives(env.landscape, *chosen.T)  # type: ignore[arg-type]
            points = np.column_stack((-y, cost))
            ratio[method][i] = hypervolume(points, REFERENCE) / exact_hv[i]
            if i == 0:
                shown[method] = points
        if i == 0:
            shown["exact front"] = front.points()
    return _result(config, ratio, exact_hv, shown)


def _result(
    config: Config, ratio: dict[str, np.ndarray], exact_hv: np.ndarray, shown: dict[str, Any]
) -> Result:
    intervals = {m: stats.interval(r, stats.mean) for m, r in ratio.items()}
    rows = [
        [m, str(intervals[m]), float(np.min(ratio[m])), float(np.max(ratio[m]))] for m in METHODS
    ]
    table = Table(
        title=f"Hypervolume of the found yield-cost front / the exact front's ({config.budget} "
        f"experiments, {config.n_landscapes} held-out landscapes; mean exact hypervolume "
        f"{exact_hv.mean():.3f})",
        columns=["method", "relative hypervolume: mean [95% CI]", "worst", "best"],
        rows=rows,
    )
    metrics = {
        "relative_hypervolume": {
            m: {"mean": i.estimate, "low": i.low, "high": i.high} for m, i in intervals.items()
        },
        "relative_hypervolume_per_landscape": {m: r.tolist() for m, r in ratio.items()},
        "exact_hypervolume": exact_hv.tolist(),
    }
    data = {"landscapes": {"exact hypervolume": exact_hv, **ratio}}
    return Result(
        tables={"summary": table},
        figures={"pareto": _figure(config, ratio, shown)},
        data=data,
        metrics=metrics,
    )


def _figure(config: Config, ratio: dict[str, np.ndarray], shown: dict[str, Any]) -> Figure:
    figure = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = figure.subplots(1, 2)
    exact = shown["exact front"]
    left.step(exact[:, 1], -exact[:, 0], where="post", color="black", label="exact front")
    for method, color in zip(METHODS, COLORS, strict=True):
        points = shown[method]
        found = points[pareto_mask(points)]
        found = found[np.argsort(found[:, 1])]
        left.scatter(points[:, 1], -points[:, 0], s=10, color=color, alpha=0.35)
        left.step(found[:, 1], -found[:, 0], "o-", where="post", ms=4, color=color, label=method)
    left.set(
        title=titled("Experiments and found fronts, first landscape", config, QUICK),
        xlabel="cost (heating + organic solvent)",
        ylabel="true yield",
    )
    left.legend(fontsize="small", loc="lower right")
    for k, (method, color) in enumerate(zip(METHODS, COLORS, strict=True)):
        interval = stats.interval(ratio[method], stats.mean)
        right.bar(k, interval.estimate, color=color)
        right.errorbar(
            k,
            interval.estimate,
            [[interval.estimate - interval.low], [interval.high - interval.estimate]],
            color="black",
            capsize=4,
        )
    right.set_xticks(range(len(METHODS)), METHODS, fontsize="small", rotation=12)
    right.set(
        title="Hypervolume / exact front's (mean, 95 % CI over landscapes)",
        ylabel="relative hypervolume",
        ylim=(0.0, 1.0),
    )
    return figure


QUICK = {"n_landscapes": 3, "budget": 12, "bo_candidates": 200, "levels": 41}
"""The ``--quick`` settings."""

EXERCISE = Exercise(
    name="reaction-pareto",
    summary="Yield vs cost: each method's Pareto front against the exact one (hypervolume)",
    config=Config,
    run=run,
    quick=QUICK,
)
