"""Shared machinery of the tabular environments: the transition record and a fast sampler.

A tabular environment stores its dynamics p(s', r | s, a) (eq. 7.1 of the notes) in Gymnasium's
toy-text form ``P[s][a] -> list[Transition]``. :class:`TransitionSampler` flattens that table once
into cumulative-probability lists so that ``step`` draws an outcome with a single uniform number
and a bisection, without allocating.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import NamedTuple


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
