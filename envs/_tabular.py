"""Shared machinery of the tabular environments: the transition record and a fast sampler.

A tabular environment stores its dynamics p(s', r | s, a) (eq. 7.1 of the notes) in Gymnasium's
toy-text form ``P[s][a] -> list[Transition]``. :class:`TransitionSampler` flattens that table once
into cumulative-probability lists so that ``step`` draws an outcome with a single uniform number
and a bisection, without allocating. :class:`Outcomes` holds the same table as padded arrays
and draws many outcomes at once with the same rule (the batched runs of labcoat.agents).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from typing import Any, NamedTuple

import gymnasium as gym
import numpy as np

from labcoat.envs._inputs import check_options, discrete_action


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


def categorical_sample(cumulative: Any, u: Any) -> Any:
    """Inverse-CDF sampling of a categorical distribution: k = #{j < K − 1 : c_j ≤ u}.

    ``c_0 ≤ … ≤ c_{K−1}`` are the running sums of the probabilities p_0, …, p_{K−1} and ``u`` is
    uniform on [0, c_{K−1}): outcome k is drawn with probability p_k, and an outcome of
    probability 0 is never drawn (u = c_j moves past it). The count stops at K − 1, so rounding
    in the sums cannot give an index out of range. This is the rule of Gymnasium's
    ``categorical_sample``; the envs' samplers, the batched runs and the policies of
    labcoat.agents (``labcoat.agents.rules.categorical_sample``) all call this function.

    Args:
        cumulative: the running sums: a sequence of K floats (then ``u`` is a float and the
            outcome an int); an array of shape (K,) with ``u`` an array of shape (n,) (n draws
            of one distribution); or an array of shape (n, K) with ``u`` of shape (n,) (one
            draw of each of n distributions). Arrays give an int array of shape (n,).
        u: the uniform number(s).
    """
    if type(u) is float:  # one draw (the per-step path of the envs: no numpy)
        return bisect_right(cumulative, u, 0, len(cumulative) - 1)
    c = np.asarray(cumulative)
    if c.ndim == 1:
        return np.minimum(np.searchsorted(c, u, side="right"), len(c) - 1)
    return np.minimum((c <= np.asarray(u)[:, None]).sum(axis=1), c.shape[1] - 1)


class TransitionSampler:
    """Draws a :class:`Transition` of ``P[s][a]`` with one uniform number.

    For each (s, a) the cumulative probabilities c_k = p_0 + ... + p_k are precomputed; a
    uniform u in [0, 1) selects outcome k = #{j < K − 1: c_j <= u} (:func:`categorical_sample`,
    O(log K) per draw, no allocation). The outcome lists are those of ``P`` itself, which must
    not be modified afterwards.
    """

    def __init__(self, table: TransitionTable, n_states: int, n_actions: int) -> None:
        self._outcomes = [[table[s][a] for a in range(n_actions)] for s in range(n_states)]
        self._cumulative = [
            [list(accumulate(t.prob for t in transitions)) for transitions in row]
            for row in self._outcomes
        ]

    def sample(self, state: int, action: int, u: float) -> Transition:
        """Return the transition of (state, action) selected by the uniform number ``u``."""
        outcomes = self._outcomes[state][action]
        if len(outcomes) == 1:  # a certain outcome needs no search
            return outcomes[0]
        return outcomes[categorical_sample(self._cumulative[state][action], u)]


@dataclass(frozen=True, eq=False)
class Outcomes:
    """The toy-text table ``P`` as padded arrays, shape (n_states, n_actions, n_outcomes) each.

    Padding entries have probability zero. ``cumulative`` holds the running sums of ``prob``
    along the last axis; :meth:`sample` draws outcomes of many (s, a) pairs at once by the
    inverse-CDF rule of :class:`TransitionSampler` (the same u gives the same outcome).
    """

    prob: np.ndarray
    next_state: np.ndarray
    reward: np.ndarray
    terminated: np.ndarray

    @classmethod
    def from_table(cls, table: Any, valid: np.ndarray) -> Outcomes:
        """Pad ``P[s][a]`` (lists of (prob, next_state, reward, terminated)) into arrays."""
        n_states, n_actions = valid.shape
        width = max(
            (len(table[s][a]) for s in range(n_states) for a in range(n_actions) if valid[s, a]),
            default=1,
        )
        prob = np.zeros((n_states, n_actions, width))
        next_state = np.zeros((n_states, n_actions, width), dtype=np.int64)
        reward = np.zeros((n_states, n_actions, width))
        terminated = np.zeros((n_states, n_actions, width), dtype=bool)
        for s, a in zip(*np.nonzero(valid), strict=True):
            transitions = table[s][a]
            if not transitions:
                raise ValueError(f"P[{s}][{a}] is empty but action {a} is valid in state {s}")
            for k, (p, s_next, r, done) in enumerate(transitions):
                prob[s, a, k], next_state[s, a, k] = p, s_next
                reward[s, a, k], terminated[s, a, k] = r, done
        # Padding points at the last real outcome so that a draw with u ~ 1 stays in range.
        for k in range(1, width):
            pad = prob[:, :, k] == 0
            next_state[:, :, k][pad] = next_state[:, :, k - 1][pad]
            reward[:, :, k][pad] = reward[:, :, k - 1][pad]
            terminated[:, :, k][pad] = terminated[:, :, k - 1][pad]
        return cls(prob=prob, next_state=next_state, reward=reward, terminated=terminated)

    @cached_property
    def cumulative(self) -> np.ndarray:
        """Running sums of ``prob`` along the outcome axis, shape (S, A, K)."""
        return np.cumsum(self.prob, axis=2)

    @cached_property
    def search_keys(self) -> np.ndarray:
        """Keys of one inverse-CDF search over all (s, a) rows at once: i + c_ik / 2, flat.

        Row i = s A + a holds the halved running sums c_i0 / 2 <= ... shifted by i, those equal
        to the row's total replaced by i + 3/4; see :meth:`sample_flat`.
        """
        c = self.cumulative.reshape(-1, self.prob.shape[2])
        keys = 0.5 * c
        keys[c == c[:, -1:]] = 0.75
        keys += np.arange(len(keys))[:, None]
        return keys.ravel()

    def sample_flat(self, rows: np.ndarray, half_u: np.ndarray) -> np.ndarray:
        """Flat indices i K + k of the outcomes of rows i = s A + a, from u / 2 (``half_u``).

        One search over :attr:`search_keys` for all pairs: the first key above i + u / 2 is
        outcome k = #{j < K - 1: c_ij <= u} of row i (:func:`categorical_sample`'s rule): the
        search never leaves row i (i + u / 2 rounds to at most i + 1/2 < i + 3/4), and never
        goes past the last outcome of positive probability. Halving is exact in binary; the
        shift by i rounds i + u / 2 (relative 1e-16), so a u within that of a running sum
        c_ij < c_i,K-1 may be counted on its other side (probability about 1e-16 per draw).
        """
        return self.search_keys.searchsorted(rows + half_u, "right")

    def sample(
        self, states: np.ndarray, actions: np.ndarray, u: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Next states, rewards and terminations of the pairs (states[i], actions[i]).

        Outcome k = #{j < K - 1: c_j <= u_i} of the running sums c of p(., . | s, a)
        (:func:`categorical_sample`), for uniform numbers ``u`` in [0, 1) (one per pair).
        """
        k = categorical_sample(self.cumulative[states, actions], u)
        return (
            self.next_state[states, actions, k],
            self.reward[states, actions, k],
            self.terminated[states, actions, k],
        )

    def terminal_states(self, initial: np.ndarray | None = None) -> np.ndarray:
        """Mask of the states entered by terminating transitions (checked to be consistent).

        Transitions out of a terminal state or out of a state that cannot be reached from the
        start distribution ``initial`` (when given) are never taken, so only the others must
        agree on whether their next state ends the episode.
        """
        n_states = self.prob.shape[0]
        live = self.prob > 0
        terminal = np.zeros(n_states, dtype=bool)
        terminal[self.next_state[live & self.terminated]] = True
        sources = ~terminal
        if initial is not None:
            sources &= self._reachable(np.asarray(initial) > 0, terminal)
        continuing = np.zeros(n_states, dtype=bool)
        continuing[self.next_state[live & ~self.terminated & sources[:, None, None]]] = True
        both = np.flatnonzero(terminal & continuing)
        if both.size:
            raise ValueError(
                f"termination must depend on the next state only; state {both[0]} is entered "
                "both by terminating and by continuing transitions"
            )
        return terminal

    def _reachable(self, start: np.ndarray, terminal: np.ndarray) -> np.ndarray:
        """States reachable from ``start`` without passing through a terminal state."""
        reach = start.copy()
        frontier = start.copy()
        live = self.prob > 0
        while frontier.any():
            targets = np.zeros_like(reach)
            targets[self.next_state[frontier & ~terminal][live[frontier & ~terminal]]] = True
            frontier = targets & ~reach
            reach |= targets
        return reach


class FixedStartTabularEnv(gym.Env):
    """reset and step of a tabular env with a fixed start state and dynamics ``P``.

    Subclasses set ``P``, ``n_states``, ``n_actions`` and ``start_state`` in ``__init__``;
    ``step`` draws the outcome of ``P[state][action]`` with one uniform number of
    ``self.np_random`` (:class:`TransitionSampler`, built on the first step).
    """

    P: TransitionTable
    n_states: int
    n_actions: int
    start_state: int
    _state: int

    @cached_property
    def _sampler(self) -> TransitionSampler:
        """The sampler of ``P``, built on the first step (planning never needs it)."""
        return TransitionSampler(self.P, self.n_states, self.n_actions)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Start in ``start_state``; ``seed`` seeds ``self.np_random`` (no options)."""
        check_options(options, ())
        super().reset(seed=seed)
        self._state = self.start_state
        return self._state, {}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """Draw the next state, reward and termination of ``P[state][action]``."""
        action = discrete_action(action, self.n_actions)
        _, next_state, reward, terminated = self._sampler.sample(
            self._state, action, self.np_random.random()
        )
        self._state = next_state
        return next_state, reward, terminated, False, {}
