"""Policy gradients: REINFORCE with a learned baseline and the one-step actor-critic.

Instead of learning values and acting greedily on them (§7.4 of the notes), a parametrized
policy pi(a|s; theta) (labcoat.agents.parametric_policies) climbs the gradient of the expected
return J(theta) = sum_s mu_0(s) v_pi(s) (the other half of modern RL; see footnote 30 and
Sutton & Barto ch. 13). The policy-gradient theorem (S&B eq. 13.5,
:func:`~labcoat.agents.rules.policy_gradient_theorem`) turns grad J into an expectation over
the policy's own episodes, which both agents sample:

- :class:`Reinforce`: after each episode, theta += alpha sum_t gamma^t (G_t - b(S_t))
  grad log pi(A_t|S_t) with b = v(S_t; w) a learned linear baseline (S&B §13.4, eq. 13.11);
- :class:`ActorCritic`: after each step, theta += alpha I delta_t grad log pi(A_t|S_t) with the
  critic's TD error delta_t (eq. 7.21) in place of G_t - b(S_t), I = gamma^t (S&B §13.5).

On a finite MDP :func:`policy_objective` and :func:`exact_policy_gradient` give J and grad J
exactly from the model's ``P`` (a linear solve), the references of the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypedDict, Unpack

import gymnasium as gym
import numpy as np

from labcoat.agents._base import Agent, stored_array
from labcoat.agents._observations import check_observation
from labcoat.agents._settings import resolve
from labcoat.agents.features import Features, OneHot
from labcoat.agents.parametric_policies import ParametricPolicy, default_policy
from labcoat.agents.planning import (
    TabularModel,
    _policy_dynamics,
    _policy_matrix,
    policy_evaluation,
)
from labcoat.agents.rules import (
    actor_critic_step,
    discounted_returns,
    policy_gradient_theorem,
    reinforce_weights,
    semi_gradient_increment,
    td_error,
)
from labcoat.classic._checks import check_bool, check_float, check_int

__all__ = [
    "ActorCritic",
    "PolicyGradientSettings",
    "Reinforce",
    "ReinforceSettings",
    "discounted_visits",
    "exact_policy_gradient",
    "policy_objective",
]


# ---------------------------------------------------------------------- exact references


def _start(model: TabularModel, initial_distribution: Any) -> np.ndarray:
    mu0 = model.initial_distribution if initial_distribution is None else initial_distribution
    if mu0 is None:
        raise ValueError("the model has no initial distribution: pass initial_distribution=")
    mu0 = np.asarray(mu0, dtype=float)
    if mu0.shape != (model.n_states,) or np.any(mu0 < 0) or not np.isclose(mu0.sum(), 1.0):
        raise ValueError(f"initial_distribution must be {model.n_states} probabilities")
    return mu0


def policy_objective(
    model: TabularModel, pi: Any, gamma: float, initial_distribution: Any = None
) -> float:
    """J(pi) = sum_s mu_0(s) v_pi(s) (S&B eq. 13.4), v_pi by an exact solve of eq. 7.7.

    Args:
        model: the MDP.
        pi: the policy, a matrix pi(a|s) (n_states, n_actions) or an int array.
        gamma: discount factor in [0, 1].
        initial_distribution: mu_0 (default: the model's).
    """
    mu0 = _start(model, initial_distribution)
    return float(mu0 @ policy_evaluation(model, pi, gamma))


def discounted_visits(
    model: TabularModel, pi: Any, gamma: float, initial_distribution: Any = None
) -> np.ndarray:
    """eta(s) = sum_t gamma^t Pr(S_t = s): the solution of eta = mu_0 + gamma P_pi^T eta.

    Terminal states get 0 (the episode has ended there); with gamma = 1 this is the expected
    number of visits per episode (S&B eq. 9.2).
    """
    mu0 = _start(model, initial_distribution)
    pi = _policy_matrix(model, np.asarray(pi))
    _, P_pi = _policy_dynamics(model, pi)
    P = P_pi.toarray() if hasattr(P_pi, "toarray") else np.asarray(P_pi)
    eta = np.linalg.solve(np.eye(model.n_states) - gamma * P.T, mu0 * ~model.terminal)
    return np.where(model.terminal, 0.0, eta)


def exact_policy_gradient(
    model: TabularModel, policy: Any, gamma: float, initial_distribution: Any = None
) -> np.ndarray:
    """grad_theta J of a policy with ``probabilities()`` and ``grad_log_prob`` (S&B eq. 13.5).

    The policy-gradient theorem with everything exact: q_pi(s, a) = r(s, a) + gamma sum_s'
    p(s'|s, a) v_pi(s') from an exact solve, eta from :func:`discounted_visits`, and
    grad log pi(a|s) from the policy, for every state and action.
    """
    pi = np.asarray(policy.probabilities(), dtype=float)
    v = policy_evaluation(model, pi, gamma)
    q = model.R + gamma * model.expected_next_value(v)
    eta = discounted_visits(model, pi, gamma, initial_distribution)
    n_states, n_actions = pi.shape
    states = np.repeat(np.arange(n_states), n_actions)
    actions = np.tile(np.arange(n_actions), n_states)
    grads = np.stack(
        [
            policy.grad_log_prob([s], [a], [1.0]) if pi[s, a] > 0 else np.zeros(policy.n_parameters)
            for s, a in zip(states, actions, strict=True)
        ]
    )
    return policy_gradient_theorem(eta, pi, q, grads.reshape(n_states, n_actions, -1))


# ---------------------------------------------------------------------- the agents


class PolicyGradientSettings(TypedDict, total=False):
    """The keyword arguments shared by :class:`Reinforce` and :class:`ActorCritic`.

    Attributes:
        gamma: discount factor in [0, 1]. Default ``0.99``.
        learning_rate: alpha > 0 of the policy (the actor). Default ``0.01``.
        critic_learning_rate: alpha_w >= 0 of the baseline (Reinforce) or the critic
            (ActorCritic). Default ``0.01`` for Reinforce, ``0.1`` for ActorCritic.
        seed: an int >= 0 or None; seeds the agent's random numbers and the env's first reset.
            Default ``None``.
        critic_features: the baseline's or critic's feature map x(s); None is one-hot for
            Discrete observations (required for others). Default ``None``.
    """

    gamma: float
    learning_rate: float
    critic_learning_rate: float
    seed: int | None
    critic_features: Features | None


class ReinforceSettings(PolicyGradientSettings, total=False):
    """Reinforce's keywords: those of :class:`PolicyGradientSettings` and the following.

    Attributes:
        baseline: whether to learn and subtract the baseline (a bool). Default ``True``.
    """

    baseline: bool


_DEFAULTS: dict[str, Any] = {
    "gamma": 0.99,
    "learning_rate": 0.01,
    "critic_learning_rate": 0.01,
    "seed": None,
    "critic_features": None,
}


class _PolicyGradient(Agent):
    """Shared: the policy, the linear critic v(s; w) = w^T x(s), actions, saving theta and w."""

    discrete_observations = False
    num_timesteps: int
    episode_returns: list[float]
    episode_lengths: list[int]
    _obs: Any
    _info: dict[str, Any]
    _episode_return: float
    _array_names = ("_saved_parameters",)
    _hyperparameter_names: ClassVar[tuple[str, ...]] = (
        "gamma",
        "learning_rate",
        "critic_learning_rate",
        "seed",
        "policy",
        "critic_features",
    )

    _settings: ClassVar[Any] = PolicyGradientSettings
    _defaults: ClassVar[dict[str, Any]] = _DEFAULTS

    def __init__(self, env: gym.Env | str, policy: Any, settings: Mapping[str, Any]) -> None:
        kw = resolve(type(self).__name__, settings, self._settings, self._defaults)
        self._own_settings(kw)
        super().__init__(env, gamma=kw["gamma"], seed=kw["seed"])
        self.learning_rate = check_float("learning_rate", kw["learning_rate"], 0.0, low_open=True)
        self.critic_learning_rate = check_float(
            "critic_learning_rate", kw["critic_learning_rate"], 0.0
        )
        self.policy = policy
        self.critic_features = critic_features = kw["critic_features"]
        self.pi: ParametricPolicy = default_policy(self.env, policy)
        space = self.env.observation_space
        if critic_features is None and isinstance(space, gym.spaces.Discrete):
            critic_features = OneHot(space)
        if critic_features is None and self._needs_critic():
            raise ValueError(
                f"{type(self).__name__} needs critic_features= (a feature map x(s), e.g. "
                f"Polynomial(env.observation_space, 2)) for the observation space {space}"
            )
        self._x = critic_features
        self.w = np.zeros(0 if critic_features is None else int(critic_features.n_features))
        self._frozen: list[np.ndarray] | None = None

    def _own_settings(self, kw: Mapping[str, Any]) -> None:
        """Check and keep a subclass's own keywords (before any work)."""

    def _needs_critic(self) -> bool:
        return True

    def _check_spaces(self) -> None:
        """Discrete actions as in every agent, or a Box (continuous actions, clipped to it)."""
        space = self.env.action_space
        if not isinstance(space, gym.spaces.Box):
            super()._check_spaces()
            return
        self.n_actions, self._action_start, self.valid_actions = 0, 0, None
        self._box = space

    def _env_action(self, a: Any) -> Any:
        if self.n_actions:
            return int(a) + self._action_start
        return np.clip(a, self._box.low, self._box.high).astype(self._box.dtype)

    def _v(self, observation: Any) -> float:
        """The critic's v(s; w) = w^T x(s) (0 without a critic)."""
        return 0.0 if self._x is None else float(self.w @ self._x(observation))

    def _apply(self, gradient: np.ndarray, alpha: float) -> None:
        """Step theta += alpha * gradient, or (``estimate_gradient``) keep the gradient."""
        if self._frozen is not None:
            self._frozen[-1] += gradient
            return
        theta = self.pi.parameters + alpha * gradient
        if not np.isfinite(theta).all():
            raise self._diverged(self.num_timesteps, "the policy parameters")
        self.pi.parameters = theta

    def _critic_step(self, x: np.ndarray, delta: Any) -> None:
        if self._frozen is None and self._x is not None:
            self.w = self.w + semi_gradient_increment(self.critic_learning_rate, delta, x)

    def _run(self, max_steps: int) -> tuple[int, bool]:
        """Sample A_t ~ pi(.|S_t), step, and hand (S_t, A_t, R_{t+1}, S_{t+1}) to ``_observe``."""
        step, sample, rng, observe = self.env.step, self.pi.sample, self._rng, self._observe
        obs: Any = self._obs
        ret: float = self._episode_return
        terminated = truncated = False
        i = 0
        while i < max_steps:
            i += 1
            a = sample(obs, rng)
            next_obs, r, terminated, truncated, self._info = step(self._env_action(a))
            ret += float(r)
            observe(obs, a, float(r), next_obs, terminated)
            obs = next_obs
            if terminated or truncated:
                self._end_episode(obs, terminated)
                break
        self._check_critic(i)
        self._obs, self._episode_return = obs, ret
        self._episode_length += i
        return i, bool(terminated or truncated)

    def _observe(self, obs: Any, a: Any, r: float, next_obs: Any, terminated: bool) -> None:
        """One step's learning (ActorCritic) or bookkeeping (Reinforce)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def _end_episode(self, last_obs: Any, terminated: bool) -> None:
        """The update at the end of an episode (Reinforce); nothing by default."""

    def _check_critic(self, steps: int) -> None:
        """Refuse non-finite critic weights after ``steps`` steps (ActorCritic)."""

    def estimate_gradient(self, n_episodes: int) -> np.ndarray:
        """Per-episode estimates of grad J at the current theta and w, which stay unchanged.

        Runs ``n_episodes`` episodes with the agent's estimator (the sums that ``learn`` would
        add to theta, divided by the learning rate); their mean estimates grad J, their
        spread gives its standard error. The episodes do not count as training.

        Returns:
            Array (n_episodes, n_parameters).
        """
        n_episodes = check_int("n_episodes", n_episodes, 1)
        steps = self.num_timesteps
        returns, lengths = list(self.episode_returns), list(self.episode_lengths)
        self._frozen = []
        try:
            for _ in range(n_episodes):
                self._frozen.append(np.zeros(self.pi.n_parameters))
                self._reset()
                while not self._run(1 << 30)[1]:
                    pass
            return np.array(self._frozen)
        finally:
            self._frozen, self._obs = None, None
            self.num_timesteps = steps
            self.episode_returns, self.episode_lengths = returns, lengths

    def predict(self, observation: Any, deterministic: bool = True, **_: Any) -> tuple[Any, None]:
        """The policy's most probable action (deterministic) or a sample, as the env takes it."""
        if check_observation(self.env.observation_space, observation):
            actions = [self.predict(o, deterministic)[0] for o in observation]
            return np.asarray(actions), None
        a = self.pi.mode(observation) if deterministic else self.pi.sample(observation, self._rng)
        return self._env_action(a), None

    @property
    def _saved_parameters(self) -> np.ndarray:
        return np.concatenate([self.pi.parameters, self.w])

    def _set_array(self, name: str, value: np.ndarray) -> None:
        n = self.pi.n_parameters
        shape = (n + self.w.size,)
        value = stored_array("the parameters", value, shape, "f")
        self.pi.parameters, self.w = value[:n], value[n:].copy()


class Reinforce(_PolicyGradient):
    """REINFORCE with a learned state-value baseline (Sutton & Barto §13.4, eqs. 13.8-13.11).

    After each episode S_0, A_0, R_1, ..., S_T of pi(.|.; theta):

        theta <- theta + alpha sum_t gamma^t (G_t - v(S_t; w)) grad log pi(A_t|S_t; theta),
        w     <- w + alpha_w sum_t (G_t - v(S_t; w)) x(S_t),

    with G_t the return of eq. 7.3 (:func:`~labcoat.agents.rules.reinforce_weights`); the
    baseline v(s; w) = w^T x(s) is learned by gradient Monte Carlo and changes the estimator's
    variance, not its expectation grad J. An episode cut by a time limit bootstraps
    G_T = v(S_T; w). ``baseline=False`` is plain REINFORCE (eq. 13.8).

    Args:
        env: a Gymnasium env (or id) with Discrete or Box actions.
        policy: a parametrized policy (labcoat.agents.parametric_policies), a torch module
            (wrapped in a NeuralPolicy), or None for the env's default (tabular softmax, or
            linear-Gaussian on the raw observation for Box actions).
        **settings: gamma, learning_rate, critic_learning_rate (alpha_w of the baseline),
            baseline, seed, critic_features: the keywords of :class:`ReinforceSettings`.

    Attributes:
        pi: the policy object; ``pi.parameters`` is theta.
        w: the baseline's weights.
    """

    _hyperparameter_names = (*_PolicyGradient._hyperparameter_names, "baseline")
    _settings = ReinforceSettings
    _defaults = {**_DEFAULTS, "baseline": True}
    baseline: bool

    def __init__(
        self, env: gym.Env | str, policy: Any = None, **settings: Unpack[ReinforceSettings]
    ) -> None:
        super().__init__(env, policy, settings)
        if not self.baseline:
            self._x, self.w = None, np.zeros(0)
        self._episode: list[tuple[Any, Any, float]] = []

    def _own_settings(self, kw: Mapping[str, Any]) -> None:
        self.baseline = check_bool("baseline", kw["baseline"])

    def _needs_critic(self) -> bool:
        return self.baseline

    def _start_episode(self) -> None:
        self._episode = []

    def _observe(self, obs: Any, a: Any, r: float, next_obs: Any, terminated: bool) -> None:
        self._episode.append((obs, a, r))

    def _end_episode(self, last_obs: Any, terminated: bool) -> None:
        """The episode's update: theta and w from its returns (S&B eq. 13.11)."""
        observations, actions, rewards = zip(*self._episode, strict=True)
        b = np.array([self._v(o) for o in observations])
        g = discounted_returns(rewards, self.gamma, 0.0 if terminated else self._v(last_obs))
        advantages = g - b
        weights = reinforce_weights(advantages, self.gamma)
        self._apply(
            self.pi.grad_log_prob(list(observations), list(actions), weights), self.learning_rate
        )
        if self._x is not None:
            x = np.asarray(self._x(np.asarray(observations)), dtype=float).reshape(len(b), -1)
            self._critic_step(advantages @ x, 1.0)


class ActorCritic(_PolicyGradient):
    """One-step actor-critic (Sutton & Barto §13.5), the A2C-style update after every step.

    With the critic's TD error delta_t = R_{t+1} + gamma v(S_{t+1}; w) - v(S_t; w) (eq. 7.21;
    v(S_{t+1}) = 0 at termination, a truncation bootstraps):

        w     <- w + alpha_w delta_t x(S_t)                      (semi-gradient TD(0), eq. 7.25)
        theta <- theta + alpha I delta_t grad log pi(A_t|S_t),   I = gamma^t.

    delta_t replaces G_t - v(S_t) of :class:`Reinforce`: E[delta_t | S_t, A_t] = q(S_t, A_t) -
    v(S_t; w), so the expected actor step is grad J exactly when the critic is v_pi (tested)
    and biased by sum_t gamma^t E[(gamma v_err(S_{t+1}) - v_err(S_t)) grad log pi] otherwise,
    with v_err = v(.; w) - v_pi.

    Args:
        env: a Gymnasium env (or id) with Discrete or Box actions.
        policy: as :class:`Reinforce`.
        **settings: gamma, learning_rate (of the actor), critic_learning_rate (alpha_w of the
            critic), seed, critic_features: the keywords of :class:`PolicyGradientSettings`.

    Attributes:
        pi: the policy object; ``pi.parameters`` is theta.
        w: the critic's weights.
    """

    _defaults = {**_DEFAULTS, "critic_learning_rate": 0.1}

    def __init__(
        self, env: gym.Env | str, policy: Any = None, **settings: Unpack[PolicyGradientSettings]
    ) -> None:
        super().__init__(env, policy, settings)
        self._discounting = 1.0

    def _start_episode(self) -> None:
        self._discounting = 1.0

    def _observe(self, obs: Any, a: Any, r: float, next_obs: Any, terminated: bool) -> None:
        assert self._x is not None
        x = np.asarray(self._x(obs), dtype=float)
        v_t = 0.0 if terminated else self._v(next_obs)
        delta = td_error(float(self.w @ x), r, self.gamma * (not terminated), v_t)
        gradient = self.pi.grad_log_prob([obs], [a], [1.0])
        self._apply(actor_critic_step(1.0, self._discounting, delta, gradient), self.learning_rate)
        self._critic_step(x, delta)
        self._discounting *= self.gamma

    def _check_critic(self, steps: int) -> None:
        if not np.isfinite(self.w).all():
            raise self._diverged(self.num_timesteps + steps, "the critic's weights")
