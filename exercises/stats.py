"""Honest statistics over training seeds: point estimates with stratified bootstrap intervals.

The definitions follow rliable (Agarwal et al., "Deep reinforcement learning at the edge of the
statistical precipice", NeurIPS 2021). Scores are a matrix ``(n_runs, n_tasks)``: one row per
independent run (training seed), one column per task (a 1-D array is one task). A confidence
interval resamples the runs of each task with replacement, independently per task (the
*stratified* bootstrap, scipy.stats.bootstrap with one sample per task), and takes the
percentiles of the aggregate over the resamples (rliable's default).

- ``mean``: mean of all scores;
- ``iqm``: interquartile mean, the mean of the middle 50 % of all scores
  (``scipy.stats.trim_mean(scores, 0.25)`` on the flattened matrix, as rliable);
- ``median``: median of all scores (rliable's ``aggregate_median`` is the median of the per-task
  means, which for one task is the mean; over seeds the median of the runs is what is meant);
- ``probability_of_improvement``: P(X > Y) + P(X = Y)/2 for a run X of one method and a run Y of
  another, per task (the Mann-Whitney U statistic over ``n m``), averaged over tasks;
- ``performance_profile``: for each threshold tau, the fraction of runs with score > tau,
  averaged over tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

from labcoat.classic._checks import check_float, check_int

Aggregate = Callable[[np.ndarray], Any]
"""An aggregate of a score matrix over its last two axes ``(..., n_runs, n_tasks)``."""


def mean(scores: np.ndarray) -> Any:
    """Mean of all scores over the last two axes ``(n_runs, n_tasks)``."""
    return np.mean(scores, axis=(-2, -1))


def iqm(scores: np.ndarray) -> Any:
    """Interquartile mean: the mean of the scores left after cutting 25 % at each end.

    ``int(0.25 n)`` scores are cut at each end of the ``n`` pooled scores (scipy's
    ``trim_mean``, as rliable's ``aggregate_iqm``): 8 scores keep the middle 4.
    """
    pooled = scores.reshape(*scores.shape[:-2], -1)
    return scipy_stats.trim_mean(pooled, 0.25, axis=-1)


def median(scores: np.ndarray) -> Any:
    """Median of all scores over the last two axes ``(n_runs, n_tasks)``."""
    return np.median(scores.reshape(*scores.shape[:-2], -1), axis=-1)


AGGREGATES: dict[str, Aggregate] = {"mean": mean, "IQM": iqm, "median": median}
"""The aggregates a study reports, by the name used in tables."""


@dataclass(frozen=True)
class Interval:
    """A point estimate and its confidence interval (NaN bounds with fewer than 2 runs)."""

    estimate: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.estimate:.4g} [{self.low:.4g}, {self.high:.4g}]"


def as_matrix(name: str, scores: Any) -> np.ndarray:
    """``scores`` as a float matrix ``(n_runs, n_tasks)``; a 1-D array is one task.

    Raises:
        TypeError: ``scores`` is not numeric.
        ValueError: it is empty, more than 2-D, or holds NaN or ±inf.
    """
    try:
        matrix = np.asarray(scores, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D or 2-D array of finite numbers") from None
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    if matrix.ndim != 2 or matrix.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D or 2-D array (runs x tasks), got shape "
            f"{np.shape(scores)}"
        )
    if not np.all(np.isfinite(matrix)):
        raise ValueError(f"{name} must hold finite numbers, got NaN or inf")
    return matrix


@dataclass(frozen=True)
class Bootstrap:
    """Settings of a percentile bootstrap confidence interval."""

    confidence: float = 0.95
    """The confidence level, in (0, 1)."""
    n_resamples: int = 2000
    """Bootstrap resamples, at least 1."""
    seed: int = 0
    """The seed of the resampling: same seed, same interval."""

    def __post_init__(self) -> None:
        check_float("confidence", self.confidence, 0.0, 1.0, low_open=True, high_open=True)
        check_int("n_resamples", self.n_resamples, 1)
        check_int("seed", self.seed, 0)


DEFAULT = Bootstrap()
"""95 % intervals from 2000 resamples with seed 0."""


def _bootstrap(
    statistic: Callable[..., Any], samples: list[np.ndarray], settings: Bootstrap
) -> tuple[Any, Any]:
    """Percentile bootstrap of ``statistic(*samples)``, each sample resampled on its own."""
    result = scipy_stats.bootstrap(
        samples,
        statistic,
        n_resamples=settings.n_resamples,
        vectorized=True,
        paired=False,
        axis=0,
        confidence_level=settings.confidence,
        method="percentile",
        rng=np.random.default_rng(settings.seed),
    )
    return result.confidence_interval.low, result.confidence_interval.high


def interval(
    scores: Any,
    aggregate: Aggregate = iqm,
    settings: Bootstrap = DEFAULT,
) -> Interval:
    """``aggregate(scores)`` with its stratified bootstrap confidence interval.

    Args:
        scores: ``(n_runs, n_tasks)`` or ``(n_runs,)`` finite scores.
        aggregate: :func:`mean`, :func:`iqm`, :func:`median` or any function of a matrix over
            its last two axes.
        settings: confidence level, resamples and seed of the bootstrap.

    Raises:
        TypeError, ValueError: as :func:`as_matrix`.
    """
    matrix = as_matrix("scores", scores)
    estimate = float(aggregate(matrix))
    if matrix.shape[0] < 2:
        return Interval(estimate, float("nan"), float("nan"))

    def statistic(*tasks: np.ndarray, axis: int = -1) -> Any:
        return aggregate(np.stack(tasks, axis=-1))  # (..., n_runs, n_tasks)

    low, high = _bootstrap(statistic, list(matrix.T), settings)
    return Interval(estimate, float(low), float(high))


def pointwise(
    curves: Any, aggregate: Aggregate = iqm, settings: Bootstrap = DEFAULT
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``aggregate`` at each point of ``(n_runs, n_points)`` curves, with a bootstrap band.

    Whole curves are resampled (a run keeps its points together). Returns the estimate and the
    band's low and high, each ``(n_points,)``; NaN bands with fewer than 2 runs.
    """
    matrix = as_matrix("curves", curves)
    estimate = np.asarray(aggregate(matrix.T[..., None]), dtype=float)
    if matrix.shape[0] < 2:
        return estimate, np.full_like(estimate, np.nan), np.full_like(estimate, np.nan)

    def statistic(runs: np.ndarray, axis: int = -1) -> Any:
        return aggregate(runs[..., None])  # (n_points, n_resamples)

    low, high = _bootstrap(statistic, [matrix], settings)
    return estimate, np.asarray(low), np.asarray(high)


def _improvement(x: np.ndarray, y: np.ndarray) -> Any:
    """P(X > Y) + P(X = Y)/2 per task, averaged: x ``(..., n, tasks)``, y ``(..., m, tasks)``."""
    greater = x[..., :, None, :] > y[..., None, :, :]
    ties = x[..., :, None, :] == y[..., None, :, :]
    return np.mean(greater + 0.5 * ties, axis=(-3, -2, -1))


def probability_of_improvement(
    scores_x: Any,
    scores_y: Any,
    settings: Bootstrap = DEFAULT,
) -> Interval:
    """P(X > Y): a run of method X scores above a run of method Y (ties count half).

    Per task the Mann-Whitney U statistic of X against Y over ``n m`` pairs, averaged over the
    tasks; the interval resamples the runs of each method and task independently.

    Raises:
        ValueError: the two score matrices have different numbers of tasks, or as
            :func:`interval`.
    """
    x, y = as_matrix("scores_x", scores_x), as_matrix("scores_y", scores_y)
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"scores_x and scores_y must have the same number of tasks (columns), "
            f"got {x.shape[1]} and {y.shape[1]}"
        )
    estimate = float(_improvement(x, y))
    if min(x.shape[0], y.shape[0]) < 2:
        return Interval(estimate, float("nan"), float("nan"))
    tasks = x.shape[1]

    def statistic(*columns: np.ndarray, axis: int = -1) -> Any:
        return _improvement(np.stack(columns[:tasks], axis=-1), np.stack(columns[tasks:], axis=-1))

    low, high = _bootstrap(statistic, [*x.T, *y.T], settings)
    return Interval(estimate, float(low), float(high))


def _profile(scores: np.ndarray, taus: np.ndarray) -> Any:
    """Fraction of runs above each tau, averaged over tasks: ``(..., len(taus))``."""
    above = scores[..., None] > taus  # (..., n_runs, n_tasks, n_taus)
    return np.mean(above, axis=(-3, -2))


@dataclass(frozen=True)
class Profile:
    """A performance profile: the fraction of runs above each threshold, with its band."""

    taus: np.ndarray
    fraction: np.ndarray
    low: np.ndarray
    high: np.ndarray


def performance_profile(
    scores: Any,
    taus: Any,
    settings: Bootstrap = DEFAULT,
) -> Profile:
    """The fraction of runs with score > tau for each tau, with a stratified bootstrap band.

    Raises:
        ValueError: ``taus`` is empty or not finite, or as :func:`interval`.
    """
    matrix = as_matrix("scores", scores)
    thresholds = as_matrix("taus", taus)[:, 0] if np.ndim(taus) == 1 else None
    if thresholds is None:
        raise ValueError(f"taus must be a non-empty 1-D array, got shape {np.shape(taus)}")
    fraction = _profile(matrix, thresholds)
    if matrix.shape[0] < 2:
        nan = np.full_like(fraction, np.nan)
        return Profile(thresholds, fraction, nan, nan)

    def statistic(*tasks: np.ndarray, axis: int = -1) -> Any:
        # scipy wants the resamples on the last axis of a vector statistic
        return np.moveaxis(_profile(np.stack(tasks, axis=-1), thresholds), -1, 0)

    low, high = _bootstrap(statistic, list(matrix.T), settings)
    return Profile(thresholds, fraction, np.asarray(low), np.asarray(high))


__all__ = [
    "AGGREGATES",
    "DEFAULT",
    "Bootstrap",
    "Interval",
    "Profile",
    "as_matrix",
    "interval",
    "iqm",
    "mean",
    "median",
    "performance_profile",
    "pointwise",
    "probability_of_improvement",
]
