"""Many independent runs at once: the one runner of the tabular studies and the bandit testbed.

Studies such as "Sarsa against Q-learning on the cliff, averaged over 50 runs" (Sutton & Barto
Example 6.6) or the 10-armed testbed (§2.3) need many independent learners. Here every run is
a row of numpy arrays, and :func:`run_batched` is the loop they all share: the learners act,
the environments step, the learners learn, and a run that has finished stops while the others
go on. For tabular control the environments sample their transitions from the model's outcome
table (labcoat.envs._tabular.Outcomes, the envs' inverse-CDF rule) and the targets are the
functions of labcoat.agents.rules (eqs. 7.23, 7.24, Sutton & Barto eq. 6.9), applied to all
runs in one call; labcoat.agents.bandits.run_testbed plays a bandit strategy on the vectorized
bandit with the same loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol

import numpy as np

from labcoat.agents._observations import state_index
from labcoat.agents.planning import TabularModel, check_episodes_end
from labcoat.agents.rules import (
    categorical_sample,
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
    "BatchEnv",
    "BatchLearner",
    "BatchStep",
    "BatchedResult",
    "batched_control",
    "batched_expected_sarsa",
    "batched_q_learning",
    "batched_sarsa",
    "run_batched",
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
    """The model's outcome table, or one built from its sparse transitions, R and terminal mask.

    Outcome k of (s, a) is the k-th non-zero of the transition row (padded with probability
    zero to the widest row), so memory grows with the non-zeros, not with S x A x S.
    """
    if model.outcomes is not None:
        return model.outcomes
    M = model.transitions
    n_states, n_actions = model.n_states, model.n_actions
    counts = np.diff(M.indptr)
    width = max(int(counts.max(initial=1)), 1)
    rows = np.repeat(np.arange(M.shape[0]), counts)
    slots = np.arange(M.nnz) - M.indptr[rows]
    prob = np.zeros((M.shape[0], width))
    next_state = np.zeros((M.shape[0], width), dtype=np.int64)
    prob[rows, slots], next_state[rows, slots] = M.data, M.indices
    for k in range(1, width):  # padding points at the last real outcome (see Outcomes)
        pad = np.arange(width)[k] >= counts
        next_state[pad, k] = next_state[pad, k - 1]
    shape = (n_states, n_actions, width)
    return Outcomes(
        prob=prob.reshape(shape),
        next_state=next_state.reshape(shape),
        reward=np.broadcast_to(model.R[:, :, None], shape).copy(),
        terminated=model.terminal[next_state].reshape(shape),
    )


def _sample_start(start: np.ndarray | int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` start states: a fixed state, or draws from a cumulative distribution."""
    if isinstance(start, int):
        return np.full(n, start)
    return categorical_sample(start, rng.random(n))


class BatchEnv(Protocol):
    """Independent environments, one per run, stepped together (a vector env with run indices)."""

    def step(self, runs: np.ndarray, actions: np.ndarray) -> BatchStep:
        """Step the environments of ``runs`` with one action each."""
        ...


class BatchLearner(Protocol):
    """Independent learners, one per run: choose the actions, learn from the outcomes."""

    def act(self, runs: np.ndarray) -> np.ndarray:
        """The actions of ``runs`` in their current observations."""
        ...

    def learn(self, runs: np.ndarray, actions: np.ndarray, step: BatchStep) -> None:
        """Learn from the outcome of ``actions`` in ``runs``."""
        ...


class BatchStep(NamedTuple):
    """What the environments of the stepped runs returned.

    Attributes:
        observations: the next observations S_{t+1} (before an ended episode restarts).
        rewards: R_{t+1}.
        terminated: whether S_{t+1} is terminal (the bootstrap is zeroed).
        ended: whether the episode ended (terminated or cut by a time limit).
        running: the runs that go on after this step (the others have finished their study).
        info: further per-run arrays (the bandit's regret).
    """

    observations: Any
    rewards: np.ndarray
    terminated: np.ndarray
    ended: np.ndarray
    running: np.ndarray
    info: dict[str, Any]


def run_batched(learner: BatchLearner, env: BatchEnv, n_runs: int) -> int:
    """The loop of every study of many independent runs: act, step, learn, until all finish.

    Each run is a learner and an environment of its own; all runs step together (numpy across
    runs), and a run that has finished (its episodes or steps) stops while the others go on.
    The tabular control studies (:func:`batched_control`) and the bandit testbed
    (labcoat.agents.bandits.run_testbed) are this loop with their learner and environment.

    Returns:
        The number of steps of the longest run.
    """
    runs, steps = np.arange(n_runs), 0
    while runs.size:
        steps += 1
        actions = learner.act(runs)
        step = env.step(runs, actions)
        learner.learn(runs, actions, step)
        runs = step.running
    return steps


class _ModelRuns:
    """One episode after another on a model's outcome table, for each run (a BatchEnv).

    Records the undiscounted return and the length of every episode; a run stops after
    ``n_episodes`` of them. An episode ends in a terminal state or at the time limit. The
    outcome table is held flat (index (s A + a) K + k), so that a step is a few one-dimensional
    ``take``s; while every run is running (most of a study) the per-run arrays are used whole.
    """

    def __init__(
        self,
        model: TabularModel,
        start: np.ndarray | int,
        limit: float,
        n_runs: int,
        n_episodes: int,
        rng: np.random.Generator,
    ) -> None:
        outcomes = _outcomes(model)
        self.n_actions, self.width = model.n_actions, outcomes.prob.shape[2]
        self.cumulative = outcomes.cumulative.reshape(-1, self.width)  # (S A, K)
        self.next_state = outcomes.next_state.ravel()
        self.reward, self.terminated = outcomes.reward.ravel(), outcomes.terminated.ravel()
        self.start, self.limit, self.rng = start, limit, rng
        self.n_runs, self.n_episodes = n_runs, n_episodes
        self.states = _sample_start(start, n_runs, rng)
        self.returns = np.zeros((n_runs, n_episodes))
        self.lengths = np.zeros((n_runs, n_episodes), dtype=np.int64)
        self.episode = np.zeros(n_runs, dtype=np.int64)
        self.ret, self.length = np.zeros(n_runs), np.zeros(n_runs, dtype=np.int64)
        self.running = np.arange(n_runs)

    def current_states(self, runs: np.ndarray) -> np.ndarray:
        """S_t of ``runs`` (all runs: the array itself, no copy)."""
        return self.states if runs.size == self.n_runs else self.states.take(runs)

    def step(self, runs: np.ndarray, actions: np.ndarray) -> BatchStep:
        everyone = runs.size == self.n_runs
        pairs = self.current_states(runs) * self.n_actions + actions
        u = self.rng.random(runs.size)
        if self.width == 1:  # deterministic outcomes: the one outcome of each pair
            o = pairs
        else:
            o = pairs * self.width + categorical_sample(self.cumulative.take(pairs, axis=0), u)
        s2, r, terminated = self.next_state.take(o), self.reward.take(o), self.terminated.take(o)
        if everyone:
            self.ret += r
            self.length += 1
            ended = terminated | (self.length >= self.limit)
            self.states = s2.copy()
        else:
            self.ret[runs] += r
            self.length[runs] += 1
            ended = terminated | (self.length.take(runs) >= self.limit)
            self.states[runs] = s2
        if ended.any():
            self._end_episodes(runs[ended])
        return BatchStep(s2, r, terminated, ended, self.running, {})

    def _end_episodes(self, done: np.ndarray) -> None:
        """Record the finished episodes of the runs ``done`` and restart them."""
        self.returns[done, self.episode[done]] = self.ret[done]
        self.lengths[done, self.episode[done]] = self.length[done]
        self.episode[done] += 1
        self.ret[done], self.length[done] = 0.0, 0
        self.states[done] = _sample_start(self.start, done.size, self.rng)
        finished = self.episode[done] >= self.n_episodes
        if finished.any():
            self.running = self.running[self.episode[self.running] < self.n_episodes]


class _TabularControl:
    """Epsilon-greedy TD control of q for every run (a BatchLearner).

    q is held arm-major and flat over runs and states, shape (n_actions, n_runs S), so that the
    rows q(S_t, .) of all runs are one ``take`` in the layout of ``epsilon_greedy_arms``.
    """

    def __init__(
        self,
        env: _ModelRuns,
        q: np.ndarray,
        method: str,
        gamma: float,
        alpha: float | str,
        epsilon: float,
    ) -> None:
        self.env, self.method, self.gamma, self.epsilon = env, method, gamma, epsilon
        self.masked = bool(np.isneginf(q).any())  # some actions unavailable somewhere
        n_runs, n_states, n_actions = q.shape
        self.q = np.ascontiguousarray(q.reshape(n_runs * n_states, n_actions).T)
        self.q_flat = self.q.reshape(-1)  # entry a (n_runs S) + run S + s
        self.shape, self.entries = q.shape, n_runs * n_states
        self.row_base = np.arange(n_runs) * n_states  # row of (run, s) = run S + s
        self.alpha, self.power = alpha, step_size_power(alpha)
        self.counts = np.zeros(self.q_flat.shape, dtype=np.int64)
        self.next_actions = np.full(n_runs, -1)  # Sarsa's A_{t+1}, chosen before the update
        self.steps = 0

    def _rows(self, runs: np.ndarray, states: np.ndarray) -> np.ndarray:
        base = self.row_base if runs.size == len(self.row_base) else self.row_base.take(runs)
        return base + states

    def _explore(self, q_t: np.ndarray) -> np.ndarray:
        """One epsilon-greedy action per column of an arm-major q (n_actions, n)."""
        return epsilon_greedy_arms(q_t, self.epsilon, self.env.rng, masked=self.masked)

    def act(self, runs: np.ndarray) -> np.ndarray:
        self.rows_tm1 = self._rows(runs, self.env.current_states(runs))
        if self.method != "sarsa":
            return self._explore(self.q.take(self.rows_tm1, axis=1))
        actions = self.next_actions.take(runs)
        fresh = (actions < 0).nonzero()[0]
        if fresh.size:
            q_fresh = self.q.take(self.rows_tm1.take(fresh), axis=1)
            actions[fresh] = self._explore(q_fresh)
        return actions

    def learn(self, runs: np.ndarray, actions: np.ndarray, step: BatchStep) -> None:
        self.steps += 1
        discount = self.gamma * (1.0 - step.terminated)
        q_t = self.q.take(self._rows(runs, step.observations), axis=1)  # (A, runs)
        if self.method == "sarsa":
            a2 = self._explore(q_t)
            target = sarsa_target(q_t.T, a2, step.rewards, discount)
            self.next_actions[runs] = np.where(step.ended, -1, a2)
        elif self.method == "q_learning":
            target = q_learning_target(q_t.T, step.rewards, discount)
        else:
            probs = epsilon_greedy_probabilities(q_t.T, self.epsilon)
            target = expected_sarsa_target(q_t.T, probs, step.rewards, discount)
        entry = actions * self.entries + self.rows_tm1
        if self.power is None:
            alpha_n = self.alpha
        else:
            self.counts[entry] += 1
            alpha_n = step_size(self.alpha, self.power, self.counts.take(entry))
        new = td_update(self.q_flat.take(entry), target, alpha_n)
        self.q_flat[entry] = new
        if not np.isfinite(new).all():
            raise FloatingPointError(
                f"batched {self.method} diverged: q became non-finite at time step {self.steps} "
                "(lower learning_rate or gamma, or scale the rewards)"
            )

    def q_by_run(self) -> np.ndarray:
        """The action values of every run, shape (n_runs, n_states, n_actions)."""
        return np.ascontiguousarray(self.q.T).reshape(self.shape)


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
    terminated); an episode cut at ``max_episode_steps`` bootstraps. The runs are played by
    :func:`run_batched`.

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
    epsilon = check_probability("epsilon", epsilon)
    initial_q = check_float("initial_q", initial_q)
    if max_episode_steps is not None:
        max_episode_steps = check_int("max_episode_steps", max_episode_steps, 1)
    if seed is not None:
        seed = check_int("seed", seed, 0)
    start = _start(model, start_state)
    if max_episode_steps is None:
        starts = np.zeros(model.n_states, dtype=bool)
        starts[start if isinstance(start, int) else np.asarray(model.initial_distribution) > 0] = (
            True
        )
        check_episodes_end(model, starts, f"batched {method}")
    limit = np.inf if max_episode_steps is None else int(max_episode_steps)
    rng = np.random.default_rng(seed)
    env = _ModelRuns(model, start, limit, n_runs, n_episodes, rng)
    q = np.full((n_runs, model.n_states, model.n_actions), initial_q)
    q[:, ~model.valid_actions] = -np.inf
    learner = _TabularControl(env, q, method, gamma, alpha, epsilon)
    run_batched(learner, env, n_runs)
    return BatchedResult(
        q=learner.q_by_run(), episode_returns=env.returns, episode_lengths=env.lengths
    )


def _start(model: TabularModel, start_state: int | None) -> np.ndarray | int:
    """The fixed start state, or the cumulative initial distribution to sample from."""
    if start_state is not None:
        return state_index(start_state, model.n_states, name="start_state")
    if model.initial_distribution is not None:
        return np.cumsum(model.initial_distribution)
    raise ValueError("the model has no initial_distribution: pass start_state")


def batched_sarsa(model: TabularModel, **kwargs: object) -> BatchedResult:
    """Independent Sarsa runs (eq. 7.23); arguments as :func:`batched_control`."""
    return batched_control(model, "sarsa", **kwargs)  # type: ignore[arg-type]


def batched_q_learning(model: TabularModel, **kwargs: object) -> BatchedResult:
    """Independent Q-learning runs (eq. 7.24); arguments as :func:`batched_control`."""
    return batched_control(model, "q_learning", **kwargs)  # type: ignore[arg-type]


def batched_expected_sarsa(model: TabularModel, **kwargs: object) -> BatchedResult:
    """Independent expected-Sarsa runs (Sutton & Barto eq. 6.9); as :func:`batched_control`."""
    return batched_control(model, "expected_sarsa", **kwargs)  # type: ignore[arg-type]
