"""Many independent tabular runs at once: Sarsa, Q-learning and expected Sarsa on a model.

Studies such as "Sarsa against Q-learning on the cliff, averaged over 50 runs" (Sutton & Barto
Example 6.6) need many independent learners. Here every run is a row of numpy arrays: all runs
step together, each on its own episode, sampling its transitions from the model's outcome
table (inverse CDF), and the targets are the functions of labcoat.agents.rules (eqs.
7.23, 7.24, Sutton & Barto eq. 6.9), applied to all runs in one call. A run that has finished
its episodes stops while the others go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from labcoat.agents._observations import state_index
from labcoat.agents.planning import TabularModel, check_episodes_end
from labcoat.agents.rules import (
    check_learning_rate,
    epsilon_greedy_arms,
    epsilon_greedy_probabilities,
    expected_sarsa_target,
    q_learning_target,
    sarsa_target,
    step_size,
    step_size_power,
    td_update,
)
from labcoat.classic._checks import check_choice, check_float, check_int, check_probability
from labcoat.envs._tabular import Outcomes

__all__ = [
    "BatchedResult",
    "batched_control",
    "batched_expected_sarsa",
    "batched_q_learning",
    "batched_sarsa",
]

Method = Literal["sarsa", "q_learning", "expected_sarsa"]


@dataclass(frozen=True)
class BatchedResult:
    """The outcome of independent runs.

    Attributes:
        q: final action values of every run, shape (n_runs, n_states, n_actions).
        episode_returns: undiscounted return of every training episode, (n_runs, n_episodes).
        episode_lengths: steps of every training episode, (n_runs, n_episodes).
    """

    q: np.ndarray
    episode_returns: np.ndarray
    episode_lengths: np.ndarray


def _outcomes(model: TabularModel) -> Outcomes:
    """The model's outcome table, or one built from T, R and the terminal mask."""
    if model.outcomes is not None:
        return model.outcomes
    n_states, n_actions = model.n_states, model.n_actions
    shape = (n_states, n_actions, n_states)
    return Outcomes(
        prob=np.asarray(model.T),
        next_state=np.broadcast_to(np.arange(n_states), shape).copy(),
        reward=np.broadcast_to(model.R[:, :, None], shape).copy(),
        terminated=np.broadcast_to(model.terminal, shape).copy(),
    )


def _epsilon_greedy(q_rows: np.ndarray, epsilon: float, rng: np.random.Generator) -> np.ndarray:
    """One epsilon-greedy action per row of q (n, n_actions) (``epsilon_greedy_arms``)."""
    return epsilon_greedy_arms(np.ascontiguousarray(q_rows.T), epsilon, rng)


def _sample_start(start: np.ndarray | int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` start states: a fixed state, or draws from a cumulative distribution."""
    if isinstance(start, int):
        return np.full(n, start)
    return np.minimum(np.searchsorted(start, rng.random(n), side="right"), len(start) - 1)


def batched_control(
    model: TabularModel,
    method: Method,
    *,
    n_runs: int,
    n_episodes: int,
    gamma: float,
    learning_rate: float | str = 0.1,
    epsilon: float = 0.1,
    initial_q: float = 0.0,
    start_state: int | None = None,
    max_episode_steps: int | None = None,
    seed: int | None = None,
) -> BatchedResult:
    """Run ``n_runs`` independent epsilon-greedy TD-control learners for ``n_episodes`` each.

    The update is q(S_t, A_t) <- q(S_t, A_t) + alpha [target - q(S_t, A_t)] (eq. 7.22) with the
    Sarsa (eq. 7.23), Q-learning (eq. 7.24) or expected-Sarsa target, discount_t = gamma (1 -
    terminated); an episode cut at ``max_episode_steps`` bootstraps.

    Args:
        model: the MDP (its outcome table gives the sampled rewards).
        method: "sarsa", "q_learning" or "expected_sarsa".
        n_runs: number of independent runs (>= 1).
        n_episodes: episodes per run (>= 1).
        gamma: discount in [0, 1].
        learning_rate: alpha in (0, 1], "1/n" or "1/n^w" (n: per-pair update count).
        epsilon: exploration probability in [0, 1].
        initial_q: initial value of the available q(s, a).
        start_state: the start state; default: sampled from ``model.initial_distribution``.
        max_episode_steps: time limit (truncation), None for none.
        seed: seed of all random numbers.

    Returns:
        The final q of every run and the return and length of every episode.
    """
    check_choice("method", method, ("sarsa", "q_learning", "expected_sarsa"))
    n_runs, n_episodes = check_int("n_runs", n_runs, 1), check_int("n_episodes", n_episodes, 1)
    gamma = check_probability("gamma", gamma)
    alpha = check_learning_rate(learning_rate)
    power = step_size_power(alpha)
    epsilon = check_probability("epsilon", epsilon)
    initial_q = check_float("initial_q", initial_q)
    if max_episode_steps is not None:
        max_episode_steps = check_int("max_episode_steps", max_episode_steps, 1)
    if seed is not None:
        seed = check_int("seed", seed, 0)
    if start_state is not None:
        start: np.ndarray | int = state_index(start_state, model.n_states, name="start_state")
    elif model.initial_distribution is not None:
        start = np.cumsum(model.initial_distribution)
    else:
        raise ValueError("the model has no initial_distribution: pass start_state")
    if max_episode_steps is None:
        starts = np.zeros(model.n_states, dtype=bool)
        starts[start if isinstance(start, int) else np.asarray(model.initial_distribution) > 0] = (
            True
        )
        check_episodes_end(model, starts, f"batched {method}")
    limit = np.inf if max_episode_steps is None else int(max_episode_steps)
    outcomes = _outcomes(model)
    rng = np.random.default_rng(seed)

    q = np.full((n_runs, model.n_states, model.n_actions), initial_q)
    q[:, ~model.valid_actions] = -np.inf
    counts = np.zeros(q.shape, dtype=np.int64)
    returns = np.zeros((n_runs, n_episodes))
    lengths = np.zeros((n_runs, n_episodes), dtype=np.int64)
    episode = np.zeros(n_runs, dtype=np.int64)
    ret, length = np.zeros(n_runs), np.zeros(n_runs, dtype=np.int64)
    s = _sample_start(start, n_runs, rng)
    a = _epsilon_greedy(q[np.arange(n_runs), s], epsilon, rng)
    idx = np.arange(n_runs)
    step = 0  # steps taken by the runs still learning (the longest run's count)
    while idx.size:
        step += 1
        si, ai = s[idx], a[idx]
        s2, r, terminated = outcomes.sample(si, ai, rng.random(idx.size))
        discount = gamma * (1.0 - terminated)
        q_t = q[idx, s2]
        if method == "sarsa":
            a2 = _epsilon_greedy(q_t, epsilon, rng)
            target = sarsa_target(q_t, a2, r, discount)
        elif method == "q_learning":
            target = q_learning_target(q_t, r, discount)
        else:
            probs = epsilon_greedy_probabilities(q_t, epsilon)
            target = expected_sarsa_target(q_t, probs, r, discount)
        counts[idx, si, ai] += 1
        alpha_n = step_size(alpha, power, counts[idx, si, ai])
        q[idx, si, ai] = td_update(q[idx, si, ai], target, alpha_n)
        if not np.isfinite(q[idx, si, ai]).all():
            raise FloatingPointError(
                f"batched {method} diverged: q became non-finite at time step {step} "
                "(lower learning_rate or gamma, or scale the rewards)"
            )
        ret[idx] += r
        length[idx] += 1
        ended = terminated | (length[idx] >= limit)
        done = idx[ended]
        returns[done, episode[done]] = ret[done]
        lengths[done, episode[done]] = length[done]
        episode[done] += 1
        ret[done], length[done] = 0.0, 0
        if method == "sarsa":
            s[idx], a[idx] = s2, a2
        else:
            s[idx], a[idx] = s2, _epsilon_greedy(q[idx, s2], epsilon, rng)
        if done.size:
            s[done] = _sample_start(start, done.size, rng)
            a[done] = _epsilon_greedy(q[done, s[done]], epsilon, rng)
        idx = idx[episode[idx] < n_episodes]
    return BatchedResult(q=q, episode_returns=returns, episode_lengths=lengths)


def batched_sarsa(model: TabularModel, **kwargs: object) -> BatchedResult:
    """Independent Sarsa runs (eq. 7.23); arguments as :func:`batched_control`."""
    return batched_control(model, "sarsa", **kwargs)  # type: ignore[arg-type]


def batched_q_learning(model: TabularModel, **kwargs: object) -> BatchedResult:
    """Independent Q-learning runs (eq. 7.24); arguments as :func:`batched_control`."""
    return batched_control(model, "q_learning", **kwargs)  # type: ignore[arg-type]


def batched_expected_sarsa(model: TabularModel, **kwargs: object) -> BatchedResult:
    """Independent expected-Sarsa runs (Sutton & Barto eq. 6.9); as :func:`batched_control`."""
    return batched_control(model, "expected_sarsa", **kwargs)  # type: ignore[arg-type]
