"""Array helpers shared by the bandit environments (one code path for one run or thousands).

Every function works on arrays with any leading shape: ``q`` of shape ``(k,)`` for one bandit or
``(n_runs, k)`` for a batch. The random draws are made in the same order and with the same
number of variates whatever the leading shape, so one seeded run of ``BanditEnv`` and a
``BanditVectorEnv`` with ``num_envs=1`` produce identical numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

REWARD_DISTRIBUTIONS = ("gaussian", "bernoulli")


def check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def check_finite(name: str, value: Any, *, positive: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(number) or (positive and number <= 0):
        allowed = "a finite number > 0" if positive else "a finite number"
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return number


def check_values(
    name: str, values: Sequence[float] | NDArray[Any], *, probabilities: bool
) -> NDArray[np.float64]:
    array = np.array(values, dtype=np.float64)
    if array.ndim != 1 or array.size < 2:
        raise ValueError(f"{name} must be a 1-D sequence of at least 2 values, got {values!r}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite values, got {values!r}")
    if probabilities and (array.min() < 0.0 or array.max() > 1.0):
        raise ValueError(f"{name} must hold probabilities in [0, 1], got {values!r}")
    return array


def optimal_action(q: NDArray[np.float64]) -> NDArray[np.int64]:
    """argmax_a q*(a) along the last axis (the first maximum on ties)."""
    return np.argmax(q, axis=-1)


def arm_index(action: Any, k: int) -> int:
    """``action`` as a Python int in [0, k), or ValueError (faster than ``Discrete.contains``)."""
    if isinstance(action, np.ndarray) and action.shape == ():
        action = action.item()
    if isinstance(action, bool) or not isinstance(action, int | np.integer) or not 0 <= action < k:
        raise ValueError(f"action must be an integer in [0, {k - 1}], got {action!r}")
    return int(action)


def pull_gaussian(
    rng: np.random.Generator, q_a: NDArray[np.float64], reward_std: float
) -> NDArray[np.float64]:
    """R ~ N(q*(a), reward_std^2)."""
    reward = rng.standard_normal(np.shape(q_a))
    if reward_std != 1.0:  # x * 1.0 == x: skipping it changes no number
        reward *= reward_std
    reward += q_a
    return reward


def pull_bernoulli(rng: np.random.Generator, q_a: NDArray[np.float64]) -> NDArray[np.float64]:
    """R ~ Bernoulli(q*(a)): 1.0 with probability q*(a), else 0.0."""
    return (rng.random(q_a.shape) < q_a).astype(np.float64)


def random_walk(
    rng: np.random.Generator, q: NDArray[np.float64], walk_std: float, *, clip: bool
) -> NDArray[np.float64]:
    """q*(a) <- q*(a) + N(0, walk_std^2) independently for every arm (clipped to [0, 1])."""
    q = q + walk_std * rng.standard_normal(q.shape)
    return np.clip(q, 0.0, 1.0) if clip else q


class BanditProblem:
    """The validated arguments of a k-armed bandit and its three random operations.

    Shared by ``BanditEnv`` (arrays of shape ``(k,)``) and ``BanditVectorEnv`` (``(n, k)``).
    """

    def __init__(
        self,
        *,
        k: int | None = None,
        n_steps: int = 1000,
        reward_distribution: str = "gaussian",
        q_star_mean: float = 0.0,
        q_star_std: float = 1.0,
        reward_std: float = 1.0,
        nonstationary: bool = False,
        walk_std: float = 0.01,
        q_star: Sequence[float] | NDArray[Any] | None = None,
    ) -> None:
        if reward_distribution not in REWARD_DISTRIBUTIONS:
            raise ValueError(
                f"reward_distribution must be one of {REWARD_DISTRIBUTIONS}, "
                f"got {reward_distribution!r}"
            )
        self.bernoulli = reward_distribution == "bernoulli"
        self.fixed_q_star = (
            None if q_star is None else check_values("q_star", q_star, probabilities=self.bernoulli)
        )
        if self.fixed_q_star is not None and k is not None and k != self.fixed_q_star.size:
            raise ValueError(f"k must equal len(q_star) = {self.fixed_q_star.size}, got {k!r}")
        default_k = 10 if self.fixed_q_star is None else self.fixed_q_star.size
        self.k = default_k if k is None else check_positive_int("k", k)
        if self.k < 2:
            raise ValueError(f"k must be an integer >= 2, got {k!r}")
        self.n_steps = check_positive_int("n_steps", n_steps)
        self.q_star_mean = check_finite("q_star_mean", q_star_mean)
        self.q_star_std = check_finite("q_star_std", q_star_std, positive=True)
        self.reward_std = check_finite("reward_std", reward_std, positive=True)
        if not isinstance(nonstationary, bool | np.bool_):
            raise TypeError(f"nonstationary must be True or False, got {nonstationary!r}")
        self.nonstationary = bool(nonstationary)
        self.walk_std = check_finite("walk_std", walk_std, positive=True)

    def draw_q_star(
        self, rng: np.random.Generator, leading: tuple[int, ...]
    ) -> NDArray[np.float64]:
        """The true values at reset: fixed, all equal (random walk), N(mean, std^2) or U(0, 1)."""
        shape = (*leading, self.k)
        if self.fixed_q_star is not None:
            return np.broadcast_to(self.fixed_q_star, shape).copy()
        if self.nonstationary:
            return np.full(shape, 0.5 if self.bernoulli else self.q_star_mean)
        if self.bernoulli:
            return rng.random(shape)
        return self.q_star_mean + self.q_star_std * rng.standard_normal(shape)

    def pull(self, rng: np.random.Generator, q_a: NDArray[np.float64]) -> NDArray[np.float64]:
        """A reward of the pulled arm(s): Bernoulli(q*(a)) or N(q*(a), reward_std^2)."""
        if self.bernoulli:
            return pull_bernoulli(rng, q_a)
        return pull_gaussian(rng, q_a, self.reward_std)

    def drift(self, rng: np.random.Generator, q: NDArray[np.float64]) -> NDArray[np.float64]:
        """One step of the random walk of q* (identity for a stationary bandit)."""
        if not self.nonstationary:
            return q
        return random_walk(rng, q, self.walk_std, clip=self.bernoulli)
