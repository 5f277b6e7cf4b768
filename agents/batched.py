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
    epsilon_greedy_by_noise,
    epsilon_greedy_expectation,
    q_learning_target,
    step_size,
    step_size_power,
    td_target,
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


class _Uniforms:
    """Uniform numbers of a fixed shape, one array per step, drawn ``block`` steps at a time.

    One generator call per block instead of one per step (the numbers of a step are the next
    slice of the block). With ``below``, the step's array holds the coins u < below instead;
    ``scale`` multiplies the numbers (by a power of two: exactly).
    """

    def __init__(
        self,
        rng: np.random.Generator,
        shape: tuple[int, ...],
        below: float | None = None,
        scale: float = 1.0,
    ) -> None:
        self.rng, self.shape, self.below, self.scale = rng, shape, below, scale
        self.block = max(1, _BLOCK_NUMBERS // int(np.prod(shape)))
        self.buffer: np.ndarray = np.empty((0, *shape))
        self.i = self.block

    def next(self) -> np.ndarray:
        if self.i == self.block:
            u = self.rng.random((self.block, *self.shape))
            self.buffer = u * self.scale if self.below is None else u < self.below
            self.i = 0
        self.i += 1
        return self.buffer[self.i - 1]


_BLOCK_NUMBERS = 1 << 15  # uniforms per generator call (256 kB)


class _ModelRuns:
    """One episode after another on a model's outcome table, for each run (a BatchEnv).

    Records the undiscounted return and the length of every episode; a run stops after
    ``n_episodes`` of them. An episode ends in a terminal state or at the time limit. The
    outcome table is held flat (index (s A + a) K + k): a step is one search over all rows
    (labcoat.envs._tabular.Outcomes.sample_flat) and three ``take``s, with the transition
    uniforms drawn in blocks. Lengths are counted from the step at which each episode
    started, so the time limit is looked at only once the earliest deadline is reached.
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
        self.outcomes = outcomes
        self.next_state = outcomes.next_state.ravel()
        self.reward, self.terminated = outcomes.reward.ravel(), outcomes.terminated.ravel()
        self.start, self.limit, self.rng = start, limit, rng
        self.n_runs, self.n_episodes = n_runs, n_episodes
        self.halves = _Uniforms(rng, (n_runs,), scale=0.5)  # u / 2 of the transitions
        self.states = _sample_start(start, n_runs, rng)
        self.returns = np.zeros((n_runs, n_episodes))
        self.lengths = np.zeros((n_runs, n_episodes), dtype=np.int64)
        self.episode = np.zeros(n_runs, dtype=np.int64)
        self.ret = np.zeros(n_runs)
        self.t, self.began = 0, np.zeros(n_runs)  # steps so far; step each episode began at
        self.deadline = limit  # the earliest step at which a running episode hits the limit
        self.truncated = False  # whether the last step cut an episode at the time limit
        self.ended_any = False  # whether some episode ended at the last step
        starts = np.zeros(model.n_states, dtype=bool)
        starts[start if isinstance(start, int) else np.diff(start, prepend=0.0) > 0] = True
        # whether an episode can terminate on its first step (then S_t may be the next start)
        self.start_can_end = bool((outcomes.terminated & (outcomes.prob > 0))[starts].any())
        self.running = np.arange(n_runs)

    def current_states(self, runs: np.ndarray) -> np.ndarray:
        """S_t of ``runs`` (all runs: the array itself, no copy)."""
        return self.states if runs.size == self.n_runs else self.states.take(runs)

    def step(self, runs: np.ndarray, actions: np.ndarray) -> BatchStep:
        everyone = runs.size == self.n_runs
        o = self.current_states(runs) * self.n_actions + actions  # the pair's row
        if self.width > 1:  # one search over all rows (deterministic outcomes: the row itself)
            u = self.halves.next()
            o = self.outcomes.sample_flat(o, u if everyone else u[: runs.size])
        s2, r, terminated = self.next_state.take(o), self.reward.take(o), self.terminated.take(o)
        self.t += 1
        ended, self.truncated = terminated, False
        if self.t >= self.deadline:
            cut = self.t - self.began.take(runs) >= self.limit
            ended, self.truncated = terminated | cut, bool(cut.any())
        if everyone:
            self.ret += r
            self.states = s2
        else:
            self.ret[runs] += r
            self.states[runs] = s2
        self.ended_any = bool(ended.any())
        if self.ended_any:
            self._end_episodes(runs[ended], everyone)
        return BatchStep(s2, r, terminated, ended, self.running, {"outcome": o})

    def _end_episodes(self, done: np.ndarray, everyone: bool) -> None:
        """Record the finished episodes of the runs ``done`` and restart them."""
        if everyone:  # self.states is the step's observations: restart in a copy
            self.states = self.states.copy()
        episode = self.episode.take(done)
        at = done * self.n_episodes + episode
        self.returns.ravel()[at] = self.ret.take(done)
        self.lengths.ravel()[at] = self.t - self.began.take(done)
        self.episode[done] = episode + 1
        self.ret[done], self.began[done] = 0.0, self.t
        self.states[done] = _sample_start(self.start, done.size, self.rng)
        if (episode + 1 >= self.n_episodes).any():
            self.running = self.running[self.episode.take(self.running) < self.n_episodes]
            finished = np.ones(self.n_runs, dtype=bool)
            finished[self.running] = False
            self.began[finished] = np.inf  # never cut again
        if self.limit < np.inf:
            self.deadline = self.began.min() + self.limit


class _TabularControl:
    """Epsilon-greedy TD control of q for every run (a BatchLearner).

    q is held arm-major and flat over runs and states, shape (n_actions, n_runs S), so that the
    rows q(S_t, .) of all runs are one ``take`` in the layout of ``epsilon_greedy_by_noise``;
    its uniforms (an exploration coin and a tie-breaking number per arm) are drawn in blocks.
    Sarsa chooses A_{t+1} once per step: in S_{t+1}, or, for a run whose episode terminated, in
    the next episode's start state (the target R_{t+1} does not use it); a run cut by the time
    limit (whose target bootstraps on an action in S_{t+1}) chooses its next action afresh.
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
        self.shape, self.entries, self.n_runs = q.shape, n_runs * n_states, n_runs
        self.row_base = np.arange(n_runs) * n_states  # row of (run, s) = run S + s
        self.alpha, self.power = alpha, step_size_power(alpha)
        self.counts = np.zeros(self.q_flat.shape, dtype=np.int64)
        self.discount = gamma * (1.0 - env.terminated)  # discount_t of every outcome
        self.coins = _Uniforms(env.rng, (n_runs,), below=epsilon)
        self.noise = _Uniforms(env.rng, (n_actions, n_runs))
        self.next_actions = np.full(n_runs, -1)  # Sarsa's A_{t+1} (-1: choose afresh)
        self.fresh = True  # whether some run has no next action yet
        self.steps = 0
        self.rows_next: np.ndarray | None = None  # the rows of every run's next S_t, if known

    def _rows(self, runs: np.ndarray, states: np.ndarray) -> np.ndarray:
        base = self.row_base if runs.size == self.n_runs else self.row_base.take(runs)
        return base + states

    def _explore(self, q_t: np.ndarray) -> np.ndarray:
        """One epsilon-greedy action per column of an arm-major q (n_actions, n)."""
        explore, noise, n = self.coins.next(), self.noise.next(), q_t.shape[1]
        if n < self.n_runs:
            explore, noise = explore[:n], noise[:, :n]
        return epsilon_greedy_by_noise(q_t, explore, noise, masked=self.masked)

    def act(self, runs: np.ndarray) -> np.ndarray:
        if self.rows_next is not None and runs.size == self.n_runs:
            self.rows_tm1 = self.rows_next  # the rows of S_t, known from the last learn
        else:
            self.rows_tm1 = self._rows(runs, self.env.current_states(runs))
        if self.method != "sarsa":
            return self._explore(self.q.take(self.rows_tm1, axis=1))
        actions = self.next_actions.take(runs)
        if self.fresh:
            fresh = (actions < 0).nonzero()[0]
            actions[fresh] = self._explore(self.q.take(self.rows_tm1.take(fresh), axis=1))
            self.fresh = False
        return actions

    def learn(self, runs: np.ndarray, actions: np.ndarray, step: BatchStep) -> None:
        self.steps += 1
        discount = self.discount.take(step.info["outcome"])
        if self.method == "sarsa":
            target = self._sarsa_target(runs, actions, step, discount)
        else:
            rows = self._rows(runs, step.observations)
            self.rows_next = None if self.env.ended_any else rows  # (some runs restart)
            q_t = self.q.take(rows, axis=1)  # (A, runs)
            if self.method == "q_learning":
                target = q_learning_target(q_t.T, step.rewards, discount)
            else:
                target = self._expected_sarsa_target(q_t, step.rewards, discount)
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

    def _sarsa_target(
        self, runs: np.ndarray, actions: np.ndarray, step: BatchStep, discount: np.ndarray
    ) -> np.ndarray:
        """Eq. 7.23's target, choosing every run's next action (see the class docstring)."""
        states = self.env.current_states(runs)  # S_{t+1}, or the next episode's start
        cut = step.ended & ~step.terminated if self.env.truncated else None
        if cut is not None:
            states = np.where(cut, step.observations, states)
        rows = self._rows(runs, states)
        self.rows_next = rows if cut is None else None
        q_t = self.q.take(rows, axis=1)
        a2 = self._explore(q_t)
        q_next = self.q_flat.take(a2 * self.entries + rows)  # q(S_{t+1}, A_{t+1}) of eq. 7.23
        target = td_target(step.rewards, discount, q_next)
        # A start state may be S_t itself: its first action must see this update (afresh).
        again = cut
        if self.env.start_can_end and self.env.ended_any:
            again = step.terminated & (rows == self.rows_tm1) | (False if cut is None else cut)
        if again is not None and again.any():
            a2 = np.where(again, -1, a2)
            self.fresh = True
        if runs.size == self.n_runs:
            self.next_actions = a2
        else:
            self.next_actions[runs] = a2
        return target

    def _expected_sarsa_target(
        self, q_t: np.ndarray, r_t: np.ndarray, discount: np.ndarray
    ) -> np.ndarray:
        """S&B eq. 6.9's target with the closed-form epsilon-greedy expectation."""
        if self.masked:
            available = q_t > -np.inf
            mean = np.where(available, q_t, 0.0).sum(axis=0) / available.sum(axis=0)
        else:
            mean = q_t.sum(axis=0) / len(q_t)  # (ndarray.mean costs several sums' time)
        expected = epsilon_greedy_expectation(q_t.max(axis=0), mean, self.epsilon)
        return td_target(r_t, discount, expected)

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
