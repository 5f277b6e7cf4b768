"""Planning with a known model: exact policy evaluation, value iteration, policy iteration.

A finite MDP (§7.2 of the notes) is held in a :class:`TabularModel`: the transition
probabilities p(s' | s, a) as a scipy.sparse CSR matrix with one row per (s, a) (memory in
proportion to the non-zeros: a gridworld of 10^6 states fits in a few hundred MB, where a dense
S x A x S array would take 32 TB), the expected rewards ``R[s, a] = r(s, a)`` of eq. 7.1, a mask
of terminal states and a mask of the actions available in each state. Every solver works on the
Bellman backup

    q(s, a) = r(s, a) + gamma * sum_s' p(s' | s, a) v(s')          (eqs. 7.7, 7.11, 7.15)

with v(s') = 0 for a terminal s' (the return ends there: eq. 7.2) and q(s, a) = -inf for an
action that is not available in s, so that a max or argmax over actions never picks it.

Episodic tasks may use gamma = 1 (eq. 7.3 with R_t = 0 after the end) when the episode ends
with probability one under the policies involved ("proper" policies): the linear solve is then
restricted to the non-terminal states and policy iteration starts from a proper policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from labcoat.classic._checks import check_choice, check_float, check_int, check_probability
from labcoat.envs._tabular import Outcomes

__all__ = [
    "PlanningResult",
    "TabularModel",
    "bellman_backup",
    "can_terminate",
    "check_episodes_end",
    "epsilon_soft",
    "greedy_policy",
    "policy_evaluation",
    "policy_iteration",
    "proper_policy",
    "reachable_states",
    "value_iteration",
]

_SPARSE_DENSITY = 0.05
_SPARSE_MIN_STATES = 256
"""Backups use a scipy.sparse matrix for models with at least ``_SPARSE_MIN_STATES`` states of
which at most a fraction ``_SPARSE_DENSITY`` of T is non-zero (dense BLAS is faster otherwise)."""


class TabularModel:
    """A finite MDP: p(s'|s, a) as a sparse matrix, r(s, a) (eq. 7.1), terminal and valid masks.

    The transitions are held as a scipy.sparse CSR matrix ``transitions`` of shape
    (n_states * n_actions, n_states), row ``s * n_actions + a`` holding p(. | s, a): a gridworld
    of a million states takes memory in proportion to its non-zeros, never S x A x S. A model
    built from a dense array keeps that array as :attr:`T` (no copy), builds ``transitions``
    only when asked, and backs up with one dense matrix-vector product when more than
    ``_SPARSE_DENSITY`` of T is non-zero. The model is read-only after construction.

    Args:
        T: transition probabilities, either a dense array of shape (n_states, n_actions,
            n_states) or a scipy.sparse matrix of shape (n_states * n_actions, n_states); each
            row of a valid action sums to one, rows of invalid actions are ignored.
        R: expected reward r(s, a) = sum_{s', r} r p(s', r | s, a) (eq. 7.1), shape
            (n_states, n_actions).
        terminal: boolean mask (n_states,) of the states whose entry ends the episode; their
            value is zero.
        valid_actions: boolean mask (n_states, n_actions) of the actions available in each state.
        initial_distribution: the distribution of the start state, shape (n_states,), or None
            when the environment does not expose it.
        outcomes: the outcome table of the environment, used to sample transitions with their
            own rewards (see :meth:`from_env`), or None for a model built from arrays.

    Attributes:
        transitions: p(s'|s, a) as CSR, shape (n_states * n_actions, n_states) (a cached
            property when T was dense).
        R: rewards r(s, a), zero for invalid actions; terminal, valid_actions,
            initial_distribution and outcomes as given (masks broadcast to full shape).
    """

    R: np.ndarray
    terminal: np.ndarray
    valid_actions: np.ndarray
    initial_distribution: np.ndarray | None
    outcomes: Outcomes | None

    def __init__(
        self,
        T: np.ndarray | sp.spmatrix | sp.sparray,
        R: np.ndarray,
        terminal: np.ndarray | bool,
        valid_actions: np.ndarray | bool,
        initial_distribution: np.ndarray | None = None,
        outcomes: Outcomes | None = None,
    ) -> None:
        R = np.asarray(R, dtype=float)
        if R.ndim != 2:
            raise ValueError(f"R must have shape (n_states, n_actions), got {R.shape}")
        dense = None if sp.issparse(T) else _dense_transitions(np.asarray(T, dtype=float), R.shape)
        matrix = _transition_matrix(T, R.shape) if dense is None else None
        valid = np.broadcast_to(np.asarray(valid_actions, dtype=bool), R.shape).copy()
        terminal = np.broadcast_to(np.asarray(terminal, dtype=bool), (R.shape[0],)).copy()
        if not valid.any(axis=1).all():
            raise ValueError("valid_actions must allow at least one action in every state")
        if dense is not None:  # checked in place: no sparse copy of a dense array
            _check_probabilities(dense, dense.sum(axis=2).ravel(), valid)
        else:
            assert matrix is not None
            _check_probabilities(matrix.data, np.asarray(matrix.sum(axis=1)).ravel(), valid)
        if not np.isfinite(R[valid]).all():
            raise ValueError("R must be finite for every valid action")
        R = np.where(valid, R, 0.0)
        for array in (R, valid, terminal):
            array.setflags(write=False)
        fields: dict[str, Any] = {
            "R": R,
            "terminal": terminal,
            "valid_actions": valid,
            "initial_distribution": initial_distribution,
            "outcomes": outcomes,
        }
        if dense is None:
            assert matrix is not None
            _freeze(matrix)
            fields["transitions"] = matrix
        else:  # the user's dense array: T costs nothing more, transitions is built on demand
            dense.setflags(write=False)
            fields["T"] = dense
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        """Refuse assignments: the model (and its cached backup matrix) is read-only."""
        raise AttributeError(f"TabularModel is read-only: cannot set {name!r}")

    @property
    def n_states(self) -> int:
        """Number of states."""
        return int(self.R.shape[0])

    @property
    def n_actions(self) -> int:
        """Number of actions."""
        return int(self.R.shape[1])

    @cached_property
    def T(self) -> np.ndarray:  # noqa: N802  (the notes' name)
        """Dense p(s'|s, a), shape (n_states, n_actions, n_states): S x A x S memory.

        The user's array when the model was built from a dense one; otherwise built on first use
        from :attr:`transitions` (for small models and inspection), which the solvers never do.
        """
        dense = self.transitions.toarray().reshape(self.n_states, self.n_actions, self.n_states)
        dense.setflags(write=False)
        return dense

    @cached_property
    def transitions(self) -> sp.csr_matrix:
        """p(s'|s, a) as CSR, shape (n_states * n_actions, n_states).

        The user's sparse matrix (a canonical copy); built on first use from a dense ``T``.
        """
        matrix = sp.csr_matrix(self.T.reshape(self.n_states * self.n_actions, self.n_states))
        _freeze(matrix)
        return matrix

    @classmethod
    def from_env(cls, env: Any) -> TabularModel:
        """Build the model of an environment whose unwrapped env has a toy-text table ``P``.

        ``P[s][a]`` is a list of ``(prob, next_state, reward, terminated)``: labcoat's tabular
        envs and Gymnasium's FrozenLake, CliffWalking and Taxi. The available actions come from
        the env's ``valid_actions`` mask when it has one (all actions otherwise). A state is
        terminal when the transitions into it end the episode; termination must depend on the
        next state only (true of every toy-text env), otherwise a ValueError is raised.

        Args:
            env: a Gymnasium env (wrapped or not) with a tabular ``P``.

        Returns:
            The model, with the outcome table kept for sampling.
        """
        unwrapped = getattr(env, "unwrapped", env)
        table = getattr(unwrapped, "P", None)
        if table is None:
            raise TypeError(
                "env must expose a toy-text transition table P, "
                f"{type(unwrapped).__name__} has none"
            )
        n_states = int(getattr(unwrapped, "n_states", 0) or unwrapped.observation_space.n)
        n_actions = int(getattr(unwrapped, "n_actions", 0) or unwrapped.action_space.n)
        valid_attr = getattr(unwrapped, "valid_actions", None)
        valid = (
            np.ones((n_states, n_actions), dtype=bool)
            if valid_attr is None
            else np.array(valid_attr, dtype=bool).reshape(n_states, n_actions)
        )
        outcomes = Outcomes.from_table(table, valid)
        initial = getattr(unwrapped, "initial_state_distrib", None)
        initial = None if initial is None else np.asarray(initial, dtype=float)
        return cls(
            T=_outcome_matrix(outcomes, valid),
            R=(outcomes.prob * outcomes.reward).sum(axis=2),
            terminal=outcomes.terminal_states(initial),
            valid_actions=valid,
            initial_distribution=initial,
            outcomes=outcomes,
        )

    @cached_property
    def _backup_matrix(self) -> np.ndarray | sp.csr_matrix:
        """p(s'|s, a) with invalid rows and terminal columns zeroed, (n_states * n_actions, S).

        Masking works on the non-zeros; the result is dense only for small or dense models,
        where dense BLAS is faster.
        """
        if "T" in self.__dict__ and not self._sparse_enough(int(np.count_nonzero(self.T))):
            return self._dense_backup_matrix()
        M = self.transitions
        rows = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))
        keep = self.valid_actions.ravel()[rows] & ~self.terminal[M.indices]
        if not keep.all():
            M = _keep_entries(M, keep)
        return M if self._sparse_enough(M.nnz) else M.toarray()

    def _sparse_enough(self, nnz: int) -> bool:
        """Whether backups with ``nnz`` non-zeros of p are faster on a sparse matrix."""
        size = self.n_states * self.n_actions * self.n_states
        return self.n_states >= _SPARSE_MIN_STATES and nnz <= _SPARSE_DENSITY * size

    def _dense_backup_matrix(self) -> np.ndarray:
        """:attr:`_backup_matrix` from the user's dense T: a view, or one masked copy."""
        M = self.T.reshape(self.n_states * self.n_actions, self.n_states)
        invalid = ~self.valid_actions.ravel()
        if invalid.any() or self.terminal.any():
            M = M.copy()
            M[invalid] = 0.0
            M[:, self.terminal] = 0.0
        return M

    @cached_property
    def _valid_transitions(self) -> sp.csr_matrix:
        """:attr:`transitions` with the rows of unavailable actions removed (zeroed)."""
        M = self.transitions
        return _keep_entries(M, np.repeat(self.valid_actions.ravel(), np.diff(M.indptr)))

    def expected_next_value(self, v: np.ndarray) -> np.ndarray:
        """Return sum_s' p(s'|s, a) v(s') with v = 0 on terminal states, shape (S, A)."""
        return np.asarray(self._backup_matrix @ v).reshape(self.n_states, self.n_actions)


def _keep_entries(M: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """A copy of the CSR matrix ``M`` with only the non-zeros where ``keep`` is True."""
    rows = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))[keep]
    return sp.csr_matrix((M.data[keep], (rows, M.indices[keep])), shape=M.shape)


def _transition_matrix(T: Any, shape: tuple[int, int]) -> sp.csr_matrix:
    """A sparse ``T`` of shape (S * A) x S as a canonical CSR copy, shape checked."""
    n_states, n_actions = shape
    if T.shape != (n_states * n_actions, n_states):
        raise ValueError(
            f"a sparse T must have shape {(n_states * n_actions, n_states)} "
            f"(n_states * n_actions, n_states), got {T.shape}"
        )
    matrix = sp.csr_matrix(T, dtype=float, copy=True)
    matrix.sum_duplicates()
    return matrix


def _dense_transitions(T: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A dense ``T``, checked to have shape (n_states, n_actions, n_states) matching R."""
    if T.ndim != 3 or T.shape[0] != T.shape[2]:
        raise ValueError(f"T must have shape (n_states, n_actions, n_states), got {T.shape}")
    if T.shape[:2] != shape:
        raise ValueError(f"R must have shape {T.shape[:2]}, got {shape}")
    return T


def _check_probabilities(entries: np.ndarray, sums: np.ndarray, valid: np.ndarray) -> None:
    """Refuse negative ``entries`` of T or row ``sums`` of valid actions other than one."""
    negative = entries.size > 0 and entries.min() < 0
    if negative or not np.allclose(sums[valid.ravel()], 1.0, atol=1e-9):
        raise ValueError("T must hold probabilities whose rows sum to 1 for valid actions")


def _freeze(matrix: sp.csr_matrix) -> None:
    """Make the arrays of a CSR matrix read-only."""
    for array in (matrix.data, matrix.indices, matrix.indptr):
        array.setflags(write=False)


def _outcome_matrix(outcomes: Outcomes, valid: np.ndarray) -> sp.csr_matrix:
    """The (S * A) x S CSR matrix of an outcome table (repeated next states summed)."""
    n_states, n_actions, width = outcomes.prob.shape
    live = (outcomes.prob > 0) & valid[:, :, None]
    rows = np.broadcast_to(np.arange(n_states * n_actions).reshape(n_states, n_actions, 1),
                           live.shape)[live]  # fmt: skip
    return sp.csr_matrix(
        (outcomes.prob[live], (rows, outcomes.next_state[live])),
        shape=(n_states * n_actions, n_states),
    )


@dataclass(frozen=True, eq=False)
class PlanningResult:
    """The outcome of a planning method.

    Attributes:
        v: state values, shape (n_states,) (zero on terminal states).
        q: action values q(s, a) = r(s, a) + gamma sum_s' p(s'|s, a) v(s') (eq. 7.15), shape
            (n_states, n_actions), -inf for unavailable actions.
        policy: the greedy policy argmax_a q(s, a) (eq. 7.16), an int array (n_states,).
        n_iterations: sweeps (value iteration) or improvement steps (policy iteration).
    """

    v: np.ndarray
    q: np.ndarray
    policy: np.ndarray
    n_iterations: int


def bellman_backup(model: TabularModel, v: np.ndarray, gamma: float) -> np.ndarray:
    """Return q(s, a) = r(s, a) + gamma sum_s' p(s'|s, a) v(s') (eq. 7.15), -inf if invalid.

    Args:
        model: the MDP.
        v: state values, shape (n_states,); terminal entries are ignored (taken as zero).
        gamma: discount factor in [0, 1].

    Returns:
        q, shape (n_states, n_actions); zero on terminal states (nothing follows the end).
    """
    q = model.R + gamma * model.expected_next_value(np.asarray(v, dtype=float))
    q[model.terminal] = 0.0
    return np.where(model.valid_actions, q, -np.inf)


def greedy_policy(q: np.ndarray) -> np.ndarray:
    """Return the greedy policy argmax_a q(s, a) (eq. 7.16); ties go to the lowest action."""
    return np.asarray(np.argmax(q, axis=1), dtype=np.int64)


def _policy_matrix(model: TabularModel, policy: np.ndarray) -> np.ndarray:
    """pi(a|s) as an (n_states, n_actions) matrix from an int array or a stochastic matrix."""
    policy = np.asarray(policy)
    shape = (model.n_states, model.n_actions)
    if policy.shape == (model.n_states,) and np.issubdtype(policy.dtype, np.integer):
        if policy.min() < 0 or policy.max() >= model.n_actions:
            raise ValueError(f"policy actions must lie in [0, {model.n_actions - 1}]")
        pi = np.zeros(shape)
        pi[np.arange(model.n_states), policy] = 1.0
    elif policy.shape == shape:
        pi = policy.astype(float)
        if np.any(pi < 0) or not np.allclose(pi.sum(axis=1), 1.0, atol=1e-9):
            raise ValueError("a stochastic policy's rows must be probabilities summing to 1")
    else:
        raise ValueError(
            f"policy must be an int array of shape {(model.n_states,)} or a matrix of shape "
            f"{shape}, got shape {policy.shape} and dtype {policy.dtype}"
        )
    live = ~model.terminal
    if np.any((pi > 0) & ~model.valid_actions & live[:, None]):
        s = int(np.argwhere((pi > 0) & ~model.valid_actions & live[:, None])[0, 0])
        raise ValueError(f"policy uses an action that is not available in state {s}")
    return pi


def _policy_dynamics(model: TabularModel, pi: np.ndarray) -> tuple[np.ndarray, Any]:
    """r_pi(s) = sum_a pi(a|s) r(s, a) and P_pi(s, s') = sum_a pi(a|s) p(s'|s, a), v(terminal)=0."""
    r_pi = (pi * model.R).sum(axis=1)
    chosen = np.flatnonzero(pi.ravel() == 1.0)
    if chosen.size == model.n_states:  # deterministic: row s * n_actions + pi(s) of M, one copy
        return r_pi, model._backup_matrix[chosen]
    P_pi = _action_weights(pi) @ model._backup_matrix
    return r_pi, (sp.csr_matrix(P_pi) if sp.issparse(P_pi) else np.asarray(P_pi))


def _action_weights(weights: np.ndarray) -> sp.csr_matrix:
    """W[s, s * n_actions + a] = weights[s, a]: W @ M mixes the (S*A, S) rows of M per state."""
    n_states, n_actions = weights.shape
    return sp.csr_matrix(
        (weights.ravel(), np.arange(weights.size), np.arange(0, weights.size + 1, n_actions)),
        shape=(n_states, weights.size),
    )


def _reaches_terminal(model: TabularModel, P_pi: Any) -> np.ndarray:
    """States from which the Markov chain P_pi (into non-terminal states) ends w.p. one."""
    live = ~model.terminal
    leak = 1.0 - np.asarray(P_pi.sum(axis=1)).ravel()  # probability of ending in one step
    reach = model.terminal | (leak > 1e-12)
    adjacency = sp.csr_matrix(P_pi > 0)
    while True:
        grown = reach | (np.asarray(adjacency @ reach.astype(float)).ravel() > 0) & live
        if np.array_equal(grown, reach):
            return reach
        reach = grown


def policy_evaluation(
    model: TabularModel,
    policy: np.ndarray,
    gamma: float,
    *,
    method: Literal["solve", "iterative"] = "solve",
    tol: float = 1e-10,
    max_iterations: int = 1_000_000,
) -> np.ndarray:
    """Return v_pi, the solution of the Bellman equation of a fixed policy (eq. 7.7).

    v_pi(s) = sum_a pi(a|s) [r(s, a) + gamma sum_s' p(s'|s, a) v_pi(s')], i.e. the linear
    system (I - gamma P_pi) v_pi = r_pi on the non-terminal states (v_pi = 0 on terminal states).
    ``method="solve"`` solves it directly (dense LU, or sparse LU for a sparse model);
    ``method="iterative"`` sweeps v <- r_pi + gamma P_pi v (eq. 7.18 without the max) until
    ||v - v_pi||_inf <= tol by the contraction bound ||Delta|| gamma / (1 - gamma) (gamma < 1)
    or until ||Delta||_inf <= tol (gamma = 1, no bound).

    Args:
        model: the MDP.
        policy: deterministic int array (n_states,) or stochastic matrix pi(a|s) (n_states,
            n_actions).
        gamma: discount in [0, 1]; with gamma = 1 the policy must end every episode w.p. one.
        method: "solve" or "iterative".
        tol: accuracy of the iterative method (> 0).
        max_iterations: sweep limit of the iterative method.

    Returns:
        v_pi, shape (n_states,).
    """
    gamma = check_probability("gamma", gamma)
    check_choice("method", method, ("solve", "iterative"))
    max_iterations = check_int("max_iterations", max_iterations, 1)
    pi = _policy_matrix(model, policy)
    r_pi, P_pi = _policy_dynamics(model, pi)
    live = ~model.terminal
    if gamma == 1.0:
        stuck = np.flatnonzero(~_reaches_terminal(model, P_pi))
        if stuck.size:
            raise ValueError(
                f"with gamma=1 the policy must end every episode; from state {stuck[0]} it never "
                "reaches a terminal state (use gamma < 1 or a proper policy)"
            )
    v = np.zeros(model.n_states)
    if method == "solve":
        idx = np.flatnonzero(live)
        A = P_pi if idx.size == model.n_states else P_pi[idx][:, idx]
        if sp.issparse(A):
            from scipy.sparse.linalg import spsolve

            v[idx] = spsolve((sp.eye(idx.size) - gamma * A).tocsc(), r_pi[idx])
        else:
            v[idx] = np.linalg.solve(np.eye(idx.size) - gamma * A, r_pi[idx])
        return v
    tol = check_float("tol", tol, 0.0, low_open=True)
    threshold = tol if gamma == 1.0 else tol * (1.0 - gamma) / max(gamma, 1e-300)
    for _ in range(max_iterations):
        v_new = r_pi + gamma * np.asarray(P_pi @ v).ravel()
        v_new[~live] = 0.0
        delta = float(np.max(np.abs(v_new - v)))
        v = v_new
        if delta <= threshold:
            return v
    raise RuntimeError(f"iterative policy evaluation did not converge in {max_iterations} sweeps")


def value_iteration(
    model: TabularModel,
    gamma: float,
    *,
    tol: float = 1e-8,
    max_iterations: int = 1_000_000,
    initial_v: np.ndarray | None = None,
) -> PlanningResult:
    """Value iteration, v_{k+1}(s) = max_a sum_s' p(s'|s, a)[r + gamma v_k(s')] (eq. 7.18).

    Stopping rule (gamma < 1): with Delta = v_{k+1} - v_k, the optimal values obey the bounds
    v_{k+1} + gamma/(1-gamma) min Delta <= v* <= v_{k+1} + gamma/(1-gamma) max Delta
    (MacQueen; Puterman, Markov Decision Processes, Thm. 6.6.3). The iteration stops when half
    their width, gamma/(1-gamma) (max Delta - min Delta)/2, is at most ``tol`` and returns the
    midpoint, so that ||v - v*||_inf <= tol is guaranteed. This span criterion is never slower
    than the sup-norm rule ||Delta|| < tol (1-gamma)/(2 gamma) and much faster when the chain
    mixes. With gamma = 1 (episodic tasks) it stops when ||Delta||_inf <= tol, without bound.

    Args:
        model: the MDP.
        gamma: discount in [0, 1].
        tol: guaranteed sup-norm distance of the returned v to v* (gamma < 1).
        max_iterations: sweep limit (RuntimeError beyond).
        initial_v: starting values (zeros by default).

    Returns:
        v, the greedy q and policy (eq. 7.16) and the number of sweeps.
    """
    gamma = check_probability("gamma", gamma)
    tol = check_float("tol", tol, 0.0, low_open=True)
    max_iterations = check_int("max_iterations", max_iterations, 1)
    if gamma == 1.0:
        _check_undiscounted(model)
    live = ~model.terminal
    v = np.zeros(model.n_states) if initial_v is None else _initial_values(model, initial_v)
    v[~live] = 0.0
    scale = gamma / (1.0 - gamma) if gamma < 1.0 else 0.0
    for k in range(1, max_iterations + 1):
        v_new = bellman_backup(model, v, gamma).max(axis=1)
        v_new[~live] = 0.0
        delta = v_new - v
        v = v_new
        low, high = float(delta.min()), float(delta.max())
        if gamma < 1.0 and scale * (high - low) / 2.0 <= tol:
            v[live] += scale * (high + low) / 2.0
            return _greedy_result(model, v, gamma, k)
        if gamma == 1.0 and max(high, -low) <= tol:
            return _greedy_result(model, v, gamma, k)
    raise RuntimeError(
        f"value iteration did not converge in max_iterations={max_iterations} sweeps"
    )


def _check_undiscounted(model: TabularModel) -> None:
    """Refuse gamma = 1 when some state cannot end its episode under any policy."""
    stuck = ~can_terminate(model)
    if stuck.any():
        raise ValueError(
            "value iteration with gamma=1 needs every state to be able to end its episode: "
            f"{_never_ends(model, stuck)}, so the values need not be finite (use gamma < 1)"
        )


def _initial_values(model: TabularModel, initial_v: Any) -> np.ndarray:
    """A copy of ``initial_v`` checked to be n_states finite real numbers."""
    v = np.asarray(initial_v)
    if v.shape != (model.n_states,) or v.dtype.kind not in "iuf" or not np.isfinite(v).all():
        raise ValueError(
            f"initial_v must hold {model.n_states} finite numbers (one per state), "
            f"got {initial_v!r}"
        )
    return v.astype(float)


def _greedy_result(model: TabularModel, v: np.ndarray, gamma: float, sweeps: int) -> PlanningResult:
    q = bellman_backup(model, v, gamma)
    return PlanningResult(v=v, q=q, policy=greedy_policy(q), n_iterations=sweeps)


def _successors(model: TabularModel) -> sp.csr_matrix:
    """A[s, s'] = 1 when some available action leads from s to s' with positive probability."""
    any_action = _action_weights(np.ones((model.n_states, model.n_actions)))
    return sp.csr_matrix((any_action @ model._valid_transitions) > 0)


def _closure(adjacency: sp.csr_matrix, seed: np.ndarray) -> np.ndarray:
    """States linked to the ``seed`` mask by paths of ``adjacency`` (breadth first)."""
    reach = seed.astype(bool).copy()
    frontier = reach.copy()
    while frontier.any():
        frontier = (np.asarray(adjacency @ frontier.astype(float)).ravel() > 0) & ~reach
        reach |= frontier
    return reach


def can_terminate(model: TabularModel) -> np.ndarray:
    """Mask of the states from which some policy ends the episode with positive probability.

    A state is in it when it is terminal or some available action leads with positive
    probability into the mask (a backward search from the terminal states). Outside it, no
    policy ever ends the episode: with gamma = 1 the returns there need not be finite.
    """
    return _closure(_successors(model), model.terminal)


def reachable_states(model: TabularModel, start: np.ndarray) -> np.ndarray:
    """Mask of the states reachable from the ``start`` mask, never leaving a terminal state."""
    successors = _successors(model).tolil()
    successors[np.flatnonzero(model.terminal)] = 0
    return _closure(successors.T.tocsr(), start)


def _never_ends(model: TabularModel, stuck: np.ndarray) -> str:
    if not model.terminal.any():
        return "the model has no terminal state"
    return f"from state {int(np.flatnonzero(stuck)[0])} no policy reaches a terminal state"


def check_episodes_end(model: TabularModel, start: np.ndarray, what: str) -> None:
    """Refuse a run without time limit that can reach a state from which no episode ends.

    Args:
        model: the MDP.
        start: mask of the possible start states.
        what: the run, for the message (e.g. "batched q_learning").

    Raises:
        ValueError: naming the first such state, with the remedy (a time limit).
    """
    stuck = reachable_states(model, start) & ~can_terminate(model)
    if stuck.any():
        raise ValueError(
            f"{what} would never finish an episode: {_never_ends(model, stuck)}; pass "
            "max_episode_steps (a time limit) or use a model with terminal states"
        )


def proper_policy(model: TabularModel) -> np.ndarray:
    """A deterministic policy that ends the episode with probability one from every state.

    Built backwards from the terminal states: a state gets an action that reaches an already
    labelled state with positive probability, so every state has a path of positive probability
    to termination and the chain is absorbed with probability one.

    Raises:
        ValueError: if some state cannot reach a terminal state under any policy.
    """
    reach = model.terminal.copy()
    policy = np.argmax(model.valid_actions, axis=1)
    if not reach.any():
        raise ValueError("the model has no terminal state, so no policy ends the episode")
    while not reach.all():
        into = model._valid_transitions @ reach.astype(float) > 0
        into = into.reshape(model.n_states, model.n_actions)
        into &= model.valid_actions & ~reach[:, None]
        new = into.any(axis=1)
        if not new.any():
            stuck = int(np.flatnonzero(~reach)[0])
            raise ValueError(f"state {stuck} cannot reach a terminal state under any policy")
        policy[new] = np.argmax(into[new], axis=1)
        reach |= new
    return policy


def epsilon_soft(model: TabularModel, policy: np.ndarray, epsilon: float) -> np.ndarray:
    """pi(a|s) = epsilon / |A(s)| + (1 - epsilon) [a = policy(s)] (the epsilon-greedy policy)."""
    valid = model.valid_actions
    pi = epsilon * valid / valid.sum(axis=1, keepdims=True)
    pi[np.arange(model.n_states), policy] += 1.0 - epsilon
    return pi


def policy_iteration(
    model: TabularModel,
    gamma: float,
    *,
    epsilon: float = 0.0,
    initial_policy: np.ndarray | None = None,
    max_iterations: int = 10_000,
) -> PlanningResult:
    """Policy iteration pi_0 -> v_pi0 -> pi_1 -> ... (eqs. 7.16-7.17) with exact evaluation.

    Each step solves the Bellman equation of the current policy exactly
    (:func:`policy_evaluation`) and improves greedily (eq. 7.16), keeping the current action
    unless another is better by more than 1e-12 (relative), so that ties cannot cycle. It stops
    when the policy is stable; then v = v* solves eq. 7.11 exactly. With gamma = 1 the start
    policy must be proper (default: :func:`proper_policy`); improvement keeps it proper.

    With ``epsilon > 0`` the evaluated policy is the epsilon-greedy version of the greedy one
    (:func:`epsilon_soft`), and the result is the best epsilon-soft policy (Sutton & Barto
    §5.4): the fixed point to which Sarsa and expected Sarsa converge at constant epsilon.

    Args:
        model: the MDP.
        gamma: discount in [0, 1].
        epsilon: exploration of the evaluated policies, in [0, 1] (0: plain policy iteration).
        initial_policy: the start policy (int array); default the greedy policy of r(s, a) for
            gamma < 1 and :func:`proper_policy` for gamma = 1.
        max_iterations: improvement-step limit (RuntimeError beyond).

    Returns:
        v and q of the final (epsilon-soft) policy, its greedy part and the number of steps.
    """
    gamma = check_probability("gamma", gamma)
    epsilon = check_probability("epsilon", epsilon)
    max_iterations = check_int("max_iterations", max_iterations, 1)
    if initial_policy is not None:
        _policy_matrix(model, initial_policy)  # checks shape, dtype, range and availability
        policy = np.asarray(initial_policy, dtype=np.int64).copy()
    elif gamma == 1.0:
        policy = proper_policy(model)
    else:
        policy = greedy_policy(np.where(model.valid_actions, model.R, -np.inf))
    states = np.arange(model.n_states)
    for k in range(1, max_iterations + 1):
        evaluated = epsilon_soft(model, policy, epsilon) if epsilon > 0 else policy
        v = policy_evaluation(model, evaluated, gamma)
        q = bellman_backup(model, v, gamma)
        best = greedy_policy(q)
        margin = 1e-12 * max(1.0, float(np.max(np.abs(v))))
        improve = q[states, best] > q[states, policy] + margin
        improve &= ~model.terminal
        if not improve.any():
            return PlanningResult(v=v, q=q, policy=policy, n_iterations=k)
        policy = np.where(improve, best, policy)
    raise RuntimeError(f"policy iteration did not converge in max_iterations={max_iterations}")
