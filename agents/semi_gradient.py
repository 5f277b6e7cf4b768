"""Semi-gradient TD prediction and semi-gradient Sarsa control with function approximation.

§7.5 of the notes: a parametrized value v̂(s; θ) replaces the table, and the TD(0) update
becomes eq. 7.25,

    θ ← θ + α [R + γ v̂(S'; θ) − v̂(S; θ)] ∇_θ v̂(S; θ),

where only the old estimate v̂(S; θ) is differentiated (the target is held fixed: a
*semi*-gradient). Episodic semi-gradient Sarsa (Sutton & Barto §10.1, eq. 10.1) applies the
same update to action values q̂(s, a; θ) with the Sarsa target R + γ q̂(S', A'; θ).

Two kinds of approximator share one loop:

- linear, v̂(s; w) = wᵀ x(s) on a feature map x (labcoat.agents.features), where
  ∇v̂ = x(s); q̂(s, a; w) = w_aᵀ x(s) keeps one weight vector per action;
- any ``torch.nn.Module`` mapping a float tensor (features, or the raw observation) of shape
  ``(batch, n_inputs)`` to values ``(batch, 1)`` (prediction) or one q-value per action
  ``(batch, n_actions)`` (control); ∇θ comes from torch.autograd.

The pure update functions below state the mathematics on arrays (rlax style: ``x_tm1`` =
x(S_t), ``r_t`` = R_{t+1}, ``discount_t = gamma (1 − terminated)``: a time-limit truncation
bootstraps, only termination zeroes the target); the classes run the loop of
labcoat.agents._base and apply the same formulas in place.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from labcoat.agents._base import INF, Agent, check_schedule, stored_array
from labcoat.agents._observations import check_observation
from labcoat.agents.features import BinaryFeatures, Features, OneHot
from labcoat.agents.planning import (
    TabularModel,
    _policy_dynamics,
    _policy_matrix,
    policy_evaluation,
)
from labcoat.agents.policies import PolicyLike, RandomPolicy, action_function
from labcoat.agents.rules import (
    epsilon_greedy_action,
    semi_gradient_increment,
    semi_gradient_step,
    td_error,
)
from labcoat.classic._checks import check_float, check_probability

if TYPE_CHECKING:
    import torch

__all__ = [
    "LinearPrediction",
    "SemiGradientSarsa",
    "SemiGradientTD",
    "on_policy_distribution",
    "td_fixed_point",
    "value_error_minimizer",
]


# ---------------------------------------------------------------------- exact linear solutions


def _chain(model: TabularModel, policy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-terminal states, P_π among them and r_π(s) = Σ_a π(a|s) r(s, a)."""
    pi = _policy_matrix(model, policy)  # checked: shape, dtype, probabilities, availability
    live = np.flatnonzero(~model.terminal)
    r_pi, P_pi = _policy_dynamics(model, pi)
    P = P_pi[live][:, live]
    return live, (sp.csr_matrix(P) if sp.issparse(P) else np.asarray(P)), r_pi[live]


def on_policy_distribution(
    model: TabularModel, policy: np.ndarray, initial_distribution: np.ndarray | None = None
) -> np.ndarray:
    """The on-policy distribution μ(s) of an episodic task (Sutton & Barto eqs. 9.2-9.3).

    η(s) = h(s) + Σ_s̄ η(s̄) p_π(s | s̄) is the expected number of visits of s per episode
    (h the start distribution), solved exactly as (I − P_πᵀ) η = h over the non-terminal
    states; μ = η / Σ η, zero on terminal states.

    Args:
        model: the MDP (labcoat.agents.planning.TabularModel).
        policy: int array (n_states,) or matrix π(a|s) (n_states, n_actions).
        initial_distribution: h, shape (n_states,); default ``model.initial_distribution``.
    """
    live, P, _ = _chain(model, policy)
    mu = np.zeros(model.n_states)
    mu[live] = _visit_distribution(live, P, _start_distribution(model, initial_distribution))
    return mu


def _start_distribution(model: TabularModel, initial_distribution: Any) -> np.ndarray:
    """h: ``initial_distribution`` (or the model's), checked to be n_states probabilities."""
    h = model.initial_distribution if initial_distribution is None else initial_distribution
    if h is None:
        raise ValueError("the model has no initial distribution: pass initial_distribution=")
    h = np.asarray(h)
    if (
        h.shape != (model.n_states,)
        or h.dtype.kind not in "iuf"
        or not (np.isfinite(h).all() and (h >= 0).all() and np.isclose(h.sum(), 1.0))
    ):
        raise ValueError(
            f"initial_distribution must be {model.n_states} probabilities summing to 1, got {h!r}"
        )
    return h.astype(float)


def _visit_distribution(live: np.ndarray, P: Any, h: np.ndarray) -> np.ndarray:
    """μ on the non-terminal states ``live``: (I − P_πᵀ) η = h there, normalised."""
    if sp.issparse(P):
        eta = spsolve((sp.eye(len(live)) - P.T).tocsc(), h[live])
    else:
        eta = np.linalg.solve(np.eye(len(live)) - P.T, h[live])
    return eta / eta.sum()


@dataclasses.dataclass(frozen=True)
class LinearPrediction:
    """Linear prediction of a fixed policy on a known MDP (Sutton & Barto ch. 9), to solve exactly.

    What :func:`td_fixed_point` and :func:`value_error_minimizer` need: the model, the feature
    map x(s), the policy π whose values v_π are approximated by wᵀx(s), the discount factor γ
    and the start distribution h that fixes the on-policy distribution μ (eqs. 9.2-9.3).
    """

    model: TabularModel
    """The MDP (labcoat.agents.planning.TabularModel); ``features`` maps its states to x(s)."""
    features: Features
    """The feature map x."""
    policy: np.ndarray
    """Int array (n_states,) or matrix π(a|s) (n_states, n_actions)."""
    gamma: float
    """Discount factor in [0, 1]."""
    initial_distribution: np.ndarray | None = None
    """The start distribution h (default: the model's)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "gamma", check_probability("gamma", self.gamma))

    def _on_policy(self) -> tuple[np.ndarray, Any, np.ndarray, np.ndarray, np.ndarray]:
        """Non-terminal states, P_π and r_π among them, μ and the rows Φ (P_π built once)."""
        live, P, r = _chain(self.model, self.policy)
        h = _start_distribution(self.model, self.initial_distribution)
        D = _visit_distribution(live, P, h)
        return live, P, r, D, np.asarray(self.features(live), dtype=float)


def td_fixed_point(problem: LinearPrediction) -> np.ndarray:
    """The TD fixed point w_TD = A⁻¹ b of linear semi-gradient TD(0) (Sutton & Barto eq. 9.12).

    A = Φᵀ D (Φ − γ P_π Φ), b = Φᵀ D r_π over the non-terminal states, D = diag(μ) the
    on-policy distribution (:func:`on_policy_distribution`), Φ the rows x(s)ᵀ: where the
    expected update of eq. 7.25 vanishes, E_μ[δ x(S)] = b − A w = 0. Features that are zero on
    every visited state (e.g. a one-hot feature of a terminal state) get weight 0 (the
    minimum-norm solution).

    Args:
        problem: the model, features, policy, γ and start distribution.
    """
    _, P, r, D, Phi = problem._on_policy()
    A = Phi.T @ (D[:, None] * (Phi - problem.gamma * np.asarray(P @ Phi)))
    b = Phi.T @ (D * r)
    return np.linalg.lstsq(A, b, rcond=None)[0]


def value_error_minimizer(problem: LinearPrediction) -> np.ndarray:
    """argmin_w VE(w) = Σ_s μ(s) [v_π(s) − wᵀx(s)]², Sutton & Barto eq. 9.1.

    The limit of gradient Monte Carlo: the weighted least-squares solution of
    ΦᵀDΦ w = ΦᵀD v_π, with v_π from an exact solve of eq. 7.7.

    Args:
        problem: the model, features, policy, γ and start distribution.
    """
    live, _, _, D, Phi = problem._on_policy()
    v = policy_evaluation(problem.model, problem.policy, problem.gamma)[live]
    return np.linalg.lstsq(np.sqrt(D)[:, None] * Phi, np.sqrt(D) * v, rcond=None)[0]


# ---------------------------------------------------------------------- approximators


class _Linear:
    """Dense linear values w x(s), w of shape (n_outputs, n_features); eq. 7.25 with ∇ = x."""

    def __init__(self, n_outputs: int, n_features: int) -> None:
        self.w = np.zeros((n_outputs, n_features))

    def values(self, x: np.ndarray) -> np.ndarray:
        return self.w @ x

    def value_and_update(
        self, x: np.ndarray, output: int, r_t: float, discount_t: float, v_t: float, alpha: float
    ) -> float:
        row = self.w[output]
        delta = td_error(float(row @ x), r_t, discount_t, v_t)
        row += semi_gradient_increment(alpha, delta, x)
        return delta

    def get_weights(self) -> np.ndarray:
        return self.w

    def set_weights(self, w: np.ndarray) -> None:
        self.w[...] = w


class _SparseLinear:
    """Linear values on binary features given as active indices: Σ_{i active} w_i (lists)."""

    def __init__(self, n_outputs: int, n_features: int) -> None:
        self.w = [[0.0] * n_features for _ in range(n_outputs)]
        self.shape = (n_outputs, n_features)

    def values(self, active: list[int]) -> list[float]:
        return [sum([row[i] for i in active]) for row in self.w]

    def value_and_update(
        self,
        active: list[int],
        output: int,
        r_t: float,
        discount_t: float,
        v_t: float,
        alpha: float,
    ) -> float:
        row = self.w[output]
        delta = td_error(sum([row[i] for i in active]), r_t, discount_t, v_t)
        step = semi_gradient_increment(alpha, delta, 1.0)  # the gradient of an active feature
        for i in active:
            row[i] += step
        return delta

    def get_weights(self) -> np.ndarray:
        return np.array(self.w, dtype=float).reshape(self.shape)

    def set_weights(self, w: np.ndarray) -> None:
        self.w = np.asarray(w, dtype=float).tolist()


class _Network:
    """A torch module θ: values(x) = net(x); the update is :func:`semi_gradient_step`."""

    def __init__(self, network: Any, n_inputs: int, n_outputs: int) -> None:
        import torch

        if not isinstance(network, torch.nn.Module):
            raise TypeError(f"network must be a torch.nn.Module, got {type(network).__name__}")
        self.torch, self.network = torch, network
        self.parameters = [p for p in network.parameters() if p.requires_grad]
        if not self.parameters:
            raise ValueError("network has no trainable parameters")
        self.dtype = self.parameters[0].dtype
        with torch.no_grad():
            out = network(torch.zeros(1, n_inputs, dtype=self.dtype))
        if out.numel() != n_outputs:
            raise ValueError(
                f"network maps a (1, {n_inputs}) input to shape {tuple(out.shape)}; it must give "
                f"{n_outputs} value(s) per input, shape (batch, {n_outputs})"
            )
        self.n_outputs = n_outputs

    def _forward(self, x: np.ndarray) -> torch.Tensor:
        inputs = self.torch.as_tensor(x, dtype=self.dtype).reshape(-1, x.shape[-1])
        return self.network(inputs).reshape(-1, self.n_outputs)

    def values(self, x: np.ndarray) -> np.ndarray:
        with self.torch.no_grad():
            out = self._forward(x).double().numpy()
        return out[0] if x.ndim == 1 else out

    def value_and_update(
        self, x: np.ndarray, output: int, r_t: float, discount_t: float, v_t: float, alpha: float
    ) -> float:
        value = self._forward(x)[0, output]
        delta = td_error(float(value.detach()), r_t, discount_t, v_t)
        semi_gradient_step(self.parameters, value, delta, alpha)
        return delta


# ---------------------------------------------------------------------- the agents


class _SemiGradient(Agent):
    """Shared set-up: the feature map, the approximator, the step size, saving the parameters."""

    discrete_observations = False
    _array_names = ("_saved_parameters",)
    _n_outputs: int

    def __init__(
        self,
        env: gym.Env | str,
        gamma: float,
        learning_rate: float,
        seed: int | None,
        features: Features | None,
        network: Any,
    ) -> None:
        super().__init__(env, gamma=gamma, seed=seed)
        self.learning_rate = check_float("learning_rate", learning_rate, 0.0, low_open=True)
        space = self.env.observation_space
        self.features, self.network = features, network
        if features is None and isinstance(space, gym.spaces.Discrete):
            features = OneHot(space)
        if features is None and network is None:
            raise ValueError(
                f"{type(self).__name__} needs features= (e.g. TileCoding(env.observation_space)) "
                f"or network= for the observation space {space}"
            )
        if features is None and not isinstance(space, gym.spaces.Box | gym.spaces.Discrete):
            raise TypeError(
                f"network= without features= needs a Box observation space (flattened as the "
                f"network's input), the env has {space}: pass features= mapping an observation "
                "to a vector"
            )
        if features is not None and not isinstance(features, Features):
            raise TypeError("features must be callable with an n_features attribute")
        n_outputs = self._output_count()
        self._dense: Callable[[Any], np.ndarray] = (
            functools.partial(_flat_observation, single_ndim=len(space.shape or ()))
            if features is None
            else features
        )
        n_inputs = int(np.prod(space.shape)) if features is None else int(features.n_features)
        self._approximator: _Linear | _SparseLinear | _Network
        if network is not None:
            self._approximator = _Network(network, n_inputs, n_outputs)
            self._phi: Callable[[Any], Any] = self._dense
        elif isinstance(features, BinaryFeatures):  # sparse: only the active weights
            self._approximator = _SparseLinear(n_outputs, n_inputs)
            self._phi = features.active_features
        else:
            self._approximator = _Linear(n_outputs, n_inputs)
            self._phi = self._dense

    def _output_count(self) -> int:
        return 1

    @property
    def weights(self) -> np.ndarray:
        """A copy of the linear weights w, shape (n_outputs, n_features)."""
        if isinstance(self._approximator, _Network):
            raise AttributeError("a network agent has no linear weights: see .network")
        return np.array(self._approximator.get_weights())

    @property
    def _saved_parameters(self) -> np.ndarray:
        approximator = self._approximator
        if not isinstance(approximator, _Network):
            return approximator.get_weights()
        from labcoat.agents.dqn import state_bytes

        return state_bytes(approximator.network)

    def _set_array(self, name: str, value: np.ndarray) -> None:
        approximator = self._approximator
        if isinstance(approximator, _Network):
            if value.dtype != np.uint8:
                raise TypeError("the file holds linear weights: load it without network=")
            _load_state(approximator, value)
            return
        shape = approximator.get_weights().shape
        if value.shape != shape:
            raise ValueError(
                f"stored parameters have shape {value.shape}, the features give {shape}: pass "
                "the same features= (and network=) as when saving"
            )
        approximator.set_weights(stored_array("the weights", value, shape, "f"))

    def _batch_values(self, observation: Any) -> tuple[np.ndarray, bool]:
        """Values of one observation (n_outputs,) or a batch (batch, n_outputs); is_batch."""
        batch = check_observation(self.env.observation_space, observation)
        approximator = self._approximator
        if not batch:  # the training loop's fast path
            return np.asarray(approximator.values(self._phi(observation)), dtype=float), False
        x = np.asarray(self._dense(observation), dtype=float)
        if isinstance(approximator, _Network):
            values = np.asarray(approximator.values(x))
        else:
            values = x @ approximator.get_weights().T
        return values.reshape(len(x), -1) if batch else values.reshape(-1), batch

    def _end_run(self, obs: Any, info: Any, episode_return: float, steps: int) -> None:
        """Store where a ``_run`` stopped (the base's bookkeeping of the running episode)."""
        self._obs, self._info = obs, info
        self._episode_return = episode_return
        self._episode_length += steps

    def _check(self, delta: float, step: int) -> None:
        if not math.isfinite(delta):
            raise self._diverged(step, "the TD error (weights)")


def _load_state(approximator: _Network, value: np.ndarray) -> None:
    """Load a network's saved state_dict (torch's weights-only reader: tensors, no code)."""
    from labcoat.agents.dqn import load_state_bytes

    load_state_bytes(approximator.network, value)


def _flat_observation(observation: Any, single_ndim: int) -> np.ndarray:
    """One observation (``single_ndim`` axes) as a vector, a batch as rows."""
    obs = np.asarray(observation, dtype=float)
    return obs.reshape(-1) if obs.ndim <= single_ndim else obs.reshape(len(obs), -1)


class SemiGradientTD(_SemiGradient):
    """Semi-gradient TD(0) prediction of v_π for a given policy (eq. 7.25 of the notes).

    θ ← θ + α [R_{t+1} + γ v̂(S_{t+1}; θ) − v̂(S_t; θ)] ∇_θ v̂(S_t; θ) after every step, with
    v̂(S_{t+1}) = 0 when S_{t+1} is terminal (a truncated episode bootstraps). Linear features
    give ∇v̂ = x(s) (S&B §9.4, eq. 9.7); the weights then converge to the TD fixed point
    w_TD = A⁻¹b, A = E[x_t (x_t − γ x_{t+1})ᵀ], b = E[R_{t+1} x_t] (S&B eq. 9.12). With
    :class:`~labcoat.agents.features.OneHot` features this is tabular TD(0) (eq. 7.21).

    Args:
        env: a Gymnasium env (or id) with a Discrete action space.
        policy: the policy to evaluate and follow (anything labcoat.agents.policies accepts);
            None follows the uniform random policy over the available actions.
        gamma: discount factor in [0, 1].
        learning_rate: step size α > 0.
        seed: seed of the agent's (and a stochastic policy's) random numbers and of the env.
        features: a feature map x(s) (labcoat.agents.features); default one-hot for Discrete
            observations. Input of the network when both are given.
        network: a ``torch.nn.Module`` (batch, n_inputs) -> (batch, 1) for v̂ instead of the
            linear wᵀx(s); trained in place. Seed its initial weights for reproducibility.

    Attributes:
        weights: the linear weights w (n_features,), for linear agents.
    """

    _hyperparameter_names = ("gamma", "learning_rate", "seed", "policy", "features", "network")

    def __init__(
        self,
        env: gym.Env | str,
        policy: PolicyLike | None = None,
        *,
        gamma: float = 1.0,
        learning_rate: float = 0.01,
        seed: int | None = None,
        features: Features | None = None,
        network: Any = None,
    ) -> None:
        super().__init__(env, gamma, learning_rate, seed, features, network)
        self.policy = policy
        policy_seed = int(self._rng.integers(2**63))
        self._act: Callable[[Any, Any], int]
        if policy is None:  # pi(a|s) = 1/|A(s)| (valid_actions or the step's info action_mask)
            self._act = RandomPolicy(self.env, seed=policy_seed).sample
        else:
            act = action_function(policy, self.env, seed=policy_seed)
            self._act = lambda observation, _: act(observation)

    @property
    def weights(self) -> np.ndarray:
        """A copy of the linear weights w, shape (n_features,): v̂(s) = wᵀx(s)."""
        return super().weights[0]

    def values(self, observation: Any) -> np.ndarray:
        """v̂(s) for one observation (a 0-d array) or an array (batch,) for a batch."""
        values, batch = self._batch_values(observation)
        return values[:, 0] if batch else np.asarray(values[0])

    def _run(self, max_steps: int) -> tuple[int, bool]:
        step, act, phi, approximator = self.env.step, self._act, self._phi, self._approximator
        gamma, alpha, t0 = self.gamma, self.learning_rate, self.num_timesteps
        obs: Any = self._obs
        info: Any = self._info
        ret: float = self._episode_return
        x = phi(obs)
        ended, i = False, 0
        while i < max_steps:
            obs, r, terminated, truncated, info = step(act(obs, info))
            i += 1
            ret += r
            x2 = phi(obs)
            # discount_t = 0 at a terminal S_{t+1}, whose value is not computed
            discount, v2 = (0.0, 0.0) if terminated else (gamma, float(approximator.values(x2)[0]))
            self._check(approximator.value_and_update(x, 0, r, discount, v2, alpha), t0 + i)
            if terminated or truncated:
                ended = True
                break
            x = x2
        self._end_run(obs, info, ret, i)
        return i, ended

    def predict(self, observation: Any, deterministic: bool = True, **_: Any) -> tuple[Any, None]:
        """The action of the evaluated policy (a prediction agent does not choose actions)."""
        if not check_observation(self.env.observation_space, observation):
            return self._act(observation, {}), None
        return np.asarray([self._act(o, {}) for o in observation], dtype=np.int64), None


class SemiGradientSarsa(_SemiGradient):
    """Episodic semi-gradient Sarsa (Sutton & Barto §10.1, eq. 10.1; eq. 7.25 for q̂).

    θ ← θ + α [R_{t+1} + γ q̂(S_{t+1}, A_{t+1}; θ) − q̂(S_t, A_t; θ)] ∇_θ q̂(S_t, A_t; θ), with
    A_{t+1} drawn ε-greedily from q̂(S_{t+1}, ·; θ) before the update; the target is R_{t+1}
    alone when S_{t+1} is terminal (a truncated episode bootstraps). Exploration is the
    ε-greedy rule of labcoat.agents.tabular (S&B convention: a uniform action with
    probability ε, else greedy, ties broken at random).

    Args:
        env: a Gymnasium env (or id) with a Discrete action space.
        gamma: discount factor in [0, 1].
        learning_rate: step size α > 0 (S&B use α = 0.1 / n_tilings with tile coding).
        epsilon: exploration probability in [0, 1] or a callable time step -> ε.
        seed: seed of the agent's random numbers and of the env's first reset.
        features: a feature map x(s) (labcoat.agents.features); default one-hot for Discrete
            observations. Input of the network when both are given.
        network: a ``torch.nn.Module`` (batch, n_inputs) -> (batch, n_actions) for q̂ instead
            of the linear w_aᵀx(s); trained in place. Seed its initial weights for
            reproducibility (e.g. labcoat.models.mlp.MLP(..., seed=0)).

    Attributes:
        weights: the linear weights w (n_actions, n_features), for linear agents.
    """

    _hyperparameter_names = ("gamma", "learning_rate", "epsilon", "seed", "features", "network")

    def __init__(
        self,
        env: gym.Env | str,
        *,
        gamma: float = 1.0,
        learning_rate: float = 0.01,
        epsilon: float | Callable[[int], float] = 0.1,
        seed: int | None = None,
        features: Features | None = None,
        network: Any = None,
    ) -> None:
        super().__init__(env, gamma, learning_rate, seed, features, network)
        self.epsilon = check_schedule("epsilon", epsilon)
        self._action = 0
        self._x: Any = None

    def _output_count(self) -> int:
        return self.n_actions

    def q_values(self, observation: Any) -> np.ndarray:
        """q̂(s, ·): shape (n_actions,) for one observation, (batch, n_actions) for a batch."""
        return self._batch_values(observation)[0]

    def _current_epsilon(self, step: int) -> float:
        epsilon = self.epsilon
        return epsilon(step) if callable(epsilon) else epsilon

    def _choose(self, q: Any, obs: Any, info: Any, epsilon: float) -> int:
        """ε-greedy on q̂(s, ·) over the allowed actions (masked ones get −inf)."""
        state = int(obs) - self._state_start if self.valid_actions is not None else 0
        allowed = self._allowed_actions(state, info)
        row = q if isinstance(q, list) else q.tolist()
        if len(allowed) < self.n_actions:
            row = [v if a in allowed else -INF for a, v in enumerate(row)]
        return epsilon_greedy_action(row, allowed, epsilon, self._draw)

    def _start_episode(self) -> None:
        self._x = self._phi(self._obs)
        q = self._approximator.values(self._x)
        self._action = self._choose(
            q, self._obs, self._info, self._current_epsilon(self.num_timesteps)
        )

    def _run(self, max_steps: int) -> tuple[int, bool]:
        step, phi, approximator, choose = (
            self.env.step,
            self._phi,
            self._approximator,
            self._choose,
        )
        gamma, alpha, t0, a_start = (
            self.gamma,
            self.learning_rate,
            self.num_timesteps,
            self._action_start,
        )
        x, a = self._x, self._action
        ret: float = self._episode_return
        obs: Any = self._obs
        info: Any = self._info
        ended, i = False, 0
        while i < max_steps:
            obs, r, terminated, truncated, info = step(a + a_start)
            i += 1
            ret += r
            x2 = phi(obs)
            if terminated:
                discount, q2_a2, a2 = 0.0, 0.0, -1  # discount_t = 0
            else:  # eq. 10.1: A_{t+1} chosen before the update
                q2 = approximator.values(x2)
                a2 = choose(q2, obs, info, self._current_epsilon(t0 + i))
                discount, q2_a2 = gamma, float(q2[a2])
            self._check(approximator.value_and_update(x, a, r, discount, q2_a2, alpha), t0 + i)
            if terminated or truncated:
                ended = True
                break
            x, a = x2, a2
        self._x, self._action = x, a
        self._end_run(obs, info, ret, i)
        return i, ended

    def predict(self, observation: Any, deterministic: bool = True, **_: Any) -> tuple[Any, None]:
        """The greedy action argmax_a q̂(s, a) (deterministic) or an ε-greedy sample.

        Accepts one observation (returns an int) or a batch (returns an int array), as
        Stable-Baselines3's ``predict``; deterministic ties go to the lowest action, and the
        env's unavailable actions (``valid_actions``) are never returned.
        """
        q, batch = self._batch_values(observation)
        epsilon = 0.0 if deterministic else self._current_epsilon(self.num_timesteps)
        rows = q if batch else q[None]
        if self.valid_actions is not None:  # unavailable actions are never chosen
            states = np.asarray(observation, dtype=np.int64).reshape(-1) - self._state_start
            rows = np.where(self.valid_actions[states], rows, -INF)
        return self._actions_of_q(rows, batch, deterministic, epsilon), None
