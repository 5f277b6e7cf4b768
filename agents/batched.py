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

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, NamedTuple, Protocol

import numpy as np

from labcoat.agents._observations import state_index
from labcoat.agents.planning import TabularModel, check_episodes_end
from labcoat.agents.rules import (
    categorical_sample,
    check_learning_rate,
    epsilon_greedy_by_noise,
    epsilon_greedy_expectation,
    exploration_caps,
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
    slice of the block), into the same buffer every time (a step's array is valid until the
    next block is drawn). ``transform``, if given, maps each block (e.g. to exploration caps).
    """

    def __init__(
        self,
        rng: np.random.Generator,
        shape: tuple[int, ...],
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self.rng, self.transform = rng, transform
        self.block = max(1, _BLOCK_NUMBERS // int(np.prod(shape)))
        self.uniforms = self.buffer = np.empty((self.block, *shape))
        self.i = self.block

    def next(self) -> np.ndarray:
        i = self.i
        if i == self.block:
            self.rng.random(out=self.uniforms)
            if self.transform is not None:
                self.buffer = self.transform(self.uniforms)
            i = 0
        self.i = i + 1
        return self.buffer[i]


_BLOCK_NUMBERS = 1 << 15  # uniforms per generator call (256 kB)


def _halve(u: np.ndarray) -> np.ndarray:
    """Halve the uniforms u in place (exact in binary)."""
    u *= 0.5
    return u


class _ModelRuns:
    """One episode after another on a model's outcome table, for each run (a BatchEnv).

    Records the undiscounted return and the step at which every episode ends; a run stops
    after ``n_episodes`` of them. An episode ends in a terminal state or at the time limit.
    The per-run arrays hold the running runs only (``running`` names them), so that every step
    works on whole arrays: a run that has played all its episodes is dropped from them
    (:meth:`drop_finished`, called once its last update is made). The outcome table is held
    flat (index (s A + a) K + k): a step is one search over all rows
    (labcoat.envs._tabular.Outcomes.sample_flat) and a few ``take``s, with the transition
    uniforms drawn in blocks; the states are also held as s A (the first row of their pairs).
    With a time limit, the step at which each episode began is kept, and the limit is looked at
    only once the earliest deadline is reached.
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
        self.next_row = self.next_state * self.n_actions  # s' A: the first pair row of s'
        self.reward, self.terminated = outcomes.reward.ravel(), outcomes.terminated.ravel()
        self.start, self.limit, self.rng = start, limit, rng
        self.n_runs, self.n_episodes = n_runs, n_episodes
        self.halves = _Uniforms(rng, (n_runs,), _halve)  # u / 2 of the transitions
        self.returns = np.zeros((n_runs, n_episodes))
        self.ends = np.zeros((n_runs, n_episodes), dtype=np.int64)  # step each episode ended
        self.t, self.deadline = 0, limit  # steps so far; earliest step an episode is cut
        self.truncated = False  # whether the last step cut an episode at the time limit
        self.ended_any = False  # whether some episode ended at the last step
        self.kept: np.ndarray | None = None  # after the last step: the runs that go on
        starts = np.zeros(model.n_states, dtype=bool)
        starts[start if isinstance(start, int) else np.diff(start, prepend=0.0) > 0] = True
        # whether an episode can terminate on its first step (then S_t may be the next start)
        self.start_can_end = bool((outcomes.terminated & (outcomes.prob > 0))[starts].any())
        # per running run:
        self.running = np.arange(n_runs)
        self.states = _sample_start(start, n_runs, rng)
        self.rows = self.states * self.n_actions
        self.ret = np.zeros(n_runs)
        self.began = np.zeros(n_runs)  # the step at which the episode began
        self.slot = np.arange(n_runs) * n_episodes  # flat (run, episode) index of the episode
        self.stop = self.slot + n_episodes  # the slot of a run that has played all

    def step(self, runs: np.ndarray, actions: np.ndarray) -> BatchStep:
        o = self.rows + actions  # the pair's row (runs are the running runs, in order)
        if self.width > 1:  # one search over all rows (deterministic outcomes: the row itself)
            u = self.halves.next()
            o = self.outcomes.sample_flat(o, u if o.size == self.n_runs else u[: o.size])
        s2, r, terminated = self.next_state.take(o), self.reward.take(o), self.terminated.take(o)
        self.rows = self.next_row.take(o)
        self.t += 1
        ended, self.truncated = terminated, False
        if self.t >= self.deadline:
            cut = self.t - self.began >= self.limit
            ended, self.truncated = terminated | cut, bool(np.count_nonzero(cut))
        self.ret += r
        self.states = s2
        # (count_nonzero: a fraction of any()'s time on small arrays)
        self.ended_any = bool(np.count_nonzero(ended))
        if self.ended_any:
            self._end_episodes(ended)
        return BatchStep(s2, r, terminated, ended, self.running, {"outcome": o})

    def _end_episodes(self, ended: np.ndarray) -> None:
        """Record the finished episodes and restart them (the states in a copy: s2 is out)."""
        done = ended.nonzero()[0]
        self.states = self.states.copy()
        at = self.slot.take(done)
        self.returns.ravel()[at] = self.ret.take(done)
        self.ends.ravel()[at] = self.t
        at += 1
        self.slot[done] = at
        self.ret[done] = 0.0
        starts = _sample_start(self.start, done.size, self.rng)
        self.states[done], self.rows[done] = starts, starts * self.n_actions
        if self.limit < np.inf:  # (no time limit: began is not needed)
            self.began[done] = self.t
            # (a run that has just finished began at t: it never lowers the minimum)
            self.deadline = self.began.min() + self.limit
        if np.count_nonzero(at >= self.stop.take(done)):  # some run has played all
            self.kept = self.slot < self.stop
            self.running = self.running[self.kept]

    def drop_finished(self) -> None:
        """Drop the runs that have played all their episodes from the per-run arrays."""
        keep = self.kept
        if keep is None:
            return
        self.states, self.rows, self.ret = self.states[keep], self.rows[keep], self.ret[keep]
        self.began, self.slot, self.stop = self.began[keep], self.slot[keep], self.stop[keep]
        self.kept = None

    @property
    def lengths(self) -> np.ndarray:
        """The number of steps of every episode, (n_runs, n_episodes) (0: not played)."""
        ends = self.ends
        return np.where(ends > 0, np.diff(ends, axis=1, prepend=0), 0)


class _TabularControl:
    """Epsilon-greedy TD control of q for every run (a BatchLearner).

    q is held arm-major and flat over runs and states, shape (n_actions, n_runs S), so that the
    rows q(S_t, .) of all runs are one ``take`` in the layout of ``epsilon_greedy_by_noise``;
    its random numbers (an exploration cap per run, labcoat.agents.rules.exploration_caps, and a
    tie-breaking uniform per arm) are drawn in blocks.
    The per-run arrays hold the running runs only, like the environment's. Sarsa chooses
    A_{t+1} once per step: in S_{t+1}, or, for a run whose episode terminated, in the next
    episode's start state (the target R_{t+1} does not use it); a run cut by the time limit
    (whose target bootstraps on an action in S_{t+1}) chooses its next action afresh. The
    updated values are checked for divergence every ``_CHECK_EVERY`` steps (and at the end),
    in one call for all of them.
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
        self.env, self.method, self.gamma = env, method, gamma
        self.epsilon = np.float64(epsilon)  # (numpy scalars: cheaper in array arithmetic)
        self.masked = bool(np.isneginf(q).any())  # some actions unavailable somewhere
        self.n_available = np.isfinite(q).sum(axis=2).astype(float).ravel()  # |A(s)| by row
        n_runs, n_states, n_actions = q.shape
        self.q = np.ascontiguousarray(q.reshape(n_runs * n_states, n_actions).T)
        self.q_flat = self.q.reshape(-1)  # entry a (n_runs S) + run S + s
        self.shape, self.n_runs, self.n_arms = q.shape, n_runs, np.float64(n_actions)
        self.entries = np.int64(n_runs * n_states)
        self.power = step_size_power(alpha)
        self.alpha = alpha if self.power is not None else np.float64(alpha)
        self.counts = np.zeros(self.q_flat.shape)  # updates of each entry (floats: n^-w)
        self.discount = gamma * (1.0 - env.terminated)  # discount_t of every outcome
        self.caps = _Uniforms(env.rng, (n_runs,), partial(exploration_caps, epsilon=epsilon))
        self.noise = _Uniforms(env.rng, (n_actions, n_runs))
        self.fresh = True  # whether some run has no next action yet
        self.steps = 0
        self.rows_next: np.ndarray | None = None  # the rows of every run's next S_t, if known
        self.updated: list[np.ndarray] = []  # the values updated since the last check
        # per running run:
        self.base = np.arange(n_runs) * n_states  # row of (run, s) = run S + s
        self.next_actions = np.full(n_runs, -1)  # Sarsa's A_{t+1} (-1: choose afresh)
        self.target = {
            "sarsa": self._sarsa_target,
            "q_learning": self._q_learning_target,
            "expected_sarsa": self._expected_sarsa_target,
        }[method]

    def _explore(self, q_t: np.ndarray) -> np.ndarray:
        """One epsilon-greedy action per column of an arm-major q (n_actions, n)."""
        caps, noise, n = self.caps.next(), self.noise.next(), q_t.shape[1]
        if n < self.n_runs:
            caps, noise = caps[:n], noise[:, :n]
        return epsilon_greedy_by_noise(q_t, caps, noise)

    def act(self, runs: np.ndarray) -> np.ndarray:
        rows = self.rows_next  # the rows of S_t, if known from the last learn
        self.rows_tm1 = rows = self.base + self.env.states if rows is None else rows
        if self.method != "sarsa":
            return self._explore(self.q.take(rows, axis=1))
        actions = self.next_actions
        if self.fresh:
            fresh = (actions < 0).nonzero()[0]
            actions[fresh] = self._explore(self.q.take(rows.take(fresh), axis=1))
            self.fresh = False
        return actions

    def learn(self, runs: np.ndarray, actions: np.ndarray, step: BatchStep) -> None:
        self.steps += 1
        target = self.target(step, self.discount.take(step.info["outcome"]))
        entry = actions * self.entries + self.rows_tm1
        q_flat = self.q_flat
        if self.power is None:
            new = td_update(q_flat.take(entry), target, self.alpha)
        else:
            n = self.counts.take(entry) + 1.0
            self.counts[entry] = n
            new = td_update(q_flat.take(entry), target, step_size(self.alpha, self.power, n))
        q_flat[entry] = new
        updated = self.updated
        updated.append(new)
        if len(updated) == _CHECK_EVERY:
            self.check_finite()
        kept = self.env.kept
        if kept is not None:  # some runs have finished: drop them here and in the env
            self.base, self.next_actions = self.base[kept], self.next_actions[kept]
            self.rows_next = None
            self.env.drop_finished()

    def check_finite(self) -> None:
        """Raise FloatingPointError if a value updated since the last check is not finite."""
        updated, self.updated = self.updated, []
        if updated and not np.isfinite(np.concatenate(updated)).all():
            first = next(i for i, new in enumerate(updated) if not np.isfinite(new).all())
            step = self.steps - len(updated) + 1 + first
            raise FloatingPointError(
                f"batched {self.method} diverged: q became non-finite at time step {step} "
                "(lower learning_rate or gamma, or scale the rewards)"
            )

    def _sarsa_target(self, step: BatchStep, discount: np.ndarray) -> np.ndarray:
        """Eq. 7.23's target, choosing every run's next action (see the class docstring)."""
        states = self.env.states  # S_{t+1}, or the next episode's start
        cut = step.ended & ~step.terminated if self.env.truncated else None
        if cut is not None:
            states = np.where(cut, step.observations, states)
        rows = self.base + states
        self.rows_next = rows if cut is None else None
        a2 = self._explore(self.q.take(rows, axis=1))
        q_next = self.q_flat.take(a2 * self.entries + rows)  # q(S_{t+1}, A_{t+1}) of eq. 7.23
        target = td_target(step.rewards, discount, q_next)
        # A start state may be S_t itself: its first action must see this update (afresh).
        again = cut
        if self.env.start_can_end and self.env.ended_any:
            again = step.terminated & (rows == self.rows_tm1) | (False if cut is None else cut)
        if again is not None and np.count_nonzero(again):
            a2 = np.where(again, -1, a2)
            self.fresh = True
        self.next_actions = a2
        return target

    def _next_values(self, step: BatchStep) -> tuple[np.ndarray, np.ndarray]:
        """The rows of S_{t+1} and q(S_{t+1}, .) arm-major (A, runs), before this update."""
        rows = self.base + step.observations
        self.rows_next = None if self.env.ended_any else rows  # (some runs restart)
        return rows, self.q.take(rows, axis=1)

    # The reductions over arms are ufunc.reduce calls: ndarray.max and sum add a Python wrapper.

    def _q_learning_target(self, step: BatchStep, discount: np.ndarray) -> np.ndarray:
        """Eq. 7.24's target (every state has an available action: the max is finite)."""
        _, q_t = self._next_values(step)
        return td_target(step.rewards, discount, np.maximum.reduce(q_t, 0))

    def _expected_sarsa_target(self, step: BatchStep, discount: np.ndarray) -> np.ndarray:
        """S&B eq. 6.9's target with the closed-form epsilon-greedy expectation."""
        rows, q_t = self._next_values(step)
        if self.masked:  # the mean over the available arms (q > -inf) of each state
            total = np.add.reduce(q_t, 0, where=q_t > -np.inf, initial=0.0)
            mean = total / self.n_available.take(rows)
        else:
            mean = np.add.reduce(q_t, 0) / self.n_arms
        expected = epsilon_greedy_expectation(np.maximum.reduce(q_t, 0), mean, self.epsilon)
        return td_target(step.rewards, discount, expected)

    def q_by_run(self) -> np.ndarray:
        """The action values of every run, shape (n_runs, n_states, n_actions)."""
        return np.ascontiguousarray(self.q.T).reshape(self.shape)


_CHECK_EVERY = 64  # steps between two divergence checks


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
    # a non-finite value can only come from divergence, which check_finite reports by its step
    with np.errstate(over="ignore", invalid="ignore"):
        run_batched(learner, env, n_runs)
        learner.check_finite()
    return BatchedResult(
        q=learner.q_by_run(), episode_returns=env.returns, episode_lengths=env.lengths
    )


def _start(model: TabularModel, start_state: int | None) -> np.ndarray | int:
    """The fixed start state, or the cumulative initial distribution to sample from."""
    if start_state is not None:
        return state_index(start_state, model.n_states, name="start_state")
    if model.initial_distribution is not None:
        positive = np.flatnonzero(np.asarray(model.initial_distribution) > 0)
        if positive.size == 1:  # one start state: nothing to sample
            return int(positive[0])
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
