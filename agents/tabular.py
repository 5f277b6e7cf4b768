"""Model-free tabular agents (§7.4): TD(0), Monte Carlo, Sarsa, Q-learning, expected Sarsa.

The mathematics is in labcoat.agents.rules (rlax style, time-indexed names, discount_t =
gamma * (1 - terminated): only termination zeroes the bootstrap). The classes hold the tables
as Python lists and run the per-step loop, which calls the rules functions on Python floats
(a scalar call costs about what the inlined arithmetic costs). Exploration is the
epsilon-greedy rule of labcoat.agents.rules (Sutton & Barto's convention).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from labcoat.agents import rules
from labcoat.agents._base import INF, Agent, array_property, check_schedule, stored_array
from labcoat.agents._observations import state_indices
from labcoat.agents.policies import PolicyLike, action_function
from labcoat.agents.rules import check_learning_rate, epsilon_greedy_action, step_size_power
from labcoat.classic._checks import check_bool, check_float

__all__ = ["TD0", "ExpectedSarsa", "MonteCarlo", "QLearning", "Sarsa"]


# ---------------------------------------------------------------------- the tables


def _visit_counts(doc: str) -> Any:
    """The ``visit_counts`` property: the n of each entry's "1/n" step size (a read-only copy)."""
    return array_property("visit_counts", np.int64, lambda self: self._counts, doc)


def _store_table(
    agent: Agent, name: str, value: np.ndarray, shape: tuple[int, ...], allow: str = ""
) -> None:
    """Store an assigned or loaded table as lists: the values (``q``/``v``) or ``visit_counts``.

    ``allow="-inf"`` admits -inf values (q of unavailable actions); counts are non-negative.
    """
    if name == "visit_counts":
        counts = stored_array(name, value, shape, "iu")
        agent._counts = counts.astype(np.int64).tolist()  # type: ignore[attr-defined]
    else:
        values = stored_array(name, value, shape, "f", allow=allow)
        setattr(agent, "_" + name, values.astype(float).tolist())


def _update_entry(
    values: list[float], counts: list[int], i: int, target: float, alpha: Any, power: Any
) -> float:
    """values[i] <- values[i] + alpha_n (target − values[i]) (eqs. 7.21-7.24), n = ++counts[i].

    The TD step of every tabular agent on one entry of its table (a row of q, or v). Returns
    the new value; a non-finite one is not stored (the caller reports the divergence).
    """
    n = counts[i] + 1
    counts[i] = n
    new = rules.td_update(values[i], target, rules.step_size(alpha, power, n))
    if -INF < new < INF:
        values[i] = new
    return new


# ---------------------------------------------------------------------- the agents


class _Control(Agent):
    """Sarsa, Q-learning and expected Sarsa: one loop, three targets (eqs. 7.22-7.24)."""

    _method: ClassVar[str]
    _array_names = ("q", "visit_counts")
    _hyperparameter_names = (
        "gamma",
        "learning_rate",
        "epsilon",
        "initial_q",
        "seed",
    )

    def __init__(
        self,
        env: gym.Env | str,
        *,
        gamma: float = 0.99,
        learning_rate: float | str = 0.1,
        epsilon: float | Callable[[int], float] = 0.1,
        initial_q: float = 0.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(env, gamma=gamma, seed=seed)
        self.learning_rate = check_learning_rate(learning_rate)
        self.epsilon = check_schedule("epsilon", epsilon)
        self.initial_q = check_float("initial_q", initial_q)
        self._warn_if_continuing()
        self._setup_tables()
        self._q = [[self.initial_q] * self.n_actions for _ in range(self.n_states)]
        self._counts = [[0] * self.n_actions for _ in range(self.n_states)]
        if self.valid_actions is not None:
            for s in range(self.n_states):
                self._mask_row(s)
        self._action = 0

    def _mask_row(self, state: int) -> None:
        allowed = self._allowed[state] or ()
        row = self._q[state]
        for a in range(self.n_actions):
            if a not in allowed:
                row[a] = -INF

    def _setup_tables(self) -> None:
        """The allowed actions of every state (None until first visited, without a mask)."""
        self._allowed: list[tuple[int, ...] | None] = [None] * self.n_states
        if self.valid_actions is not None:
            for s in range(self.n_states):
                self._allowed[s] = self._allowed_actions(s, {})

    def _first_visit(self, state: int, info: Any) -> tuple[int, ...]:
        """Store the actions allowed in ``state`` (from ``info``) and mask the others' q."""
        allowed = self._allowed_actions(state, info)
        self._allowed[state] = allowed
        self._mask_row(state)
        return allowed

    q = array_property(
        "q",
        float,
        lambda self: self._q,
        "The action-value table, shape (n_states, n_actions); -inf for unavailable actions "
        "(a read-only copy; assign a whole table to replace it).",
    )
    visit_counts = _visit_counts(
        'Number of updates of each q(s, a) (the n of the "1/n" step size), read-only copy.'
    )

    def _set_array(self, name: str, value: np.ndarray) -> None:
        _store_table(self, name, value, (self.n_states, self.n_actions), allow="-inf")

    def _current_epsilon(self) -> float:
        epsilon = self.epsilon
        return epsilon(self.num_timesteps) if callable(epsilon) else epsilon

    def _allowed_now(self, state: int) -> tuple[int, ...]:
        allowed = self._allowed[state]
        return self._first_visit(state, self._info) if allowed is None else allowed

    def _start_episode(self) -> None:
        s = self._obs_state(self._obs)
        allowed = self._allowed_now(s)
        self._action = epsilon_greedy_action(
            self._q[s], allowed, self._current_epsilon(), self._draw
        )

    def _run(self, max_steps: int) -> tuple[int, bool]:
        """The per-step loop (hot): locals only, Python floats, one uniform per step."""
        step, q, counts, allowed = self.env.step, self._q, self._counts, self._allowed
        gamma, draw, first_visit = self.gamma, self._draw, self._first_visit
        td_target, update = rules.td_target, _update_entry
        explore, expectation = epsilon_greedy_action, rules.epsilon_greedy_expectation
        epsilon = self.epsilon
        schedule = epsilon if callable(epsilon) else None
        alpha = self.learning_rate
        power = step_size_power(alpha)
        method = self._method
        s_start, a_start = self._state_start, self._action_start
        s, a = int(self._obs) - s_start, self._action  # type: ignore[has-type]
        ret: float = self._episode_return  # type: ignore[has-type]
        t0 = self.num_timesteps
        ended, i = False, 0
        while i < max_steps:
            obs, r, terminated, truncated, info = step(a + a_start)
            i += 1
            ret += r
            s2 = int(obs) - s_start
            acts2 = allowed[s2]
            if acts2 is None:
                acts2 = first_visit(s2, info)
            if schedule is not None:
                epsilon = schedule(t0 + i)
            row2 = q[s2]
            a2 = -1
            if terminated:
                target = r  # discount_t = 0 (q_t may hold -inf: no product with it)
            elif method == "sarsa":  # eq. 7.23, A_{t+1} chosen before the update
                a2 = explore(row2, acts2, epsilon, draw)
                target = td_target(r, gamma, row2[a2])
            elif method == "q_learning":  # eq. 7.24
                target = td_target(r, gamma, max(row2))
            else:  # expected Sarsa, S&B eq. 6.9
                mean = sum([row2[b] for b in acts2]) / len(acts2)
                target = td_target(r, gamma, expectation(max(row2), mean, epsilon))
            if not -INF < update(q[s], counts[s], a, target, alpha, power) < INF:
                raise self._diverged(t0 + i, f"q[{s}, {a}]")
            if terminated or truncated:
                ended = True
                break
            if a2 < 0:
                a2 = explore(row2, acts2, epsilon, draw)
            s, a = s2, a2
        self._obs = obs
        self._info = info
        self._action = a
        self._episode_return = ret
        self._episode_length += i
        return i, ended

    def predict(self, observation: Any, deterministic: bool = True, **_: Any) -> tuple[Any, None]:
        """The greedy action argmax_a q(s, a) (deterministic) or an epsilon-greedy sample.

        Accepts one observation (returns an int) or an array of them (returns an int array),
        as Stable-Baselines3's ``predict``; ties go to the lowest action when deterministic.
        """
        epsilon = 0.0 if deterministic else self._current_epsilon()
        if np.ndim(observation) == 0:
            return self._act(self._obs_state(observation), deterministic, epsilon), None
        states = state_indices(observation, self.n_states, self._state_start).ravel().tolist()
        actions = [self._act(s, deterministic, epsilon) for s in states]
        return np.asarray(actions, dtype=np.int64).reshape(np.shape(observation)), None

    def _act(self, state: int, deterministic: bool, epsilon: float) -> int:
        row = self._q[state]
        if deterministic:
            return row.index(max(row)) + self._action_start
        allowed = self._allowed[state] or tuple(range(self.n_actions))
        return epsilon_greedy_action(row, allowed, epsilon, self._draw) + self._action_start


class Sarsa(_Control):
    """Sarsa, on-policy TD control (eq. 7.23 of the notes).

    q(S_t, A_t) <- q(S_t, A_t) + alpha [R_{t+1} + gamma q(S_{t+1}, A_{t+1}) - q(S_t, A_t)]
    with A_{t+1} drawn epsilon-greedily from q before the update (Sutton & Barto §6.4).

    Args:
        env: a Gymnasium env (or id) with Discrete observation and action spaces.
        gamma: discount factor in [0, 1].
        learning_rate: step size alpha in (0, 1], or "1/n" for 1 / (number of updates of the
            pair) (sample averages), or "1/n^w" with w in (0.5, 1] for n^-w.
        epsilon: exploration probability in [0, 1], or a callable time step -> epsilon such as
            :class:`labcoat.agents.LinearSchedule`.
        initial_q: initial value of every available q(s, a) (large = optimistic).
        seed: seed of the agent's random numbers and of the env's first reset.
    """

    _method = "sarsa"


class QLearning(_Control):
    """Q-learning, off-policy TD control (eq. 7.24 of the notes).

    q(S_t, A_t) <- q(S_t, A_t) + alpha [R_{t+1} + gamma max_a q(S_{t+1}, a) - q(S_t, A_t)],
    acting epsilon-greedily (Sutton & Barto §6.5). Arguments as :class:`Sarsa`.
    """

    _method = "q_learning"


class ExpectedSarsa(_Control):
    """Expected Sarsa: eq. 7.22 with the expectation of q(S_{t+1}, .) under the policy.

    q(S_t, A_t) <- q(S_t, A_t) + alpha [R_{t+1} + gamma sum_a pi(a|S_{t+1}) q(S_{t+1}, a)
    - q(S_t, A_t)], pi the epsilon-greedy policy (Sutton & Barto eq. 6.9). Arguments as
    :class:`Sarsa`.
    """

    _method = "expected_sarsa"


class _Prediction(Agent):
    """Shared set-up of TD(0) and Monte Carlo prediction: a behaviour policy and a v table."""

    _array_names = ("v", "visit_counts")

    def __init__(
        self,
        env: gym.Env | str,
        policy: PolicyLike,
        *,
        gamma: float = 1.0,
        learning_rate: float | str = 0.1,
        initial_v: float = 0.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(env, gamma=gamma, seed=seed)
        self.policy = policy
        self.learning_rate = check_learning_rate(learning_rate)
        self.initial_v = check_float("initial_v", initial_v)
        self._warn_if_continuing()
        policy_seed = int(self._rng.integers(2**63))
        self._act = action_function(policy, self.env, seed=policy_seed)
        self._v = [self.initial_v] * self.n_states
        self._counts = [0] * self.n_states

    v = array_property(
        "v",
        float,
        lambda self: self._v,
        "The state-value table, shape (n_states,) (a read-only copy; assign to replace it).",
    )
    visit_counts = _visit_counts("Number of updates of each v(s), a read-only copy.")

    def _set_array(self, name: str, value: np.ndarray) -> None:
        _store_table(self, name, value, (self.n_states,))

    def predict(self, observation: Any, deterministic: bool = True, **_: Any) -> tuple[Any, None]:
        """The action of the evaluated policy (prediction agents do not choose actions)."""
        if np.ndim(observation) == 0:
            self._obs_state(observation)
            return self._act(observation), None
        state_indices(observation, self.n_states, self._state_start)
        actions = [self._act(o) for o in np.asarray(observation).ravel()]
        return np.asarray(actions, dtype=np.int64).reshape(np.shape(observation)), None


class TD0(_Prediction):
    """TD(0) prediction of v_pi for a given policy (eq. 7.21 of the notes).

    v(S_t) <- v(S_t) + alpha [R_{t+1} + gamma v(S_{t+1}) - v(S_t)], with v(S_{t+1}) dropped
    when S_{t+1} is terminal (a truncated episode bootstraps).

    Args:
        env: a Gymnasium env (or id) with Discrete observation and action spaces.
        policy: the policy to evaluate and follow: anything with ``predict(obs, deterministic)``
            (labcoat agents and policies, SB3 models), a callable obs -> action, an int array of
            actions per state, or a matrix pi(a|s) (see labcoat.agents.policies).
        gamma: discount factor in [0, 1].
        learning_rate: step size alpha in (0, 1], "1/n" (1 / number of updates of the state) or
            "1/n^w" (n^-w, w in (0.5, 1]).
        initial_v: initial value of every v(s).
        seed: seed of the agent's (and a stochastic policy's) random numbers and of the env.
    """

    _hyperparameter_names = ("gamma", "learning_rate", "initial_v", "seed", "policy")

    def _run(self, max_steps: int) -> tuple[int, bool]:
        step, act, v, counts = self.env.step, self._act, self._v, self._counts
        gamma, alpha, s_start = self.gamma, self.learning_rate, self._state_start
        power = step_size_power(alpha)
        td_target, update = rules.td_target, _update_entry
        obs: Any = self._obs  # type: ignore[has-type]
        ret: float = self._episode_return  # type: ignore[has-type]
        t0 = self.num_timesteps
        s = int(obs) - s_start
        ended, i = False, 0
        while i < max_steps:
            obs, r, terminated, truncated, _ = step(act(obs))
            i += 1
            ret += r
            s2 = int(obs) - s_start
            target = r if terminated else td_target(r, gamma, v[s2])  # eq. 7.21
            if not -INF < update(v, counts, s, target, alpha, power) < INF:
                raise self._diverged(t0 + i, f"v[{s}]")
            if terminated or truncated:
                ended = True
                break
            s = s2
        self._obs = obs
        self._episode_return = ret
        self._episode_length += i
        return i, ended


class MonteCarlo(_Prediction):
    """Monte Carlo prediction of v_pi from complete episodes (eq. 7.19: v = E_pi[G_t | S_t]).

    After each episode, v(S_t) <- v(S_t) + alpha [G_t - v(S_t)] with G_t = R_{t+1} + gamma
    G_{t+1} (eq. 7.3), for the first visit of each state in the episode (``first_visit=True``)
    or for every visit. With learning_rate="1/n" (default) v(s) is the plain average of the
    returns observed from s. An episode cut by a time limit starts its returns from the current
    estimate v(S_T) of the state where it stopped.

    Args:
        env: a Gymnasium env (or id) with Discrete observation and action spaces.
        policy: the policy to evaluate and follow (as :class:`TD0`).
        gamma: discount factor in [0, 1].
        learning_rate: "1/n" (sample average, default) or a constant alpha in (0, 1].
        first_visit: average first-visit returns (True) or every-visit returns (False).
        initial_v: initial value of every v(s).
        seed: seed of the agent's (and a stochastic policy's) random numbers and of the env.
    """

    _hyperparameter_names = ("gamma", "learning_rate", "initial_v", "first_visit", "seed", "policy")

    def __init__(
        self,
        env: gym.Env | str,
        policy: PolicyLike,
        *,
        gamma: float = 1.0,
        learning_rate: float | str = "1/n",
        first_visit: bool = True,
        initial_v: float = 0.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(
            env, policy, gamma=gamma, learning_rate=learning_rate, initial_v=initial_v, seed=seed
        )
        self.first_visit = check_bool("first_visit", first_visit)
        self._states: list[int] = []
        self._rewards: list[float] = []

    def _start_episode(self) -> None:
        self._states, self._rewards = [], []

    def _run(self, max_steps: int) -> tuple[int, bool]:
        step, act, s_start = self.env.step, self._act, self._state_start
        states, rewards = self._states, self._rewards
        obs: Any = self._obs  # type: ignore[has-type]
        ret: float = self._episode_return  # type: ignore[has-type]
        terminated = truncated = False
        i = 0
        while i < max_steps:
            states.append(int(obs) - s_start)
            obs, r, terminated, truncated, _ = step(act(obs))
            i += 1
            ret += r
            rewards.append(r)
            if terminated or truncated:
                break
        self._obs = obs
        self._episode_return = ret
        self._episode_length += i
        if terminated or truncated:
            tail = 0.0 if terminated else self._v[int(obs) - s_start]
            self._update_from_episode(tail)
        return i, terminated or truncated

    def _update_from_episode(self, tail: float) -> None:
        """Backward pass G_t = R_{t+1} + gamma G_{t+1}, updating first or every visits."""
        states, rewards, v, counts = self._states, self._rewards, self._v, self._counts
        gamma, alpha = self.gamma, self.learning_rate
        power = step_size_power(alpha)
        first: dict[int, int] = {}
        if self.first_visit:
            for t, s in enumerate(states):
                first.setdefault(s, t)
        g = tail
        for t in range(len(states) - 1, -1, -1):
            g = rules.td_target(rewards[t], gamma, g)  # G_t = R_{t+1} + gamma G_{t+1}
            s = states[t]
            if self.first_visit and first[s] != t:
                continue
            if not -INF < _update_entry(v, counts, s, g, alpha, power) < INF:
                raise self._diverged(self.num_timesteps + len(states), f"v[{s}]")
