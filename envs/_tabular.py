"""Shared machinery of the tabular environments: the transition record and a fast sampler.

A tabular environment stores its dynamics p(s', r | s, a) (eq. 7.1 of the notes) in Gymnasium's
toy-text form ``P[s][a] -> list[Transition]``. :class:`TransitionSampler` flattens that table once
into cumulative-probability lists so that ``step`` draws an outcome with a single uniform number
and a bisection, without allocating.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate
from typing import NamedTuple

import numpy as np


class Transition(NamedTuple):
    """One outcome of p(s', r | s, a): with probability ``prob`` go to ``next_state``.

    Tuple-compatible with Gymnasium's toy-text ``(prob, next_state, reward, terminated)``.
    """

    prob: float
    next_state: int
    reward: float
    terminated: bool


TransitionTable = dict[int, dict[int, list[Transition]]]
"""``P[s][a]``: the list of outcomes of action ``a`` in state ``s`` (probabilities sum to 1)."""


class TransitionSampler:
    """Draws a :class:`Transition` of ``P[s][a]`` with one uniform number.

    For each (s, a) the cumulative probabilities c_k = p_0 + ... + p_k of all but the last
    outcome are precomputed; a uniform u in [0, 1) selects outcome k = #{c_j <= u} (inverse-CDF
    sampling, O(log K) per draw, no allocation). The outcome lists are those of ``P`` itself,
    which must not be modified afterwards.
    """

    def __init__(self, table: TransitionTable, n_states: int, n_actions: int) -> None:
        self._outcomes = [[table[s][a] for a in range(n_actions)] for s in range(n_states)]
        self._thresholds = [
            [list(accumulate(t.prob for t in transitions))[:-1] for transitions in row]
            for row in self._outcomes
        ]

    def sample(self, state: int, action: int, u: float) -> Transition:
        """Return the transition of (state, action) selected by the uniform number ``u``."""
        outcomes = self._outcomes[state][action]
        if len(outcomes) == 1:
            return outcomes[0]
        return outcomes[bisect_right(self._thresholds[state][action], u)]


def check_probability(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise ValueError unless it lies in [0, 1]."""
    check_finite(name, value)
    probability = float(value)
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    return probability


def check_finite(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise TypeError/ValueError unless it is a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


def check_positive_int(name: str, value: int) -> int:
    """Return ``value`` as an int, or raise TypeError/ValueError unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer >= 1, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def check_render_mode(render_mode: str | None, render_modes: list[str]) -> str | None:
    """Return ``render_mode``, or raise ValueError unless it is None or one of ``render_modes``."""
    if render_mode is not None and render_mode not in render_modes:
        raise ValueError(f"render_mode must be None or one of {render_modes}, got {render_mode!r}")
    return render_mode


def render_frame(
    render_mode: str | None, text: Callable[[], str], picture: Callable[[], np.ndarray]
) -> str | np.ndarray | None:
    """The frame of ``render_mode``: ``text()`` for "ansi", ``picture()`` for "rgb_array"."""
    if render_mode == "ansi":
        return text()
    if render_mode == "rgb_array":
        return picture()
    return None
