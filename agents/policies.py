"""Policies pi(a|s) (§7.3 of the notes): helpers, evaluation and rollouts for any policy.

Anything that maps an observation to an action is a policy here:

- an object with ``predict(observation, deterministic) -> (action, state)``: labcoat agents,
  the helpers below, Stable-Baselines3 models;
- a plain callable ``observation -> action``;
- for Discrete observations, an int array (one action per state) or a matrix pi(a|s) of shape
  (n_states, n_actions) (rows are sampled).

:func:`action_function` turns any of these into a fast ``observation -> int`` function, used by
:func:`evaluate_policy`, :func:`rollout` and the prediction agents (TD0, MonteCarlo).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np

from labcoat.agents._observations import check_observation, state_index
from labcoat.agents.rules import (
    categorical_sample,
    epsilon_greedy_action,
    epsilon_greedy_probabilities,
)
from labcoat.classic._checks import check_int, check_probability

__all__ = [
    "EpsilonGreedyPolicy",
    "GreedyPolicy",
    "PolicyLike",
    "PredictsActions",
    "RandomPolicy",
    "Trajectory",
    "action_function",
    "evaluate_policy",
    "rollout",
]


@runtime_checkable
class PredictsActions(Protocol):
    """The Stable-Baselines3 policy protocol: ``predict(obs, deterministic) -> (action, state)``."""

    def predict(self, observation: Any, deterministic: bool = ...) -> tuple[Any, Any]:
        """Return the action for ``observation`` and a recurrent state (None)."""
        ...


PolicyLike = PredictsActions | Callable[[Any], Any] | np.ndarray
"""A policy: a ``predict`` object, a callable obs -> action, or a table (see module docstring)."""


UNIFORM_BLOCK = 4096
"""Uniform random numbers are drawn in blocks of this size (one numpy call per block)."""


def _uniform_stream(rng: np.random.Generator) -> Callable[[], float]:
    """``draw()``: the uniform numbers in [0, 1) of ``rng`` as Python floats, drawn in blocks.

    Every sampler of labcoat.agents (agents, policies) takes its uniforms from one of these.
    """

    def blocks() -> Iterator[float]:
        while True:
            yield from rng.random(UNIFORM_BLOCK).tolist()

    return blocks().__next__


class RandomPolicy:
    """The uniform random policy pi(a|s) = 1 / |A(s)| over the actions available in s.

    The available actions are the env's ``valid_actions`` row of s, or the step's
    ``info["action_mask"]`` (see :meth:`sample`), or all actions. One uniform u picks the
    available action number floor(|A(s)| u).

    Args:
        env: the environment (its action space, and its ``valid_actions`` mask if any).
        seed: seed of the policy's random numbers.
    """

    def __init__(self, env: gym.Env, *, seed: int | None = None) -> None:
        space = env.action_space
        if not isinstance(space, gym.spaces.Discrete):
            raise TypeError(f"RandomPolicy needs a Discrete action space, got {space}")
        self.n_actions, self._start = int(space.n), int(space.start)
        valid = getattr(env.unwrapped, "valid_actions", None)
        self._valid = (
            None
            if valid is None
            else [np.flatnonzero(row).tolist() for row in np.asarray(valid, dtype=bool)]
        )
        self._all = list(range(self.n_actions))
        self.observation_space = env.observation_space
        self._draw = _uniform_stream(np.random.default_rng(seed))

    def predict(self, observation: Any, deterministic: bool = False) -> tuple[int, None]:
        """A uniformly random available action (``deterministic`` is ignored)."""
        if check_observation(self.observation_space, observation):
            raise ValueError(f"observation must be one element of {self.observation_space}")
        return self.sample(observation), None

    def sample(self, observation: Any, info: Any = None) -> int:
        """A uniformly random action available in ``observation`` (or allowed by ``info``)."""
        if self._valid is not None:
            choices = self._valid[state_index(observation, len(self._valid))]
        elif info and info.get("action_mask") is not None:
            choices = np.flatnonzero(np.asarray(info["action_mask"])).tolist()
            if not choices:
                raise ValueError("info['action_mask'] allows no action")
        else:
            choices = self._all
        return choices[int(self._draw() * len(choices))] + self._start


class GreedyPolicy:
    """The greedy policy pi(s) = argmax_a q(s, a) (eq. 7.16); -inf marks unavailable actions.

    Args:
        q: action values, shape (n_states, n_actions).
    """

    def __init__(self, q: np.ndarray) -> None:
        self.q = np.asarray(q, dtype=float)
        if self.q.ndim != 2:
            raise ValueError(f"q must have shape (n_states, n_actions), got {self.q.shape}")
        self._actions = np.argmax(self.q, axis=1).tolist()

    def predict(self, observation: Any, deterministic: bool = True) -> tuple[int, None]:
        """The greedy action (ties to the lowest index)."""
        return self._actions[state_index(observation, len(self._actions))], None


class EpsilonGreedyPolicy:
    """The epsilon-greedy policy of q: greedy with probability 1 - epsilon, else uniform (§7.1).

    pi(a|s) = epsilon / |A(s)| + (1 - epsilon) [a greedy] / #greedy, A(s) the actions with a
    finite q: the rule of labcoat.agents.rules (``epsilon_greedy_action``, the same sampler as
    the agents'). With ``deterministic=True``, ``predict`` returns the greedy action (ties to
    the lowest index).

    Args:
        q: action values, shape (n_states, n_actions); -inf marks unavailable actions.
        epsilon: exploration probability in [0, 1].
        seed: seed of the policy's random numbers.
    """

    def __init__(self, q: np.ndarray, epsilon: float, *, seed: int | None = None) -> None:
        self.epsilon = check_probability("epsilon", epsilon)
        self._greedy = GreedyPolicy(q)
        self._rows = self._greedy.q.tolist()
        self._valid = [
            tuple(np.flatnonzero(np.isfinite(row)).tolist()) or tuple(range(len(row)))
            for row in self._greedy.q
        ]
        self._draw = _uniform_stream(np.random.default_rng(seed))

    @property
    def q(self) -> np.ndarray:
        """The action values."""
        return self._greedy.q

    def predict(self, observation: Any, deterministic: bool = False) -> tuple[int, None]:
        """An epsilon-greedy sample (ties at random), or the greedy action if ``deterministic``."""
        state = state_index(observation, len(self._valid))
        if deterministic:
            return self._greedy.predict(state)[0], None
        return epsilon_greedy_action(
            self._rows[state], self._valid[state], self.epsilon, self._draw
        ), None

    def probabilities(self) -> np.ndarray:
        """pi(a|s), shape (n_states, n_actions); tied greedy actions share 1 - epsilon."""
        return epsilon_greedy_probabilities(self.q, self.epsilon)


def _to_int(action: Any) -> int:
    array = np.asarray(action)
    if array.size != 1:
        raise ValueError(f"a policy must return one discrete action, got {action!r}")
    return int(array.reshape(()))


def action_function(
    policy: Any, env: gym.Env | None = None, *, deterministic: bool = False, seed: int | None = None
) -> Callable[[Any], int]:
    """Turn any policy (see the module docstring) into a function observation -> int action.

    Args:
        policy: the policy.
        env: the environment (used to check a table policy's shape).
        deterministic: passed to ``predict`` (False samples stochastic policies).
        seed: seed for sampling a pi(a|s) matrix.
    """
    if isinstance(policy, np.ndarray | list | tuple):
        table = np.asarray(policy)
        n_states = _n_states(env)
        if n_states is not None and table.shape[0] != n_states:
            raise ValueError(f"a policy table needs {n_states} rows, got shape {table.shape}")
        if table.ndim == 1 and np.issubdtype(table.dtype, np.integer):
            actions = table.tolist()
            return lambda observation: actions[state_index(observation, len(actions))]
        if table.ndim == 2:
            return _matrix_policy(table, seed)
        raise ValueError(
            f"a policy table must be int (n_states,) or pi (n_states, n_actions), got {table.shape}"
        )
    predict = getattr(policy, "predict", None)
    if callable(predict):
        return lambda observation: _to_int(predict(observation, deterministic=deterministic)[0])
    if callable(policy):
        return lambda observation: _to_int(policy(observation))
    raise TypeError(
        "policy must have predict(obs, deterministic), be callable or be a table, "
        f"got {type(policy).__name__}"
    )


def _n_states(env: gym.Env | None) -> int | None:
    if env is None:
        return None
    space = env.observation_space
    return int(space.n) if isinstance(space, gym.spaces.Discrete) else None


def _matrix_policy(pi: np.ndarray, seed: int | None) -> Callable[[Any], int]:
    pi = np.asarray(pi, dtype=float)
    if np.any(pi < 0) or not np.allclose(pi.sum(axis=1), 1.0, atol=1e-9):
        raise ValueError("a policy matrix pi(a|s) needs rows of probabilities summing to 1")
    cumulative = np.cumsum(pi, axis=1).tolist()
    draw = _uniform_stream(np.random.default_rng(seed))

    def act(observation: Any) -> int:
        row = cumulative[state_index(observation, len(cumulative))]
        return categorical_sample(row, draw() * row[-1])

    return act


@dataclass(frozen=True)
class Trajectory:
    """One episode S_0, A_0, R_1, S_1, ... (§7.2).

    Attributes:
        observations: S_0 ... S_T, length T + 1.
        actions: A_0 ... A_{T-1}, length T.
        rewards: R_1 ... R_T, length T.
        terminated: per step, whether the episode ended in a terminal state.
        truncated: per step, whether the episode was cut (time limit or ``max_steps``).
    """

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray

    @property
    def episode_return(self) -> float:
        """The undiscounted return G_0 = R_1 + ... + R_T (eq. 7.2)."""
        return float(np.sum(self.rewards))

    def __len__(self) -> int:
        return len(self.actions)


def rollout(
    policy: Any,
    env: gym.Env,
    *,
    seed: int | None = None,
    deterministic: bool = True,
    max_steps: int = 100_000,
) -> Trajectory:
    """Run one episode of ``policy`` in ``env`` and record it.

    Args:
        policy: any policy (see the module docstring).
        env: the environment (reset with ``seed``).
        seed: seed of the reset (and of a matrix policy's sampling).
        deterministic: passed to ``predict``.
        max_steps: stop (truncate) after this many steps if the episode has not ended.

    Returns:
        The trajectory.
    """
    max_steps = check_int("max_steps", max_steps, 1)
    act = action_function(policy, env, deterministic=deterministic, seed=seed)
    observation, _ = env.reset(seed=seed)
    observations, actions, rewards, terminals, truncations = [observation], [], [], [], []
    for t in range(max_steps):
        action = act(observation)
        observation, reward, terminated, truncated, _ = env.step(action)
        truncated = truncated or (t == max_steps - 1 and not terminated)
        observations.append(observation)
        actions.append(action)
        rewards.append(float(reward))
        terminals.append(bool(terminated))
        truncations.append(bool(truncated))
        if terminated or truncated:
            break
    return Trajectory(
        observations=np.asarray(observations),
        actions=np.asarray(actions),
        rewards=np.asarray(rewards),
        terminated=np.asarray(terminals),
        truncated=np.asarray(truncations),
    )


def evaluate_policy(
    policy: Any,
    env: gym.Env,
    *,
    n_episodes: int = 10,
    seed: int | None = None,
    deterministic: bool = True,
    max_steps: int = 100_000,
) -> tuple[float, float]:
    """Mean and standard deviation of the undiscounted return G_0 (eq. 7.2) over episodes.

    The first reset is seeded with ``seed``; the later episodes continue the env's random
    stream, so the result is reproducible.

    Args:
        policy: any policy (see the module docstring).
        env: the environment.
        n_episodes: number of episodes (>= 1).
        seed: seed of the first reset (and of a matrix policy's sampling).
        deterministic: passed to ``predict``.
        max_steps: per-episode step limit (an episode reaching it counts as it stands).

    Returns:
        (mean, std) of the episode returns (std with ddof = 0, as Stable-Baselines3).
    """
    n_episodes = check_int("n_episodes", n_episodes, 1)
    max_steps = check_int("max_steps", max_steps, 1)
    act = action_function(policy, env, deterministic=deterministic, seed=seed)
    returns = []
    for episode in range(n_episodes):
        observation, _ = env.reset(seed=seed if episode == 0 else None)
        total = 0.0
        for _ in range(max_steps):
            observation, reward, terminated, truncated, _ = env.step(act(observation))
            total += float(reward)
            if terminated or truncated:
                break
        returns.append(total)
    return float(np.mean(returns)), float(np.std(returns))
