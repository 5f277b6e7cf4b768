"""Deep Q-learning (DQN) built from labcoat's parts: §7.5 of the notes with a neural q̂.

§7.5 replaces the table by a parametrized estimate and updates it by the semi-gradient of
eq. 7.25; with action values and Q-learning's target (eq. 7.24) this is deep Q-learning
(Mnih et al. 2015). Two devices make it stable, and both are here:

- a **replay buffer** (:class:`ReplayBuffer`): transitions (S_t, A_t, R_{t+1}, S_{t+1},
  terminated) are stored in a ring and the network learns from uniformly sampled minibatches;
- a **target network** θ⁻ that computes the bootstrap, copied from the online network every
  ``target_update_interval`` steps (``tau = 1``) or moved toward it by Polyak averaging
  θ⁻ ← τ θ + (1 − τ) θ⁻ (:func:`polyak_update`).

One gradient step minimizes the Huber loss of the TD error (:func:`td_loss`),
L(θ) = mean_i H(y_i − q̂(S_i, A_i; θ)), y_i = R_i + γ (1 − terminated_i) max_a q̂(S'_i, a; θ⁻),
held fixed (the *semi*-gradient of eq. 7.25); the target is labcoat.agents.rules'
:func:`~labcoat.agents.rules.q_learning_target`, or
:func:`~labcoat.agents.rules.double_q_learning_target` for Double DQN (van Hasselt et al. 2016),
and actions are ε-greedy by :func:`~labcoat.agents.rules.epsilon_greedy_action` with ε falling
linearly as in Stable-Baselines3. The loop, callbacks, logger and files are those of every
labcoat agent (labcoat.agents._base); the hyper-parameters and their defaults are
Stable-Baselines3's ``DQN``.
"""

from __future__ import annotations

import copy
import io
import math
from collections.abc import Callable
from typing import Any, NamedTuple, Self, TypedDict, Unpack

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from labcoat.agents._base import INF, Agent, LinearSchedule
from labcoat.agents._observations import check_observation
from labcoat.agents._settings import resolve
from labcoat.agents.features import OneHot
from labcoat.agents.rules import (
    double_q_learning_target,
    epsilon_greedy_action,
    q_learning_target,
)
from labcoat.classic._checks import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_probability,
)
from labcoat.models.mlp import MLP

__all__ = [
    "DQN",
    "DQN_DEFAULTS",
    "DQNSettings",
    "ReplayBatch",
    "ReplayBuffer",
    "TD_LOSSES",
    "td_loss",
    "polyak_update",
]


# ---------------------------------------------------------------------- replay


class ReplayBatch(NamedTuple):
    """Transitions i of a minibatch: x(S_t), A_t, R_{t+1}, x(S_{t+1}), terminated, A(S_{t+1}).

    ``next_allowed[i, a]`` is False for an action unavailable in S_{t+1} (masked in the target).
    """

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_observations: np.ndarray
    terminated: np.ndarray
    next_allowed: np.ndarray


class ReplayBuffer:
    """A ring buffer of the last ``capacity`` transitions, sampled uniformly with replacement.

    Transition k is stored at row k mod capacity, so once full the oldest is overwritten.
    ``sample`` draws row indices uniformly from the rows filled so far with the buffer's own
    numpy Generator (as Stable-Baselines3's ``ReplayBuffer``; only termination, not a
    time-limit truncation, is stored as the end of the bootstrap).

    Args:
        capacity: the number of transitions kept (>= 1).
        n_inputs: length of an encoded observation x(s).
        n_actions: number of actions (for the availability of actions in S_{t+1}).
        seed: seed of the sampling, or a numpy Generator.
    """

    def __init__(
        self, capacity: int, n_inputs: int, n_actions: int, seed: int | np.random.Generator = 0
    ) -> None:
        self.capacity = check_int("capacity", capacity, 1)
        n_inputs = check_int("n_inputs", n_inputs, 1)
        n_actions = check_int("n_actions", n_actions, 1)
        self._rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.observations = np.zeros((self.capacity, n_inputs), dtype=np.float32)
        self.next_observations = np.zeros((self.capacity, n_inputs), dtype=np.float32)
        self.actions = np.zeros(self.capacity, dtype=np.int64)
        self.rewards = np.zeros(self.capacity, dtype=np.float64)
        self.terminated = np.zeros(self.capacity, dtype=bool)
        self.next_allowed = np.ones((self.capacity, n_actions), dtype=bool)
        self.n_added = 0

    def __len__(self) -> int:
        """The number of stored transitions, min(n_added, capacity)."""
        return min(self.n_added, self.capacity)

    def add(
        self,
        observation: np.ndarray,
        action: int,
        reward: float,
        next_observation: np.ndarray,
        terminated: bool,
        next_allowed: np.ndarray | None = None,
    ) -> None:
        """Store one transition (encoded observations) at row n_added mod capacity."""
        row = self.n_added % self.capacity
        self.observations[row] = observation
        self.actions[row] = action
        self.rewards[row] = reward
        self.next_observations[row] = next_observation
        self.terminated[row] = terminated
        self.next_allowed[row] = True if next_allowed is None else next_allowed
        self.n_added += 1

    def sample(self, batch_size: int) -> ReplayBatch:
        """``batch_size`` transitions drawn uniformly with replacement from the stored ones."""
        batch_size = check_int("batch_size", batch_size, 1)
        if not len(self):
            raise ValueError("the replay buffer is empty: add transitions before sampling")
        rows = self._rng.integers(len(self), size=batch_size)
        return ReplayBatch(
            self.observations[rows],
            self.actions[rows],
            self.rewards[rows],
            self.next_observations[rows],
            self.terminated[rows],
            self.next_allowed[rows],
        )


# ---------------------------------------------------------------------- the update


TD_LOSSES = ("huber", "mse")
"""The losses of the TD error: Huber (Mnih et al. 2015, Stable-Baselines3) or squared (§7.5)."""


def td_loss(q_tm1_a: torch.Tensor, target: torch.Tensor, loss: str = "huber") -> torch.Tensor:
    """The mean loss of the TD errors δ_i = y_i − q̂(S_i, A_i; θ), the target held fixed.

    ``"huber"``: H(δ) = δ²/2 for |δ| ≤ 1, |δ| − 1/2 otherwise (``smooth_l1``, β = 1; Huber
    1964, the error clipping of Mnih et al. 2015): a bounded gradient for large errors. Its
    minimizer over a spread of targets is a robust location, not their mean, so with rewards
    noisier than ±1 the fixed point is not q* but q_H(s, a) = argmin_c E[H(R + γ max_b
    q_H(S', b) − c)] (on the plant MDP q_H(low, on) = 5.75 where q* = 4.69). ``"mse"``: δ²/2,
    the mean squared error of §7.5 whose gradient step is eq. 7.25 averaged over the batch; its
    fixed point is q*.
    ``target`` carries no gradient (the semi-gradient of eq. 7.25).
    """
    if loss == "huber":
        return nn.functional.smooth_l1_loss(q_tm1_a, target.detach())
    if loss == "mse":
        return 0.5 * nn.functional.mse_loss(q_tm1_a, target.detach())
    raise ValueError(f"loss must be one of {TD_LOSSES}, got {loss!r}")


def polyak_update(target: nn.Module, online: nn.Module, tau: float) -> None:
    """θ⁻ ← τ θ + (1 − τ) θ⁻ for every parameter and buffer, in place (τ = 1: a hard copy).

    Lillicrap et al. (2016)'s soft target update; Stable-Baselines3's ``polyak_update``.
    """
    tau = check_float("tau", tau, 0.0, 1.0, low_open=True)
    with torch.no_grad():
        pairs = zip(target.state_dict().values(), online.state_dict().values(), strict=True)
        for theta_minus, theta in pairs:
            if tau == 1.0 or not theta_minus.is_floating_point():
                theta_minus.copy_(theta)
            else:
                theta_minus.mul_(1.0 - tau).add_(theta, alpha=tau)


def _next_values(
    online: nn.Module, target: nn.Module, batch: ReplayBatch, double_q: bool, gamma: float
) -> np.ndarray:
    """The targets y of a batch (float64): rules' (double) Q-learning target, masks -inf."""
    with torch.no_grad():
        x_t = torch.as_tensor(batch.next_observations)
        q_t = target(x_t).double().numpy()
        q_t = np.where(batch.next_allowed, q_t, -INF)
        discount_t = gamma * (1.0 - batch.terminated)
        if not double_q:
            return np.asarray(q_learning_target(q_t, batch.rewards, discount_t))
        selector = np.where(batch.next_allowed, online(x_t).double().numpy(), -INF)
        return np.asarray(double_q_learning_target(q_t, selector, batch.rewards, discount_t))


# ---------------------------------------------------------------------- the agent


class DQNSettings(TypedDict, total=False):
    """The keyword arguments of :class:`DQN`: Stable-Baselines3's names and defaults.

    Attributes:
        learning_rate: Adam's step size, > 0. Default ``1e-4``.
        buffer_size: replay buffer capacity, >= 1. Default ``1_000_000``.
        learning_starts: steps of uniformly random actions before training, >= 0.
            Default ``100``.
        batch_size: transitions per gradient step, >= 1. Default ``32``.
        tau: Polyak coefficient in (0, 1]; 1 is a hard copy. Default ``1.0``.
        gamma: discount factor in [0, 1]. Default ``0.99``.
        train_freq: train every ``train_freq`` env steps, >= 1. Default ``4``.
        gradient_steps: gradient steps per training, >= 1. Default ``1``.
        target_update_interval: env steps between target updates, >= 1. Default ``10_000``.
        exploration_fraction: fraction of ``total_timesteps`` over which ε falls, in (0, 1].
            Default ``0.1``.
        exploration_initial_eps: ε at the start of ``learn``, in [0, 1]. Default ``1.0``.
        exploration_final_eps: ε at the end of the fall, in [0, 1]. Default ``0.05``.
        max_grad_norm: largest norm of the gradient, > 0. Default ``10.0``.
        loss: "huber" (Stable-Baselines3's) or "mse" (§7.5's squared error, whose fixed point
            is q* also when rewards are noisy; see :func:`td_loss`). Default ``"huber"``.
        double_q: use the Double DQN target. Default ``False``.
        hidden_sizes: hidden widths (each >= 1) of the default network, labcoat.models'
            :class:`MLP` (n_inputs, *hidden_sizes, n_actions), ReLU. Default ``(64, 64)``.
        network: any ``torch.nn.Module`` mapping a float32 batch (batch, n_inputs) to q̂
            (batch, n_actions) instead of the default; the agent trains it in place and
            keeps a deep copy as the target network. Seed its initial weights yourself.
            Default ``None``.
        seed: an int >= 0 or None; seeds the default network's weights (a torch.Generator),
            the buffer's sampling and ε-greedy draws (numpy Generators) and the env's first
            reset. Default ``None``.
    """

    learning_rate: float
    buffer_size: int
    learning_starts: int
    batch_size: int
    tau: float
    gamma: float
    train_freq: int
    gradient_steps: int
    target_update_interval: int
    exploration_fraction: float
    exploration_initial_eps: float
    exploration_final_eps: float
    max_grad_norm: float
    loss: str
    double_q: bool
    hidden_sizes: tuple[int, ...] | list[int]
    network: nn.Module | None
    seed: int | None


DQN_DEFAULTS: DQNSettings = {
    "learning_rate": 1e-4,
    "buffer_size": 1_000_000,
    "learning_starts": 100,
    "batch_size": 32,
    "tau": 1.0,
    "gamma": 0.99,
    "train_freq": 4,
    "gradient_steps": 1,
    "target_update_interval": 10_000,
    "exploration_fraction": 0.1,
    "exploration_initial_eps": 1.0,
    "exploration_final_eps": 0.05,
    "max_grad_norm": 10.0,
    "loss": "huber",
    "double_q": False,
    "hidden_sizes": (64, 64),
    "network": None,
    "seed": None,
}
"""The defaults of :class:`DQNSettings` (Stable-Baselines3's)."""


class DQN(Agent):
    """Deep Q-learning (Mnih et al. 2015) with a replay buffer, a target network, Double DQN.

    Every env step: an ε-greedy action of q̂(S_t, ·; θ) (uniformly random during the first
    ``learning_starts`` steps), the transition into the :class:`ReplayBuffer`; every
    ``train_freq`` steps after ``learning_starts``, ``gradient_steps`` Adam steps on
    :func:`td_loss` of a sampled batch against y = R + γ (1 − terminated)
    max_a q̂(S', a; θ⁻) (eq. 7.24 on the target network; Double DQN:
    q̂(S', argmax_a q̂(S', a; θ); θ⁻)), the gradient's norm clipped to ``max_grad_norm``; every
    ``target_update_interval`` steps :func:`polyak_update` with ``tau``. ε falls linearly from
    ``exploration_initial_eps`` to ``exploration_final_eps`` over the first
    ``exploration_fraction`` of each ``learn`` call, as in Stable-Baselines3, whose defaults
    these are.

    Args:
        env: a Gymnasium env (or id) with a Discrete action space and a Discrete (one-hot
            encoded) or Box (flattened) observation space. The env's ``valid_actions`` (as the
            plant's) are respected: unavailable actions are never chosen nor bootstrapped.
        **settings: the hyper-parameters, keywords of :class:`DQNSettings` (a misspelt one is
            refused by name): learning_rate, buffer_size, learning_starts, batch_size, tau,
            gamma, train_freq, gradient_steps, target_update_interval, exploration_fraction,
            exploration_initial_eps, exploration_final_eps, max_grad_norm, loss, double_q,
            hidden_sizes, network, seed.

    Attributes:
        q_network, target_network: the online network θ and the target network θ⁻.
        replay_buffer: the :class:`ReplayBuffer`.
        n_updates: gradient steps taken; losses: the loss of each.
    """

    discrete_observations = False
    _obs: Any
    _info: dict[str, Any]
    _episode_return: float
    _array_names = ("_saved_q_network", "_saved_target_network")
    _hyperparameter_names = tuple(DQNSettings.__annotations__)

    def __init__(self, env: gym.Env | str, **settings: Unpack[DQNSettings]) -> None:
        kw = resolve(type(self).__name__, settings, DQNSettings, DQN_DEFAULTS)
        super().__init__(env, gamma=kw["gamma"], seed=kw["seed"])
        self.learning_rate = check_float("learning_rate", kw["learning_rate"], 0.0, low_open=True)
        self.buffer_size = check_int("buffer_size", kw["buffer_size"], 1)
        self.learning_starts = check_int("learning_starts", kw["learning_starts"], 0)
        self.batch_size = check_int("batch_size", kw["batch_size"], 1)
        self.tau = check_float("tau", kw["tau"], 0.0, 1.0, low_open=True)
        self.train_freq = check_int("train_freq", kw["train_freq"], 1)
        self.gradient_steps = check_int("gradient_steps", kw["gradient_steps"], 1)
        self.target_update_interval = check_int(
            "target_update_interval", kw["target_update_interval"], 1
        )
        self.exploration_fraction = check_float(
            "exploration_fraction", kw["exploration_fraction"], 0.0, 1.0, low_open=True
        )
        self.exploration_initial_eps = check_probability(
            "exploration_initial_eps", kw["exploration_initial_eps"]
        )
        self.exploration_final_eps = check_probability(
            "exploration_final_eps", kw["exploration_final_eps"]
        )
        self.max_grad_norm = check_float("max_grad_norm", kw["max_grad_norm"], 0.0, low_open=True)
        self.loss = check_choice("loss", kw["loss"], TD_LOSSES)
        self.double_q = check_bool("double_q", kw["double_q"])
        self.hidden_sizes = _check_hidden_sizes(kw["hidden_sizes"])
        self.network = network = kw["network"]
        self._encode, n_inputs = _observation_encoder(self.env.observation_space)
        self.q_network = self._make_network(network, n_inputs)
        self.target_network = copy.deepcopy(self.q_network)
        self.target_network.requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.q_network.parameters(), lr=self.learning_rate)
        self.replay_buffer = ReplayBuffer(
            self.buffer_size, n_inputs, self.n_actions, self._rng.spawn(1)[0]
        )
        self.n_updates = 0
        self.losses: list[float] = []
        self.epsilon: Callable[[int], float] = self._schedule(0, 1)

    def _make_network(self, network: nn.Module | None, n_inputs: int) -> nn.Module:
        """The online network: ``network`` checked, or the default MLP seeded from ``seed``."""
        if network is None:
            seed = int(np.random.SeedSequence(self.seed).generate_state(1)[0])
            return MLP((n_inputs, *self.hidden_sizes, self.n_actions), seed=seed)
        if not isinstance(network, nn.Module):
            raise TypeError(f"network must be a torch.nn.Module, got {type(network).__name__}")
        if not any(p.requires_grad for p in network.parameters()):
            raise ValueError("network has no trainable parameters")
        with torch.no_grad():
            out = network(torch.zeros(2, n_inputs))
        if tuple(out.shape) != (2, self.n_actions):
            raise ValueError(
                f"network maps a (2, {n_inputs}) batch to shape {tuple(out.shape)}; it must give "
                f"one q value per action, shape (batch, {self.n_actions})"
            )
        return network

    # ------------------------------------------------------------------ exploration

    def _schedule(self, start: int, total_timesteps: int) -> Callable[[int], float]:
        """ε(t): Stable-Baselines3's linear fall over the first fraction of a learn call."""
        duration = max(1, int(self.exploration_fraction * total_timesteps))
        fall = LinearSchedule(self.exploration_initial_eps, self.exploration_final_eps, duration)
        return lambda step: fall(max(step - start, 0))

    def learn(self, total_timesteps: int | None = None, **kwargs: Any) -> Self:
        """Train for ``total_timesteps`` more env steps; the arguments of :meth:`Agent.learn`.

        ε falls over the first ``exploration_fraction`` of these steps, so ``n_episodes`` is
        refused (the schedule needs the number of steps).
        """
        if kwargs.get("n_episodes") is not None:
            raise ValueError(
                "DQN.learn needs total_timesteps (ε falls over exploration_fraction of it), "
                "not n_episodes"
            )
        if total_timesteps is not None:
            total = check_int("total_timesteps", total_timesteps, 1)
            self.epsilon = self._schedule(self.num_timesteps, total)
        return super().learn(total_timesteps, **kwargs)

    # ------------------------------------------------------------------ acting

    def _allowed(self, observation: Any, info: Any) -> tuple[int, ...]:
        state = self._obs_state(observation) if self.valid_actions is not None else 0
        return self._allowed_actions(state, info)

    def _q_row(self, x: np.ndarray, allowed: tuple[int, ...]) -> list[float]:
        """q̂(s, ·; θ) as a list, unavailable actions -inf."""
        with torch.no_grad():
            row = self.q_network(torch.as_tensor(x)[None])[0].tolist()
        if len(allowed) < self.n_actions:
            row = [v if a in allowed else -INF for a, v in enumerate(row)]
        return row

    def _act(self, x: np.ndarray, allowed: tuple[int, ...], step: int) -> int:
        """Uniform among ``allowed`` before ``learning_starts``, then ε-greedy (rules)."""
        if step < self.learning_starts:
            return allowed[int(self._draw() * len(allowed))]
        q = self._q_row(x, allowed)
        return epsilon_greedy_action(q, allowed, self.epsilon(step), self._draw)

    def _run(self, max_steps: int) -> tuple[int, bool]:
        t0, obs, info = self.num_timesteps, self._obs, self._info
        x, ended, i = self._encode(obs), False, 0
        while i < max_steps and not ended:
            a = self._act(x, self._allowed(obs, info), t0 + i)
            obs, r, terminated, truncated, info = self.env.step(a + self._action_start)
            i += 1
            self._episode_return += float(r)
            x2 = self._encode(obs)
            allowed = self._next_allowed(obs, info)
            self.replay_buffer.add(x, a, float(r), x2, bool(terminated), allowed)
            self._after_step(t0 + i)
            x, ended = x2, bool(terminated or truncated)
        self._obs, self._info = obs, info
        self._episode_length += i
        return i, ended

    def _next_allowed(self, obs: Any, info: Any) -> np.ndarray | None:
        """The actions available in S_{t+1} as a bool row, None when every action is."""
        if self.valid_actions is None and "action_mask" not in info:
            return None
        allowed = np.zeros(self.n_actions, dtype=bool)
        allowed[list(self._allowed(obs, info))] = True
        return allowed

    def _after_step(self, t: int) -> None:
        """Train every ``train_freq`` steps after ``learning_starts``; update θ⁻ on schedule."""
        if t > self.learning_starts and t % self.train_freq == 0:
            for _ in range(self.gradient_steps):
                self.train_step(self.replay_buffer.sample(self.batch_size), t)
        if t % self.target_update_interval == 0:
            polyak_update(self.target_network, self.q_network, self.tau)

    def train_step(self, batch: ReplayBatch, step: int | None = None) -> float:
        """One Adam step on :func:`td_loss` of ``batch``, gradient norm clipped; the loss."""
        y = _next_values(self.q_network, self.target_network, batch, self.double_q, self.gamma)
        q_tm1 = self.q_network(torch.as_tensor(batch.observations))
        q_tm1_a = q_tm1.gather(1, torch.as_tensor(batch.actions)[:, None])[:, 0]
        loss = td_loss(q_tm1_a, torch.as_tensor(y, dtype=q_tm1_a.dtype), self.loss)
        self.optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.q_network.parameters(), self.max_grad_norm)
        self.optimizer.step()
        value = float(loss.detach())
        if not math.isfinite(value):
            raise self._diverged(self.num_timesteps if step is None else step, "the loss")
        self.n_updates += 1
        self.losses.append(value)
        return value

    def dump_logs(self) -> None:
        """Record ``train/loss`` and ``train/n_updates`` too, then :meth:`Agent.dump_logs`."""
        if self.losses:
            self.logger.record("train/loss", float(np.mean(self.losses[-100:])))
        self.logger.record("train/n_updates", self.n_updates, exclude="tensorboard")
        super().dump_logs()

    # ------------------------------------------------------------------ reading the agent

    def q_values(self, observation: Any) -> np.ndarray:
        """q̂(s, ·; θ): shape (n_actions,) for one observation, (batch, n_actions) for a batch.

        Actions the env marks unavailable (``valid_actions``) read -inf, as in the tabular q.
        """
        batch = check_observation(self.env.observation_space, observation)
        x = self._encode_many(observation) if batch else self._encode(observation)[None]
        with torch.no_grad():
            q = self.q_network(torch.as_tensor(x)).double().numpy()
        if self.valid_actions is not None:
            states = np.asarray(observation, dtype=np.int64).reshape(-1) - self._state_start
            q = np.where(self.valid_actions[states], q, -INF)
        return q if batch else q[0]

    def _encode_many(self, observations: Any) -> np.ndarray:
        return np.stack([self._encode(o) for o in np.asarray(observations)])

    def predict(self, observation: Any, deterministic: bool = True, **_: Any) -> tuple[Any, None]:
        """The greedy action argmax_a q̂(s, a) (deterministic) or an ε-greedy sample.

        One observation gives an int, a batch an int array (Stable-Baselines3's ``predict``);
        deterministic ties go to the lowest action; unavailable actions are never returned.
        """
        q = self.q_values(observation)
        batch = q.ndim == 2
        rows = q if batch else q[None]
        epsilon = self.epsilon(self.num_timesteps)
        return self._actions_of_q(rows, batch, deterministic, epsilon), None

    # ------------------------------------------------------------------ files

    @property
    def _saved_q_network(self) -> np.ndarray:
        return state_bytes(self.q_network)

    @property
    def _saved_target_network(self) -> np.ndarray:
        return state_bytes(self.target_network)

    def _set_array(self, name: str, value: np.ndarray) -> None:
        network = self.q_network if name == "_saved_q_network" else self.target_network
        load_state_bytes(network, value)


def _check_hidden_sizes(hidden_sizes: Any) -> tuple[int, ...]:
    if not isinstance(hidden_sizes, tuple | list) or not hidden_sizes:
        raise TypeError(f"hidden_sizes must be a non-empty tuple of ints, got {hidden_sizes!r}")
    return tuple(check_int("hidden_sizes", n, 1) for n in hidden_sizes)


def _observation_encoder(space: gym.Space) -> tuple[Callable[[Any], np.ndarray], int]:
    """x(s) as float32: one-hot for Discrete(n), the flattened array for Box; and its length."""
    if isinstance(space, gym.spaces.Discrete):
        one_hot = OneHot(space)
        return (lambda s: np.asarray(one_hot(s), dtype=np.float32)), one_hot.n_features
    if isinstance(space, gym.spaces.Box):
        n_inputs = int(np.prod(space.shape))
        return (lambda s: np.asarray(s, dtype=np.float32).reshape(n_inputs)), n_inputs
    raise TypeError(f"DQN needs a Discrete or Box observation space, the env has {space}")


def state_bytes(network: nn.Module) -> np.ndarray:
    """A network's state_dict written by ``torch.save`` (tensors only), as uint8."""
    buffer = io.BytesIO()
    torch.save(network.state_dict(), buffer)
    return np.frombuffer(buffer.getvalue(), dtype=np.uint8)


def load_state_bytes(network: nn.Module, value: np.ndarray) -> None:
    """Load :func:`state_bytes` with torch's weights-only reader (tensors, never code)."""
    try:
        network.load_state_dict(torch.load(io.BytesIO(value.tobytes()), weights_only=True))
    except Exception as error:  # torch raises many types for a corrupt or foreign buffer
        raise ValueError(f"the network's parameters cannot be read: {error}") from error
    if not all(torch.isfinite(p).all() for p in network.parameters()):
        raise ValueError("the network's parameters hold NaN or infinite values")
