"""Reporting over training seeds, shared by the RL comparisons (reaction, heater, cliff,
treatment): IQM with a 95 % stratified bootstrap interval per method, and plot labels stating
the training budget and whether the run is the quick one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from labcoat.exercises import stats

INTERVAL = (
    "IQM over independent training seeds (runs) with a 95 % percentile bootstrap confidence "
    "interval (2000 resamples of the seeds, seed 0; labcoat.exercises.stats)"
)
"""What the reported intervals are over, as metrics.json states it."""


def is_quick(config: Any, quick: Mapping[str, Any]) -> bool:
    """Whether ``config`` has every setting of the exercise's ``--quick``."""
    return all(getattr(config, key) == value for key, value in quick.items())


def titled(title: str, config: Any, quick: Mapping[str, Any]) -> str:
    """``title``, with `` (quick)`` appended on a quick run."""
    return f"{title} (quick)" if is_quick(config, quick) else title


def over_seeds(scores: Mapping[str, np.ndarray]) -> dict[str, stats.Interval]:
    """Method -> IQM of its per-seed scores with the 95 % interval."""
    return {
        name: stats.interval(np.asarray(values, dtype=float)) for name, values in scores.items()
    }


def seed_metrics(intervals: Mapping[str, stats.Interval], n_seeds: int) -> dict[str, Any]:
    """The metrics.json block: the number of training seeds, what the interval is over, values."""
    return {
        "training_seeds": n_seeds,
        "interval": INTERVAL,
        "iqm": {n: i.estimate for n, i in intervals.items()},
        "ci95_low": {n: i.low for n, i in intervals.items()},
        "ci95_high": {n: i.high for n, i in intervals.items()},
    }
