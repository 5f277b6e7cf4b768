"""Array helpers shared by the bandit environments (one code path for one run or thousands).

Every function works on arrays with any leading shape: ``q`` of shape ``(k,)`` for one bandit or
``(n_runs, k)`` for a batch. The random draws are made in the same order and with the same
number of variates whatever the leading shape, so one seeded run of ``BanditEnv`` and a
``BanditVectorEnv`` with ``num_envs=1`` produce identical numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labcoat.envs._checks import check_bool, check_choice, check_float, check_int
from labcoat.envs._inputs import real_array
from labcoat.envs._render import render_frame

REWARD_DISTRIBUTIONS = ("gaussian", "bernoulli")


def check_values(
    name: str, values: Sequence[float] | NDArray[Any], *, probabilities: bool
) -> NDArray[np.float64]:
    """``values`` as a 1-D float64 array of at least 2 finite values (probabilities if asked)."""
    array = real_array(name, values)
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
        check_choice("reward_distribution", reward_distribution, REWARD_DISTRIBUTIONS)
        self.bernoulli = reward_distribution == "bernoulli"
        self.fixed_q_star = (
            None if q_star is None else check_values("q_star", q_star, probabilities=self.bernoulli)
        )
        default_k = 10 if self.fixed_q_star is None else self.fixed_q_star.size
        self.k = default_k if k is None else check_int("k", k, 2)
        self.n_steps = check_int("n_steps", n_steps, 1)
        self.q_star_mean = check_float("q_star_mean", q_star_mean)
        self.q_star_std = check_float("q_star_std", q_star_std, 0.0, low_open=True)
        self.reward_std = check_float("reward_std", reward_std, 0.0, low_open=True)
        self.nonstationary = check_bool("nonstationary", nonstationary)
        self.walk_std = check_float("walk_std", walk_std, 0.0, low_open=True)
        if self.k != default_k and self.fixed_q_star is not None:  # each argument checked first
            raise ValueError(f"k must equal len(q_star) = {default_k}, got {k!r}")

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


def bar_picture(
    values: NDArray[np.float64], low: float, high: float, pulled: int | None
) -> NDArray[np.uint8]:
    """A 64-pixel-high RGB bar chart of the arms' true values on the scale [low, high].

    One column per arm (16 pixels wide for up to 16 arms, narrower for more, at least 1): grey
    bars, the best arm's bar green, a red square above the arm pulled last (if any).
    """
    k = values.size
    width = max(1, min(16, 256 // k))
    image = np.full((64, k * width, 3), 235, dtype=np.uint8)
    span = high - low if high > low else 1.0
    heights = 4 + np.rint(48 * np.clip((values - low) / span, 0.0, 1.0)).astype(int)
    best = int(optimal_action(values))
    for arm, height in enumerate(heights.tolist()):
        columns = slice(arm * width, (arm + 1) * width - (width > 2))
        image[64 - height :, columns] = (40, 160, 60) if arm == best else (150, 150, 150)
    if pulled is not None:
        image[2:8, pulled * width : (pulled + 1) * width - (width > 2)] = (200, 40, 40)
    return image


def bandit_frame(
    render_mode: str | None,
    values: NDArray[np.float64] | None,
    scale: tuple[float, float],
    pulled: int | None,
    text: Callable[[NDArray[np.float64]], str],
) -> str | NDArray[np.uint8] | None:
    """The frame of a bandit: ``text(values)`` ("ansi") or :func:`bar_picture` ("rgb_array")."""
    if values is None:
        raise RuntimeError("call reset() before render()")
    return render_frame(
        render_mode, lambda: text(values), lambda: bar_picture(values, *scale, pulled)
    )
