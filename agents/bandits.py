"""Bandit strategies: ε-greedy, UCB, gradient bandit, Thompson sampling (notes §7.1; S&B ch. 2).

The update rules are pure functions on arrays with a leading runs axis: action values ``q`` and
counts ``n`` of shape ``(n_runs, k)``, actions ``a`` and rewards ``r`` of shape ``(n_runs,)``.
A strategy object holds these arrays and a random generator; one Gymnasium env is the case
``n_runs = 1`` of the same code (``select_action``/``update``), thousands of testbeds the
batched case (``select_actions``/``update_batch``). ``run_testbed`` plays a strategy on the
vectorized ``labcoat/Bandit-v0`` (Sutton & Barto's 10-armed testbed, §2.3); ``run_episode`` on
one environment. With the same seed, ``run_episode`` on ``gym.make("labcoat/Bandit-v0")`` and
``run_testbed(..., n_runs=1)`` give identical numbers.

Ties in an argmax are broken uniformly at random, as in Sutton & Barto.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Self

import gymnasium as gym
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import rel_entr

import labcoat.envs  # noqa: F401  (registers labcoat/Bandit-v0 for run_testbed)
from labcoat.agents._base import array_property
from labcoat.agents._observations import state_index
from labcoat.agents.batched import BatchStep, run_batched
from labcoat.agents.rules import (
    action_value_update,
    argmax_random_ties,
    beta_posterior_update,
    categorical_sample,
    epsilon_greedy_arms,
    gaussian_posterior,
    gradient_bandit_update,
    greedy_arms,
    softmax_policy,
    ucb_scores,
)
from labcoat.classic._checks import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_probability,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# ---------------------------------------------------------------- regret bounds


def _flat_index(a: IntArray, k: int) -> IntArray:
    """Flat positions of (run i, arm a_i) in a C-ordered (n_runs, k) array."""
    return a + k * np.arange(a.shape[0])


def bernoulli_kl(p: ArrayLike, q: ArrayLike) -> NDArray[np.float64]:
    """KL(Bernoulli(p) ‖ Bernoulli(q)) = p ln(p/q) + (1 − p) ln((1 − p)/(1 − q)) in nats."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    return np.asarray(rel_entr(p, q) + rel_entr(1.0 - p, 1.0 - q))


def lai_robbins_constant(probabilities: Sequence[float] | FloatArray) -> float:
    """The constant of the Lai–Robbins lower bound for Bernoulli arms (Lai & Robbins, 1985).

    Every consistent strategy (regret o(T^a) for all a > 0 on every instance) has
    liminf_{T→∞} E[regret_T] / ln T ≥ Σ_{a: Δ_a > 0} Δ_a / KL(q*(a) ‖ q*_max), with
    Δ_a = q*_max − q*(a) and ``bernoulli_kl``. The bound is asymptotic: it fixes the slope of
    the regret against ln T, not its value at small T. An arm with KL = inf (q*_max = 1)
    contributes 0.

    Args:
        probabilities: the arms' success probabilities q*(a) in [0, 1].
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 1 or p.size < 2 or np.any((p < 0) | (p > 1)) or not np.all(np.isfinite(p)):
        raise ValueError(
            f"probabilities must be a 1-D sequence of >= 2 values in [0, 1], got {probabilities!r}"
        )
    best = p.max()
    worse = p[p < best]
    return float(np.sum((best - worse) / bernoulli_kl(worse, best)))


# ---------------------------------------------------------------- strategies


class BanditStrategy(ABC):
    """Base of the strategies: the runs axis, the generator, single-env and batched use.

    Call ``reset(n_arms, n_runs, seed)`` first. Batched: ``select_actions()`` returns the arms
    of all runs, shape (n_runs,), and ``update_batch(actions, rewards)`` learns from them.
    Single environment (n_runs = 1): ``select_action()`` returns an int, ``update(action,
    reward)`` takes scalars; both call the batched methods, so the numbers are the same.
    """

    n_arms: int
    n_runs: int
    t: int
    """The number of updates since reset (the time step of the last reward)."""

    def reset(
        self, n_arms: int, n_runs: int = 1, seed: int | np.random.SeedSequence | None = None
    ) -> Self:
        """Forget everything learned; ``n_runs`` independent learners over ``n_arms`` arms."""
        self.n_arms = check_int("n_arms", n_arms, 2)
        self.n_runs = check_int("n_runs", n_runs, 1)
        self.rng = np.random.default_rng(seed)
        self.t = 0
        self._initialize()
        return self

    def select_actions(self) -> IntArray:
        """The arm to pull in every run, shape (n_runs,)."""
        if not hasattr(self, "rng"):
            raise RuntimeError(f"call {type(self).__name__}.reset(n_arms, ...) first")
        return self._select()

    def update_batch(self, actions: ArrayLike, rewards: ArrayLike) -> None:
        """Learn from one reward per run: ``actions`` and ``rewards`` of shape (n_runs,)."""
        a = np.asarray(actions)
        r = np.asarray(rewards, dtype=np.float64)
        if a.shape != (self.n_runs,) or r.shape != (self.n_runs,) or a.dtype.kind not in "iu":
            raise ValueError(
                f"actions (integers) and rewards must have shape ({self.n_runs},), "
                f"got {a.shape} and {r.shape}"
            )
        if a.min() < 0 or a.max() >= self.n_arms:
            raise ValueError(f"actions must lie in [0, {self.n_arms - 1}]")
        if not np.isfinite(r).all():
            raise ValueError(f"rewards must be finite numbers, got {rewards!r}")
        self.t += 1
        self._learn(a.astype(np.int64, copy=False), r)

    def select_action(self) -> int:
        """The arm to pull in a single environment (requires n_runs = 1)."""
        self._require_single()
        return int(self.select_actions()[0])

    def update(self, action: int, reward: float) -> None:
        """Learn from the reward of one pull in a single environment (n_runs = 1)."""
        self._require_single()
        arm = state_index(action, self.n_arms, name="action")
        self.update_batch(np.array([arm]), np.array([check_float("reward", reward)]))

    def _require_single(self) -> None:
        if getattr(self, "n_runs", 1) != 1:
            raise ValueError(f"select_action/update need n_runs = 1, got n_runs = {self.n_runs}")

    def _zeros(self) -> FloatArray:
        return np.zeros((self.n_runs, self.n_arms))

    def _start_values(self, initial_value: float) -> None:
        """Q_1(a) = ``initial_value`` and N(a) = 0, stored arm-major (k, n_runs).

        The arm-major layout makes the reductions over arms of every step (max, argmax) run
        along the long contiguous runs axis; ``q`` and ``n`` are its (n_runs, k) views.
        """
        self._q_by_arm = np.full((self.n_arms, self.n_runs), float(initial_value))
        self._n_by_arm = np.zeros((self.n_arms, self.n_runs), dtype=np.int64)
        self._run_index = np.arange(self.n_runs)

    def _learn_values(self, a: IntArray, r: FloatArray, step_size: float | None) -> None:
        """N(a) += 1 and Q(a) by ``action_value_update``, in place on the pulled entries."""
        index = a * self.n_runs + self._run_index  # flat positions of (a_i, i), arm-major
        n_a = self._n_by_arm.take(index)
        n_a += 1
        self._n_by_arm.reshape(-1)[index] = n_a  # flat views: faster than np.put
        q_a = self._q_by_arm.take(index)
        self._q_by_arm.reshape(-1)[index] = action_value_update(q_a, n_a, r, step_size)

    def _set_array(self, name: str, value: NDArray[Any]) -> None:
        if value.shape != (self.n_runs, self.n_arms):
            raise ValueError(f"shape must be ({self.n_runs}, {self.n_arms}), got {value.shape}")
        setattr(self, name, np.ascontiguousarray(value.T))

    def _update_unchecked(self, a: IntArray, r: FloatArray) -> None:
        """``update_batch`` without the argument checks (actions from ``select_actions``)."""
        self.t += 1
        self._learn(a, r)

    @abstractmethod
    def _initialize(self) -> None:
        """Set the learned arrays to their values before any pull."""

    @abstractmethod
    def _select(self) -> IntArray:
        """The arms to pull, shape (n_runs,)."""

    @abstractmethod
    def _learn(self, a: IntArray, r: FloatArray) -> None:
        """Update the learned arrays with the rewards ``r`` of arms ``a`` (t already counts it)."""

    def __repr__(self) -> str:
        names = [n for n in vars(self) if n in self._hyperparameters()]
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
        return f"{type(self).__name__}({args})"

    def _hyperparameters(self) -> tuple[str, ...]:
        return ()


def _arm_major(name: str, dtype: type, doc: str) -> Any:
    """A (n_runs, k) array property over the arm-major array ``name`` (k, n_runs).

    As the agents' arrays (labcoat.agents._base.array_property): reading gives a read-only
    copy, assigning an (n_runs, k) array replaces it.
    """
    return array_property(name, dtype, lambda self: getattr(self, name).T, doc)


_Q_DOC = "The action-value estimates Q_t(a), shape (n_runs, k)."
_N_DOC = "The pull counts N_t(a), shape (n_runs, k)."


class EpsilonGreedy(BanditStrategy):
    """ε-greedy action selection on incremental action-value estimates (notes §7.1; S&B §2.2).

    A_t = argmax_a Q_t(a) (ties at random) with probability 1 − ε, else an arm drawn uniformly
    from all k arms (Sutton & Barto's convention; the notes draw "one of the other actions",
    which changes the exploration rate from ε(k−1)/k to ε). Q is learned with
    ``action_value_update``: sample averages (eqs. 2.3/2.4) or a constant step size (eq. 2.5).

    ``EpsilonGreedy(epsilon=0)`` is the greedy method; ``initial_value=5, step_size=0.1``
    is Sutton & Barto's optimistic greedy (Fig. 2.3). ``initial_value=math.inf`` with sample
    averages tries every arm once, then exploits: the greedy method as the notes describe it.

    Args:
        epsilon: the exploration probability ε in [0, 1].
        step_size: a constant step size α in (0, 1], or None for sample averages.
        initial_value: Q_1(a) for every arm (optimistic if above the rewards); +inf only
            with sample averages.
    """

    def __init__(
        self, epsilon: float = 0.1, step_size: float | None = None, initial_value: float = 0.0
    ) -> None:
        self.epsilon = check_probability("epsilon", epsilon)
        self.step_size = (
            None
            if step_size is None
            else check_float("step_size", step_size, 0.0, 1.0, low_open=True)
        )
        self.initial_value = _initial_value(initial_value, self.step_size)

    q = _arm_major("_q_by_arm", np.float64, _Q_DOC)
    n = _arm_major("_n_by_arm", np.int64, _N_DOC)

    def _hyperparameters(self) -> tuple[str, ...]:
        return ("epsilon", "step_size", "initial_value")

    def _initialize(self) -> None:
        self._start_values(self.initial_value)

    def _select(self) -> IntArray:
        """Greedy arms, or with probability ε the arm ⌊k u / ε⌋ (``epsilon_greedy_arms``)."""
        return epsilon_greedy_arms(self._q_by_arm, self.epsilon, self.rng)

    def _learn(self, a: IntArray, r: FloatArray) -> None:
        self._learn_values(a, r, self.step_size)


def _initial_value(value: Any, step_size: float | None) -> float:
    """Q_1: a finite number, or +inf with sample averages (each arm then tried once first)."""
    if step_size is None and not isinstance(value, str) and value == math.inf:
        return math.inf
    return check_float("initial_value", value)


class UCB(BanditStrategy):
    """Upper-confidence-bound action selection (S&B §2.7, eq. 2.10).

    A_t = argmax_a [Q_t(a) + c sqrt(ln t / N_t(a))], an arm with N_t(a) = 0 counting as
    maximizing, so the first k pulls try every arm (in random order). Q is the sample average
    (eqs. 2.3/2.4) or a constant-step-size estimate (eq. 2.5). c = sqrt(2) with rewards in
    [0, 1] is Auer et al.'s UCB1.

    Args:
        c: the degree of exploration c > 0 (Sutton & Barto's Fig. 2.4 uses 2).
        step_size: a constant step size α in (0, 1], or None for sample averages.
    """

    def __init__(self, c: float = 2.0, step_size: float | None = None) -> None:
        self.c = check_float("c", c, 0.0, low_open=True)
        self.step_size = (
            None
            if step_size is None
            else check_float("step_size", step_size, 0.0, 1.0, low_open=True)
        )

    q = _arm_major("_q_by_arm", np.float64, _Q_DOC)
    n = _arm_major("_n_by_arm", np.int64, _N_DOC)

    def _hyperparameters(self) -> tuple[str, ...]:
        return ("c", "step_size")

    def _initialize(self) -> None:
        self._start_values(0.0)

    def _select(self) -> IntArray:
        scores = ucb_scores(self._q_by_arm, self._n_by_arm, self.t + 1, self.c)
        return greedy_arms(scores, self.rng)

    def _learn(self, a: IntArray, r: FloatArray) -> None:
        self._learn_values(a, r, self.step_size)


class GradientBandit(BanditStrategy):
    """Gradient bandit: a softmax policy over preferences learned by eq. 2.12 (S&B §2.8).

    π_t = softmax(H_t) (eq. 2.11) chooses A_t; then ``gradient_bandit_update``. The baseline
    R̄_t is the average of the rewards up to but not including time t (R̄_1 = R_1), kept
    incrementally (eq. 2.3); without baseline R̄_t = 0 (Sutton & Barto's Fig. 2.5).

    Args:
        alpha: the step size α > 0.
        baseline: whether to subtract the average reward R̄_t.
    """

    def __init__(self, alpha: float = 0.1, baseline: bool = True) -> None:
        self.alpha = check_float("alpha", alpha, 0.0, low_open=True)
        self.baseline = check_bool("baseline", baseline)

    def _hyperparameters(self) -> tuple[str, ...]:
        return ("alpha", "baseline")

    def _initialize(self) -> None:
        self.h = self._zeros()
        self.pi = softmax_policy(self.h)
        self.average_reward = np.zeros(self.n_runs)

    def _select(self) -> IntArray:
        self.pi = softmax_policy(self.h)
        return categorical_sample(self.pi.cumsum(axis=1), self.rng.random(self.n_runs))

    def _learn(self, a: IntArray, r: FloatArray) -> None:
        if self.baseline:
            if self.t == 1:
                self.average_reward = r.copy()
            r_bar = self.average_reward
        else:
            r_bar = np.zeros(self.n_runs)
        self.h = gradient_bandit_update(self.h, self.pi, a, r, r_bar, self.alpha)
        self.average_reward = self.average_reward + (r - self.average_reward) / self.t


class ThompsonSampling(BanditStrategy):
    """Thompson sampling: pull the argmax of one draw from each arm's posterior.

    Bernoulli likelihood (rewards in {0, 1}): q*(a) ~ Beta(prior_alpha, prior_beta), updated
    by ``beta_posterior_update``. Gaussian likelihood (R ~ N(q*(a), noise_std²)): q*(a) ~
    N(prior_mean, prior_std²), posterior from ``gaussian_posterior``. Every step draws
    θ_a from the posterior of each arm and pulls argmax_a θ_a, i.e. each arm with the
    posterior probability that it is the best.

    Args:
        likelihood: ``"bernoulli"`` or ``"gaussian"``.
        prior_alpha: Beta prior parameter α > 0 (Bernoulli).
        prior_beta: Beta prior parameter β > 0 (Bernoulli).
        prior_mean: prior mean μ_0 (Gaussian; the testbed's q* ~ N(0, 1)).
        prior_std: prior standard deviation σ_0 > 0 (Gaussian).
        noise_std: the reward noise σ > 0 (Gaussian; the testbed's is 1).
    """

    def __init__(
        self,
        likelihood: Literal["bernoulli", "gaussian"] = "bernoulli",
        prior_alpha: float = 1.0,
        prior_beta: float = 1.0,
        prior_mean: float = 0.0,
        prior_std: float = 1.0,
        noise_std: float = 1.0,
    ) -> None:
        self.likelihood = check_choice("likelihood", likelihood, ("bernoulli", "gaussian"))
        self.prior_alpha = check_float("prior_alpha", prior_alpha, 0.0, low_open=True)
        self.prior_beta = check_float("prior_beta", prior_beta, 0.0, low_open=True)
        self.prior_mean = check_float("prior_mean", prior_mean)
        self.prior_std = check_float("prior_std", prior_std, 0.0, low_open=True)
        self.noise_std = check_float("noise_std", noise_std, 0.0, low_open=True)

    q = _arm_major("_q_by_arm", np.float64, "Sample means of the rewards (Gaussian), (n_runs, k).")
    n = _arm_major("_n_by_arm", np.int64, _N_DOC)

    def _hyperparameters(self) -> tuple[str, ...]:
        if self.likelihood == "bernoulli":
            return ("likelihood", "prior_alpha", "prior_beta")
        return ("likelihood", "prior_mean", "prior_std", "noise_std")

    def _initialize(self) -> None:
        self.alpha = np.full((self.n_runs, self.n_arms), self.prior_alpha)
        self.beta = np.full((self.n_runs, self.n_arms), self.prior_beta)
        self._start_values(0.0)

    def _select(self) -> IntArray:
        if self.likelihood == "bernoulli":
            theta = self.rng.beta(self.alpha, self.beta)
        else:
            mean, std = gaussian_posterior(
                self._q_by_arm, self._n_by_arm, self.prior_mean, self.prior_std, self.noise_std
            )
            theta = mean + std * self.rng.standard_normal(mean.shape)
            return greedy_arms(theta, self.rng)
        return argmax_random_ties(theta, self.rng)

    def _learn(self, a: IntArray, r: FloatArray) -> None:
        if self.likelihood == "bernoulli":
            if np.any((r != 0.0) & (r != 1.0)):
                raise ValueError("rewards must be 0 or 1 for the Bernoulli likelihood")
            index = _flat_index(a, self.n_arms)
            alpha_a, beta_a = beta_posterior_update(
                self.alpha.take(index), self.beta.take(index), r
            )
            np.put(self.alpha, index, alpha_a)
            np.put(self.beta, index, beta_a)
        else:
            self._learn_values(a, r, None)


# ---------------------------------------------------------------- running a strategy


@dataclass(frozen=True)
class BanditResult:
    """Per-step curves of a strategy, averaged over independent runs (S&B §2.3, Fig. 2.2).

    Attributes:
        average_reward: mean reward at each step t = 1 … n_steps, shape (n_steps,).
        optimal_action_fraction: fraction of runs whose pull at step t was optimal (regret 0;
            ties in q* count as optimal), shape (n_steps,).
        average_regret: mean regret max q* − q*(A_t) at each step, shape (n_steps,).
        total_regret: each run's regret summed over the steps, shape (n_runs,).
        cumulative_regret_runs: each run's cumulative regret after each step, shape
            (n_steps, n_runs), when recorded (``record_runs=True``), else None.
    """

    average_reward: FloatArray
    optimal_action_fraction: FloatArray
    average_regret: FloatArray
    total_regret: FloatArray
    cumulative_regret_runs: FloatArray | None = None

    @property
    def cumulative_regret(self) -> FloatArray:
        """Mean cumulative regret Σ_{s<=t} (max q* − q*(A_s)) after each step, (n_steps,)."""
        return np.cumsum(self.average_regret)


class _Recorder:
    def __init__(self, n_steps: int, n_runs: int, record_runs: bool) -> None:
        self.reward = np.zeros(n_steps)
        self.optimal = np.zeros(n_steps)
        self.regret = np.zeros(n_steps)
        self.total = np.zeros(n_runs)
        self.runs = np.zeros((n_steps, n_runs)) if record_runs else None

    def add(self, t: int, reward: FloatArray, regret: FloatArray) -> None:
        n_runs = regret.size  # sums / n_runs: the same numbers as .mean(), less overhead
        self.reward[t] = np.add.reduce(reward) / n_runs
        self.optimal[t] = np.count_nonzero(regret == 0.0) / n_runs
        self.regret[t] = np.add.reduce(regret) / n_runs
        self.total += regret
        if self.runs is not None:
            self.runs[t] = self.total

    def result(self) -> BanditResult:
        return BanditResult(self.reward, self.optimal, self.regret, self.total, self.runs)


def spawn_seeds(seed: int) -> tuple[int, int]:
    """The environment's and the strategy's seeds: two independent streams of one seed.

    ``np.random.SeedSequence(seed).spawn(2)``, each child reduced to a 63-bit int (Gymnasium's
    ``reset(seed=...)`` takes an int). Used by ``run_testbed`` and ``run_episode``.
    """
    children = np.random.SeedSequence(check_int("seed", seed, 0)).spawn(2)
    env_seed, agent_seed = (
        int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children
    )
    return env_seed, agent_seed


def run_testbed(
    strategy: BanditStrategy,
    *,
    n_runs: int = 2000,
    n_steps: int = 1000,
    k: int = 10,
    seed: int = 0,
    record_runs: bool = False,
    **bandit_kwargs: Any,
) -> BanditResult:
    """Play ``strategy`` on ``n_runs`` independent k-armed bandits for ``n_steps`` pulls each.

    Sutton & Barto's testbed (§2.3) on the vectorized ``labcoat/Bandit-v0``: one
    ``BanditVectorEnv`` step and one batched strategy step per time step, numpy across runs,
    played by labcoat.agents.batched.run_batched (the runner of the tabular studies).
    The strategy is reset (``n_runs`` learners) and left in its final state.

    Args:
        strategy: the strategy (its hyperparameters; its state is reset here).
        n_runs: the number of independent runs (bandit problems).
        n_steps: pulls per run.
        k: number of arms.
        seed: one seed for the problems and the strategy (see ``spawn_seeds``).
        record_runs: keep every run's cumulative regret (``cumulative_regret_runs``).
        **bandit_kwargs: further arguments of ``labcoat/Bandit-v0`` (``reward_distribution``,
            ``q_star_mean``, ``nonstationary``, ``q_star``, …).

    Returns:
        The per-step curves averaged over runs.
    """
    env = gym.make_vec(
        "labcoat/Bandit-v0",
        num_envs=check_int("n_runs", n_runs, 1),
        vectorization_mode="vector_entry_point",
        k=k,
        n_steps=n_steps,
        **bandit_kwargs,
    )
    env_seed, agent_seed = spawn_seeds(seed)
    env.reset(seed=env_seed)
    strategy.reset(n_arms=k, n_runs=n_runs, seed=agent_seed)
    recorder = _Recorder(n_steps, n_runs, record_runs)
    run_batched(_StrategyRuns(strategy), _TestbedRuns(env, n_steps, recorder), n_runs)
    env.close()
    return recorder.result()


class _TestbedRuns:
    """The vectorized bandit as the environments of :func:`run_batched` (n_steps pulls)."""

    def __init__(self, env: Any, n_steps: int, recorder: _Recorder) -> None:
        self.step_env, self.n_steps, self.add, self.t = env.step, n_steps, recorder.add, 0

    def step(self, runs: IntArray, actions: IntArray) -> BatchStep:
        _, reward, terminated, truncated, info = self.step_env(actions)  # checks the actions
        self.add(self.t, reward, info["regret"])
        self.t += 1
        running = runs if self.t < self.n_steps else runs[:0]
        return BatchStep(None, reward, terminated, terminated | truncated, running, info)


class _StrategyRuns:
    """A strategy's n_runs learners as the learners of :func:`run_batched`."""

    def __init__(self, strategy: BanditStrategy) -> None:
        self.act_all, self.update = strategy.select_actions, strategy._update_unchecked

    def act(self, runs: IntArray) -> IntArray:
        return self.act_all()

    def learn(self, runs: IntArray, actions: IntArray, step: BatchStep) -> None:
        self.update(actions, step.rewards)


def run_episode(strategy: BanditStrategy, env: gym.Env[Any, Any], *, seed: int = 0) -> BanditResult:
    """Play ``strategy`` on one bandit environment until the episode ends (one run).

    Works with any env whose actions are ``Discrete(k)`` and whose step ``info`` carries
    ``regret`` (``labcoat/Bandit-v0``, ``labcoat/TreatmentBandit-v0``). With the same seed
    and arguments, the curves equal ``run_testbed(strategy, n_runs=1, ...)``'s.

    Args:
        strategy: the strategy (reset here with n_runs = 1).
        env: the environment, e.g. ``gym.make("labcoat/TreatmentBandit-v0")``.
        seed: one seed for the problem and the strategy (see ``spawn_seeds``).
    """
    if not isinstance(env.action_space, gym.spaces.Discrete):
        raise TypeError(f"env must have a Discrete action space, got {env.action_space}")
    env_seed, agent_seed = spawn_seeds(seed)
    env.reset(seed=env_seed)
    strategy.reset(n_arms=int(env.action_space.n), n_runs=1, seed=agent_seed)
    rewards: list[float] = []
    regrets: list[float] = []
    done = False
    while not done:
        action = strategy.select_action()
        _, reward, terminated, truncated, info = env.step(action)
        strategy.update(action, float(reward))
        rewards.append(float(reward))
        regrets.append(float(info["regret"]))
        done = terminated or truncated
    regret = np.array(regrets)
    return BanditResult(
        average_reward=np.array(rewards),
        optimal_action_fraction=(regret == 0.0).astype(np.float64),
        average_regret=regret,
        total_regret=np.cumsum(regret)[-1:],  # summed in order, as run_testbed does
    )
