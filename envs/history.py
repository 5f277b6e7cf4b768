"""Memory for experiment-optimization agents: the campaign's history as the observation.

The notes' state for experiment optimization (seed 000 §7) is the current conditions and the
last measurement; a search method needs more: what was tried, what it gave, the best so far
and how many experiments are left. `ExperimentHistory` wraps an environment whose observation
is (conditions..., measurement) in a Box (``labcoat/ReactionOptimization-v0``) and whose info
counts the experiments, and returns that history, normalized, as a (k + 1, n + 2) array.
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from labcoat.envs._checks import check_int

__all__ = ["ExperimentHistory"]


class ExperimentHistory(gym.Wrapper[np.ndarray, Any, np.ndarray, Any]):
    """The last ``k`` experiments, the best so far and the budget left, normalized.

    With n conditions c (observation entries 0..n-1, bounds [low, high] of the wrapped Box)
    and the measurement y (entry n, bounds [0, 1] in the reaction env), each experiment j is
    the row

        (2 (c_j - low) / (high - low) - 1, y_j, 1)          (conditions in [-1, 1]),

    the observation stacks the last ``k`` such rows, oldest first, zero rows in front while
    fewer than ``k`` experiments exist (their last entry 0 marks them empty), and one summary
    row

        (2 (c* - low) / (high - low) - 1, y*, (B - e) / B)

    with c* the conditions of the best measurement y* so far and (B - e)/B the fraction of the
    budget B left after e experiments (the env's ``info["experiment"]`` and ``budget``; the
    start is experiment 0). Measurements are the noisy ones the agent sees, never the true
    yields. Shape (k + 1, n + 2), float32, every entry in [-1, 1].

    Args:
        env: an environment with a Box observation (conditions, measurement), an ``experiment``
            count in its info and a ``budget`` attribute (unwrapped).
        k: experiments remembered (>= 1).
    """

    def __init__(self, env: gym.Env[np.ndarray, Any], k: int = 8) -> None:
        super().__init__(env)
        self.k = check_int("k", k, 1)
        space = env.observation_space
        if not isinstance(space, spaces.Box) or len(space.shape) != 1 or space.shape[0] < 2:
            raise TypeError("env's observation_space must be a 1-D Box (conditions, measurement)")
        self._low = space.low[:-1].astype(float)
        self._span = (space.high[:-1] - space.low[:-1]).astype(float)
        self._budget = check_int("env.unwrapped.budget", getattr(env.unwrapped, "budget", 0), 1)
        width = space.shape[0] + 1
        self.observation_space = spaces.Box(-1.0, 1.0, shape=(self.k + 1, width), dtype=np.float32)
        self._rows = np.zeros((self.k, width))
        self._best = np.zeros(width)

    def _record(self, observation: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        row = np.append(2.0 * (observation[:-1] - self._low) / self._span - 1.0, observation[-1])
        self._rows = np.vstack([self._rows[1:], np.append(row, 1.0)])
        if self._best[-2] < row[-1] or info["experiment"] == 0:
            self._best[:-1] = row
        self._best[-1] = (self._budget - info["experiment"]) / self._budget
        return np.vstack([self._rows, self._best]).astype(np.float32)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset the env and forget the previous campaign."""
        observation, info = self.env.reset(seed=seed, options=options)
        self._rows[:] = 0.0
        self._best[:] = 0.0
        return self._record(np.asarray(observation, dtype=float), info), info

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the env and append the new experiment to the history."""
        observation, reward, terminated, truncated, info = self.env.step(action)
        history = self._record(np.asarray(observation, dtype=float), info)
        return history, reward, terminated, truncated, info
