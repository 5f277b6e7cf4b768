"""Direct policy search: the cross-entropy method and an evolution strategy on theta.

Footnote 30 of the notes: "an agent tries a policy many times and judges only the final
outcome". Neither method looks at a single step: each draws a population of parameter vectors
theta_i around a search distribution N(m, diag s^2), scores every one by the return of whole
episodes, F(theta_i) = mean over episodes of sum_t gamma^t R_{t+1}, acting with the policy's
most probable action (``mode``), and moves the search distribution:

- :class:`CrossEntropyMethod`: m, s <- mean and std of the elite (the best fraction), with a
  floor on s (:func:`~labcoat.agents.rules.cross_entropy_update`);
- :class:`EvolutionStrategy`: m <- m + alpha grad_m E[F(m + sigma eps)], the search gradient
  estimated from mirrored samples eps, -eps
  (:func:`~labcoat.agents.rules.evolution_strategy_gradient`).

The policies are those of labcoat.agents.parametric_policies. All candidates of one generation
are scored on the same start states (common random numbers: their ranking reflects theta, not
the luck of the draw).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self, TypedDict, Unpack

import gymnasium as gym
import numpy as np

from labcoat.agents._base import _Progress
from labcoat.agents._settings import resolve
from labcoat.agents.parametric_policies import ParametricPolicy, default_policy
from labcoat.agents.rules import cross_entropy_update, evolution_strategy_gradient
from labcoat.classic._checks import check_float, check_int, check_probability

__all__ = [
    "CrossEntropyMethod",
    "CrossEntropySettings",
    "EvolutionSettings",
    "EvolutionStrategy",
    "SearchSettings",
    "episode_score",
]


def episode_score(
    env: gym.Env,
    policy: ParametricPolicy,
    seeds: Any,
    gamma: float = 1.0,
    max_steps: int = 10_000,
) -> float:
    """F(theta): the mean discounted return sum_t gamma^t R_{t+1} (eq. 7.3) of ``policy.mode``.

    One episode per reset seed in ``seeds``; an episode stops at termination, truncation or
    ``max_steps`` steps.
    """
    box = env.action_space if isinstance(env.action_space, gym.spaces.Box) else None
    total = 0.0
    for seed in seeds:
        obs, _ = env.reset(seed=int(seed))
        discount = 1.0
        for _ in range(max_steps):
            a = policy.mode(obs)
            action = int(a) if box is None else np.clip(a, box.low, box.high).astype(box.dtype)
            obs, r, terminated, truncated, _ = env.step(action)
            total += discount * float(r)
            discount *= gamma
            if terminated or truncated:
                break
    return total / len(seeds)


class SearchSettings(TypedDict, total=False):
    """The keyword arguments shared by :class:`CrossEntropyMethod` and :class:`EvolutionStrategy`.

    Attributes:
        population: samples per generation, >= 2 (even for EvolutionStrategy). Default ``50``.
        n_episodes: episodes (start states) per score, >= 1. Default ``1``.
        gamma: discount factor of the score, in [0, 1]. Default ``1.0``.
        seed: an int >= 0 or None; seeds the samples and the start states. Default ``None``.
        initial_mean: m at the start, one entry per policy parameter; None is the policy's
            parameters. Default ``None``.
    """

    population: int
    n_episodes: int
    gamma: float
    seed: int | None
    initial_mean: Any


class CrossEntropySettings(SearchSettings, total=False):
    """CrossEntropyMethod's keywords: those of :class:`SearchSettings` and the following.

    Attributes:
        elite_fraction: the fraction kept, in (0, 1] (at least one sample). Default ``0.2``.
        initial_std: s at the start, > 0. Default ``1.0``.
        min_std: the floor of s, >= 0. Default ``0.0``.
    """

    elite_fraction: float
    initial_std: float
    min_std: float


class EvolutionSettings(SearchSettings, total=False):
    """EvolutionStrategy's keywords: those of :class:`SearchSettings` and the following.

    Attributes:
        sigma: the search standard deviation, > 0. Default ``0.1``.
        learning_rate: alpha > 0. Default ``0.01``.
    """

    sigma: float
    learning_rate: float


_DEFAULTS: dict[str, Any] = {
    "population": 50,
    "n_episodes": 1,
    "gamma": 1.0,
    "seed": None,
    "initial_mean": None,
}


class _Search:
    """Shared: the policy, the search mean m, scoring a population, the learn loop."""

    _settings: ClassVar[Any] = SearchSettings
    _defaults: ClassVar[dict[str, Any]] = _DEFAULTS

    def __init__(self, env: gym.Env | str, policy: Any, settings: Mapping[str, Any]) -> None:
        kw = resolve(type(self).__name__, settings, self._settings, self._defaults)
        self._own_settings(kw)
        self.env = gym.make(env) if isinstance(env, str) else env
        self.policy: ParametricPolicy = default_policy(self.env, policy)
        self.population = check_int("population", kw["population"], 2)
        self.n_episodes = check_int("n_episodes", kw["n_episodes"], 1)
        self.gamma = check_probability("gamma", kw["gamma"])
        self.seed = None if kw["seed"] is None else check_int("seed", kw["seed"], 0)
        self._rng = np.random.default_rng(kw["seed"])
        start = self.policy.parameters if kw["initial_mean"] is None else kw["initial_mean"]
        self.policy.parameters = start  # checks the length
        self.mean = self.policy.parameters
        self.history: list[dict[str, float]] = []
        """Per generation: the score of the mean and the population's mean and best scores."""

    def _own_settings(self, kw: Mapping[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _scores(self, samples: np.ndarray, seeds: np.ndarray) -> np.ndarray:
        scores = np.empty(len(samples))
        for i, theta in enumerate(samples):
            self.policy.parameters = theta
            scores[i] = episode_score(self.env, self.policy, seeds, self.gamma)
        return scores

    def _generation(self, seeds: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def learn(
        self,
        n_generations: int,
        *,
        callback: Callable[[Any], bool | None] | None = None,
        progress_bar: bool = False,
    ) -> Self:
        """Run ``n_generations`` generations; ``callback(self)`` after each (False stops).

        Afterwards the policy's parameters are the search mean m.
        """
        n_generations = check_int("n_generations", n_generations, 1)
        with _Progress(type(self).__name__, n_generations, progress_bar) as progress:
            for _ in range(n_generations):
                seeds = self._rng.integers(2**31, size=self.n_episodes)
                scores = self._generation(seeds)
                self.policy.parameters = self.mean
                mean_score = episode_score(self.env, self.policy, seeds, self.gamma)
                self.history.append(
                    {
                        "mean_score": mean_score,
                        "population": float(np.mean(scores)),
                        "best": float(np.max(scores)),
                    }
                )
                progress.advance(1)
                if callback is not None and callback(self) is False:
                    break
        self.policy.parameters = self.mean
        return self

    def predict(self, observation: Any, deterministic: bool = True) -> tuple[Any, None]:
        """The action of the policy at the search mean (its most probable action)."""
        self.policy.parameters = self.mean
        return self.policy.mode(observation), None


class CrossEntropyMethod(_Search):
    """The cross-entropy method on a policy's parameters (Szita & Lorincz 2006).

    Each generation draws ``population`` vectors theta_i ~ N(m, diag s^2), scores them
    (:func:`episode_score`) and refits m, s to the ``elite_fraction`` best
    (:func:`~labcoat.agents.rules.cross_entropy_update`), s floored at ``min_std`` so the
    search does not collapse before it has converged.

    Args:
        env: a Gymnasium env (or id).
        policy: a parametrized policy, a torch module or None (see labcoat.agents.policy_gradient).
        **settings: population, elite_fraction, initial_std, min_std, n_episodes, gamma, seed,
            initial_mean: the keywords of :class:`CrossEntropySettings`.
    """

    _settings = CrossEntropySettings
    _defaults = {**_DEFAULTS, "elite_fraction": 0.2, "initial_std": 1.0, "min_std": 0.0}

    def __init__(
        self, env: gym.Env | str, policy: Any = None, **settings: Unpack[CrossEntropySettings]
    ) -> None:
        super().__init__(env, policy, settings)
        self.n_elite = max(1, round(self.elite_fraction * self.population))
        self.std = np.full(len(self.mean), self.initial_std)

    def _own_settings(self, kw: Mapping[str, Any]) -> None:
        self.elite_fraction = check_float(
            "elite_fraction", kw["elite_fraction"], 0.0, 1.0, low_open=True
        )
        self.min_std = check_float("min_std", kw["min_std"], 0.0)
        self.initial_std = check_float("initial_std", kw["initial_std"], 0.0, low_open=True)

    def _generation(self, seeds: np.ndarray) -> np.ndarray:
        noise = self._rng.standard_normal((self.population, len(self.mean)))
        samples = self.mean + self.std * noise
        scores = self._scores(samples, seeds)
        self.mean, std = cross_entropy_update(samples, scores, self.n_elite)
        self.std = np.maximum(std, self.min_std)
        return scores


class EvolutionStrategy(_Search):
    """A Gaussian evolution strategy with mirrored sampling (Salimans et al. 2017).

    Each generation draws population / 2 directions eps_j ~ N(0, I), scores m + sigma eps_j and
    m - sigma eps_j, and steps m <- m + alpha g with the search gradient
    g = (1 / (n sigma)) sum_i (F_i - mean F) eps_i
    (:func:`~labcoat.agents.rules.evolution_strategy_gradient`): the gradient of the smoothed
    objective E[F(m + sigma eps)], which for a fixed isotropic sigma is also the natural
    gradient of the mean (Wierstra et al. 2014) up to the factor sigma^2.

    Args:
        env: a Gymnasium env (or id).
        policy: as :class:`CrossEntropyMethod`.
        **settings: population (even), sigma, learning_rate, n_episodes, gamma, seed,
            initial_mean: the keywords of :class:`EvolutionSettings`.
    """

    _settings = EvolutionSettings
    _defaults = {**_DEFAULTS, "sigma": 0.1, "learning_rate": 0.01}

    def __init__(
        self, env: gym.Env | str, policy: Any = None, **settings: Unpack[EvolutionSettings]
    ) -> None:
        super().__init__(env, policy, settings)

    def _own_settings(self, kw: Mapping[str, Any]) -> None:
        population = kw["population"]
        if isinstance(population, int) and population % 2:
            raise ValueError(f"population must be even (mirrored pairs), got {population}")
        self.sigma = check_float("sigma", kw["sigma"], 0.0, low_open=True)
        self.learning_rate = check_float("learning_rate", kw["learning_rate"], 0.0, low_open=True)

    def _generation(self, seeds: np.ndarray) -> np.ndarray:
        half = self._rng.standard_normal((self.population // 2, len(self.mean)))
        noise = np.concatenate([half, -half])
        scores = self._scores(self.mean + self.sigma * noise, seeds)
        self.mean = self.mean + self.learning_rate * evolution_strategy_gradient(
            noise, scores, self.sigma
        )
        return scores
