"""Parametrized policies pi(a|s; theta) for policy gradients and direct policy search.

Three kinds share one surface, so that REINFORCE, the actor-critic and the direct searches
(labcoat.agents.policy_gradient, labcoat.agents.policy_search) treat them alike:

- :class:`SoftmaxPolicy`: tabular preferences theta[s, a], pi(a|s) = softmax_a theta[s, a]
  (Sutton & Barto eq. 13.2), for Discrete observations and actions;
- :class:`LinearGaussianPolicy`: a ~ N(W x(s), sigma^2) with a learned or fixed log sigma
  (S&B eq. 13.19), for Box actions; x(s) is a feature map or the raw observation;
- :class:`NeuralPolicy`: any ``torch.nn.Module`` (e.g. labcoat.models.mlp.MLP) giving the
  logits of a categorical policy (Discrete actions) or the mean of a Gaussian one (Box).

Each holds its parameters as one flat vector theta (``parameters``, read as a copy, assigned
as a whole) and gives ``sample``, ``mode`` (the most probable action), ``log_prob`` and
``grad_log_prob(observations, actions, weights) = sum_i w_i grad_theta log pi(a_i|s_i)``, the
weighted eligibility sum every policy-gradient estimator is made of (the numpy policies use the
closed forms of labcoat.agents.rules, the network torch.autograd). Actions are indices 0..n-1
for Discrete spaces and unclipped float vectors for Box spaces (the agents clip to the box).
"""

from __future__ import annotations

from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from labcoat.agents._observations import state_indices
from labcoat.agents.features import Features
from labcoat.agents.rules import (
    categorical_sample,
    gaussian_log_density,
    gaussian_log_gradient,
    softmax_log_gradient,
    softmax_policy,
)
from labcoat.classic._checks import check_bool, check_float, check_int

__all__ = [
    "LinearGaussianPolicy",
    "NeuralPolicy",
    "ParametricPolicy",
    "SoftmaxPolicy",
    "default_policy",
]


class ParametricPolicy(Protocol):
    """What the policy-gradient agents and direct searches need of a policy pi(a|s; theta)."""

    n_parameters: int
    parameters: np.ndarray

    def sample(self, observation: Any, rng: np.random.Generator) -> Any:
        """One action A ~ pi(.|s; theta)."""
        ...

    def mode(self, observation: Any) -> Any:
        """The most probable action of pi(.|s; theta)."""
        ...

    def log_prob(self, observations: Any, actions: Any) -> np.ndarray:
        """The log-probabilities log pi(a_i|s_i; theta) of a batch, shape (batch,)."""
        ...

    def grad_log_prob(self, observations: Any, actions: Any, weights: Any) -> np.ndarray:
        """sum_i w_i grad_theta log pi(a_i|s_i; theta), shape (n_parameters,)."""
        ...


class _Policy:
    """Shared: the flat parameter vector (checked on assignment) and ``predict``."""

    n_parameters: int

    def _get(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _put(self, theta: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def parameters(self) -> np.ndarray:
        """The parameters theta as one flat vector (a copy); assign a vector of that length."""
        return np.array(self._get(), dtype=float)

    @parameters.setter
    def parameters(self, theta: Any) -> None:
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.n_parameters,) or not np.isfinite(theta).all():
            raise ValueError(
                f"parameters must be {self.n_parameters} finite numbers, got shape {theta.shape}"
            )
        self._put(theta)

    def mode(self, observation: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict(self, observation: Any, deterministic: bool = True) -> tuple[Any, None]:
        """The most probable action (SB3's protocol; sampling needs a generator: ``sample``)."""
        return self.mode(observation), None

    def _weights(self, weights: Any, n: int) -> np.ndarray:
        w = np.asarray(weights, dtype=float).reshape(-1)
        if w.shape != (n,):
            raise ValueError(f"weights must hold one number per action ({n}), got {w.shape}")
        return w


class SoftmaxPolicy(_Policy):
    """Tabular softmax in action preferences: pi(a|s) = exp(theta[s, a]) / sum_b exp(theta[s, b]).

    S&B eq. 13.2; grad_theta log pi(a|s) is e_a - pi(.|s) in row s and zero elsewhere (S&B eq.
    13.9, :func:`~labcoat.agents.rules.softmax_log_gradient`). Unavailable actions get
    probability 0 (their preference is ignored).

    Args:
        n_states: number of states (observations 0..n_states - 1), >= 1.
        n_actions: number of actions, >= 1.
        valid_actions: optional boolean mask (n_states, n_actions) of the available actions.
        theta: initial preferences (n_states, n_actions); default zeros (uniform policy).
    """

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        *,
        valid_actions: Any = None,
        theta: Any = None,
    ) -> None:
        self.n_states = check_int("n_states", n_states, 1)
        self.n_actions = check_int("n_actions", n_actions, 1)
        shape = (self.n_states, self.n_actions)
        self.valid_actions = np.ones(shape, bool)
        if valid_actions is not None:
            mask = np.asarray(valid_actions, dtype=bool)
            if mask.shape != shape or not mask.any(axis=1).all():
                raise ValueError(f"valid_actions must be a {shape} mask with an action per state")
            self.valid_actions = mask
        self.n_parameters = self.n_states * self.n_actions
        self._theta = np.zeros(shape)
        if theta is not None:
            self.parameters = np.asarray(theta, dtype=float).reshape(-1)

    def _get(self) -> np.ndarray:
        return self._theta.reshape(-1)

    def _put(self, theta: np.ndarray) -> None:
        self._theta = theta.reshape(self.n_states, self.n_actions).copy()

    def probabilities(self, observations: Any = None) -> np.ndarray:
        """pi(.|s): shape (n_actions,), (batch, n_actions), or all states (n_states, n_actions)."""
        h = np.where(self.valid_actions, self._theta, -np.inf)
        if observations is None:
            return softmax_policy(h)
        return softmax_policy(h[state_indices(observations, self.n_states)])

    def sample(self, observation: Any, rng: np.random.Generator) -> int:
        """A ~ pi(.|s) by inverse-CDF sampling (labcoat.agents.rules.categorical_sample)."""
        cumulative = np.cumsum(self.probabilities(observation)).tolist()
        return int(categorical_sample(cumulative, float(rng.random()) * cumulative[-1]))

    def mode(self, observation: Any) -> Any:
        """argmax_a pi(a|s) (ties to the lowest action)."""
        return np.argmax(self.probabilities(observation), axis=-1)

    def log_prob(self, observations: Any, actions: Any) -> np.ndarray:
        """The log-probabilities log pi(a_i|s_i), shape (batch,)."""
        pi = self.probabilities(np.asarray(observations).reshape(-1))
        a = np.asarray(actions, dtype=np.int64).reshape(-1)
        with np.errstate(divide="ignore"):
            return np.log(pi[np.arange(len(a)), a])

    def grad_log_prob(self, observations: Any, actions: Any, weights: Any) -> np.ndarray:
        """sum_i w_i (e_{a_i} - pi(.|s_i)) placed in row s_i (S&B eq. 13.9)."""
        s = state_indices(np.asarray(observations).reshape(-1), self.n_states)
        w = self._weights(weights, len(s))
        eligibility = softmax_log_gradient(self.probabilities(s), np.asarray(actions).reshape(-1))
        gradient = np.zeros_like(self._theta)
        np.add.at(gradient, s, w[:, None] * eligibility)
        return gradient.reshape(-1)


def _as_features(observations: Any, features: Features | None, n_inputs: int) -> np.ndarray:
    """x(s) rows (batch, n_inputs): the feature map's, or the flattened observations."""
    if features is not None:
        x = np.asarray(features(observations), dtype=float)
    else:
        x = np.asarray(observations, dtype=float)
    x = x.reshape(-1, n_inputs)
    return x


class LinearGaussianPolicy(_Policy):
    """A Gaussian policy with a linear mean: a ~ N(W x(s), diag sigma^2) (S&B eq. 13.19).

    grad_W log pi = ((a - mu) / sigma^2) x(s)^T and d log pi / d log sigma = (a - mu)^2 /
    sigma^2 - 1 (S&B eq. 13.20, :func:`~labcoat.agents.rules.gaussian_log_gradient`). theta
    is W flattened (row per action dimension), followed by log sigma when ``learn_std``.

    Args:
        n_inputs: length of x(s) (the feature map's ``n_features``, or the observation's size).
        action_dim: dimension m of the action, >= 1.
        features: optional feature map x(s); default the flattened observation.
        log_std: initial log sigma (one number for every dimension), finite.
        learn_std: whether log sigma is a parameter (else it stays fixed).
        weights: initial W (action_dim, n_inputs); default zeros.
    """

    def __init__(
        self,
        n_inputs: int,
        action_dim: int = 1,
        *,
        features: Features | None = None,
        log_std: float = 0.0,
        learn_std: bool = True,
        weights: Any = None,
    ) -> None:
        self.n_inputs = check_int("n_inputs", n_inputs, 1)
        self.action_dim = check_int("action_dim", action_dim, 1)
        self.learn_std = check_bool("learn_std", learn_std)
        self.features = features
        if features is not None and getattr(features, "n_features", n_inputs) != n_inputs:
            raise ValueError(f"n_inputs ({n_inputs}) must equal features.n_features")
        self.W = np.zeros((self.action_dim, self.n_inputs))
        self.log_std = np.full(self.action_dim, check_float("log_std", log_std, -20.0, 5.0))
        self.n_parameters = self.W.size + (self.action_dim if self.learn_std else 0)
        if weights is not None:
            w = np.asarray(weights, dtype=float)
            if w.shape != self.W.shape or not np.isfinite(w).all():
                raise ValueError(f"weights must be a finite {self.W.shape} array, got {w.shape}")
            self.W = w.copy()

    def _get(self) -> np.ndarray:
        return np.concatenate([self.W.reshape(-1), self.log_std if self.learn_std else []])

    def _put(self, theta: np.ndarray) -> None:
        self.W = theta[: self.W.size].reshape(self.W.shape).copy()
        if self.learn_std:
            self.log_std = theta[self.W.size :].copy()

    def mean(self, observations: Any) -> np.ndarray:
        """mu(s) = W x(s), shape (batch, action_dim)."""
        return _as_features(observations, self.features, self.n_inputs) @ self.W.T

    def sample(self, observation: Any, rng: np.random.Generator) -> np.ndarray:
        """One action a = mu(s) + sigma z, z ~ N(0, I)."""
        noise = rng.standard_normal(self.action_dim)
        return np.asarray(self.mean(observation)[0] + np.exp(self.log_std) * noise)

    def mode(self, observation: Any) -> np.ndarray:
        """The mean mu(s) (shape (action_dim,) for one observation)."""
        mu = self.mean(observation)
        return mu[0] if np.asarray(observation).size == self.n_inputs or mu.shape[0] == 1 else mu

    def log_prob(self, observations: Any, actions: Any) -> np.ndarray:
        """The log-densities log N(a_i; mu(s_i), sigma^2), shape (batch,)."""
        a = np.asarray(actions, dtype=float).reshape(-1, self.action_dim)
        return np.asarray(gaussian_log_density(a, self.mean(observations), self.log_std))

    def grad_log_prob(self, observations: Any, actions: Any, weights: Any) -> np.ndarray:
        """sum_i w_i [((a_i - mu_i) / sigma^2) x(s_i)^T, (a_i - mu_i)^2 / sigma^2 - 1]."""
        x = _as_features(observations, self.features, self.n_inputs)
        a = np.asarray(actions, dtype=float).reshape(-1, self.action_dim)
        w = self._weights(weights, len(a))
        d_mean, d_log_std = gaussian_log_gradient(a, x @ self.W.T, self.log_std)
        grad_w = (w[:, None] * d_mean).T @ x
        return np.concatenate([grad_w.reshape(-1), w @ d_log_std if self.learn_std else []])


class NeuralPolicy(_Policy):
    """A torch module as the policy: categorical logits or a Gaussian mean.

    For a Discrete action space the module maps x(s) (batch, n_inputs) to logits (batch,
    n_actions) and pi(a|s) = softmax(logits) (eq. 4.14); for a Box space it maps x(s) to the
    mean (batch, action_dim) of N(mu, sigma^2), with log sigma a parameter (``learn_std``) or
    fixed. grad log pi comes from torch.autograd. theta is the module's parameters (in
    ``parameters()`` order) followed by log sigma.

    Args:
        network: the ``torch.nn.Module`` (trained in place; seed its initial weights, e.g.
            ``MLP((n_inputs, 32, n_actions), seed=0)``).
        action_space: a Discrete or Box space (the env's).
        n_inputs: length of x(s).
        features: optional feature map x(s); default the flattened observation.
        log_std: initial log sigma of a Gaussian policy.
        learn_std: whether log sigma is learned.
    """

    def __init__(
        self,
        network: Any,
        action_space: gym.spaces.Space,
        n_inputs: int,
        *,
        features: Features | None = None,
        log_std: float = 0.0,
        learn_std: bool = True,
    ) -> None:
        import torch

        if not isinstance(network, torch.nn.Module):
            raise TypeError(f"network must be a torch.nn.Module, got {type(network).__name__}")
        self.torch, self.network, self.features = torch, network, features
        self.n_inputs = check_int("n_inputs", n_inputs, 1)
        self.discrete = isinstance(action_space, gym.spaces.Discrete)
        if not self.discrete and not isinstance(action_space, gym.spaces.Box):
            raise TypeError(f"action_space must be Discrete or Box, got {action_space}")
        shape = action_space.shape or ()
        n = action_space.n if self.discrete else np.prod(shape)  # type: ignore[attr-defined]
        self.n_outputs = int(n)
        self.learn_std = check_bool("learn_std", learn_std)
        dtype = next(network.parameters()).dtype
        log_std = check_float("log_std", log_std, -20.0, 5.0)
        self.log_std = torch.full((self.n_outputs,), log_std, dtype=dtype)
        self._params: list[Any] = list(network.parameters())
        if not self.discrete and self.learn_std:
            self.log_std.requires_grad_(True)
            self._params.append(self.log_std)
        with torch.no_grad():
            out = network(torch.zeros(1, self.n_inputs, dtype=dtype))
        if tuple(out.shape) != (1, self.n_outputs):
            raise ValueError(
                f"network maps a (1, {n_inputs}) input to {tuple(out.shape)}; it must give "
                f"(batch, {self.n_outputs})"
            )
        self.n_parameters = sum(p.numel() for p in self._params)
        self.dtype = dtype

    def _get(self) -> np.ndarray:
        vector = self.torch.nn.utils.parameters_to_vector(self._params)
        return vector.detach().double().numpy()

    def _put(self, theta: np.ndarray) -> None:
        with self.torch.no_grad():
            vector = self.torch.as_tensor(theta, dtype=self.dtype)
            self.torch.nn.utils.vector_to_parameters(vector, self._params)

    def _out(self, observations: Any) -> Any:
        x = _as_features(observations, self.features, self.n_inputs)
        return self.network(self.torch.as_tensor(x, dtype=self.dtype))

    def _log_prob(self, observations: Any, actions: Any) -> Any:
        out = self._out(observations)
        torch = self.torch
        if self.discrete:
            a = torch.as_tensor(np.asarray(actions, dtype=np.int64).reshape(-1))
            return torch.log_softmax(out, dim=-1).gather(1, a[:, None])[:, 0]
        a = torch.as_tensor(np.asarray(actions, dtype=float), dtype=self.dtype)
        z = (a.reshape(out.shape) - out) * torch.exp(-self.log_std)
        return -(0.5 * z**2 + self.log_std + 0.5 * np.log(2 * np.pi)).sum(dim=-1)

    def probabilities(self, observations: Any) -> np.ndarray:
        """pi(.|s) of a categorical policy, shape (batch, n_actions)."""
        if not self.discrete:
            raise TypeError("a Gaussian policy has a density, not probabilities: use log_prob")
        with self.torch.no_grad():
            return self.torch.softmax(self._out(observations), dim=-1).double().numpy()

    def sample(self, observation: Any, rng: np.random.Generator) -> Any:
        """A ~ pi(.|s) (inverse-CDF for categorical, mu + sigma z for Gaussian)."""
        if self.discrete:
            cumulative = np.cumsum(self.probabilities(observation)[0]).tolist()
            return int(categorical_sample(cumulative, float(rng.random()) * cumulative[-1]))
        std = np.exp(self.log_std.detach().double().numpy())
        return self.mode(observation) + std * rng.standard_normal(self.n_outputs)

    def mode(self, observation: Any) -> Any:
        """argmax_a pi(a|s) (categorical) or the mean (Gaussian), for one observation."""
        with self.torch.no_grad():
            out = self._out(observation)[0].double().numpy()
        return int(np.argmax(out)) if self.discrete else out

    def log_prob(self, observations: Any, actions: Any) -> np.ndarray:
        """The log-probabilities log pi(a_i|s_i), shape (batch,)."""
        with self.torch.no_grad():
            return self._log_prob(observations, actions).double().numpy()

    def grad_log_prob(self, observations: Any, actions: Any, weights: Any) -> np.ndarray:
        """grad_theta sum_i w_i log pi(a_i|s_i), by torch.autograd."""
        log_prob = self._log_prob(observations, actions)
        w = self.torch.as_tensor(self._weights(weights, log_prob.shape[0]), dtype=self.dtype)
        grads = self.torch.autograd.grad((w * log_prob).sum(), self._params, allow_unused=True)
        flat = [
            (g if g is not None else self.torch.zeros_like(p)).reshape(-1)
            for g, p in zip(grads, self._params, strict=True)
        ]
        return self.torch.cat(flat).double().numpy()


def default_policy(env: gym.Env, policy: Any = None, features: Features | None = None) -> Any:
    """The policy an agent uses: ``policy`` itself, a module wrapped, or one built for the env.

    None gives a :class:`SoftmaxPolicy` (Discrete observations and actions, with the env's
    ``valid_actions``) or a :class:`LinearGaussianPolicy` on x(s) (Box actions, log sigma
    learned from 0); a ``torch.nn.Module`` gives a :class:`NeuralPolicy` on x(s).
    """
    obs_space, action_space = env.observation_space, env.action_space
    n_inputs = features.n_features if features is not None else _flat_size(obs_space)
    if policy is None and isinstance(action_space, gym.spaces.Box):
        return LinearGaussianPolicy(n_inputs, int(np.prod(action_space.shape)), features=features)
    if policy is None:
        if not isinstance(obs_space, gym.spaces.Discrete):
            raise ValueError(
                "a tabular softmax policy needs a Discrete observation space: pass policy= "
                "(e.g. NeuralPolicy or a torch module) for " + str(obs_space)
            )
        valid = getattr(env.unwrapped, "valid_actions", None)
        return SoftmaxPolicy(int(obs_space.n), int(action_space.n), valid_actions=valid)  # type: ignore[attr-defined]
    if hasattr(policy, "grad_log_prob"):
        return policy
    return NeuralPolicy(policy, action_space, n_inputs, features=features)


def _flat_size(space: gym.spaces.Space) -> int:
    if isinstance(space, gym.spaces.Discrete):
        return 1
    if isinstance(space, gym.spaces.Box):
        return int(np.prod(space.shape))
    raise TypeError(f"observations of {space} need features= (a feature map x(s))")
