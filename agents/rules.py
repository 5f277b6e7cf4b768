"""Every update equation of labcoat's agents, written once (rlax style).

The online agents (labcoat.agents.tabular, labcoat.agents.semi_gradient), the batched runner
(labcoat.agents.batched), the bandit strategies (labcoat.agents.bandits) and the policies
(labcoat.agents.policies) call these functions; no other module restates an equation.

Names are time-indexed as in rlax: ``q_tm1`` is q(S_t, .), ``a_tm1`` = A_t, ``r_t`` = R_{t+1},
``discount_t = gamma * (1 - terminated)`` (only termination zeroes the bootstrap; a time-limit
truncation does not) and ``q_t`` is q(S_{t+1}, .); arguments come in that order. The
arithmetic is plain, so the scalar functions take Python floats (the per-step loops of the
online agents) and numpy arrays (the batched runs) alike. Equation numbers are those of the
notes (seed 000, eqs. 7.3 and 7.21-7.25); what the notes lack cites Sutton & Barto (S&B),
*Reinforcement Learning: An Introduction*, 2nd ed.

Exploration is epsilon-greedy in the convention of Sutton & Barto: with probability epsilon a
uniformly random available action (the greedy one included), otherwise a greedy action, ties
broken at random. (§7.1 of the notes picks "one of the other actions"; the two differ by
epsilon / n_actions in the probability of the greedy action.) Both samplers below map a
uniform u < epsilon to the explored action number floor(|A| u / epsilon).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from labcoat.classic._checks import check_float
from labcoat.envs._tabular import categorical_sample  # the one inverse-CDF rule, shared with envs

if TYPE_CHECKING:
    import torch

FloatArray = NDArray[np.float64]
_SMALL = 4096  # arrays up to this size: reductions beat a matrix-vector product
IntArray = NDArray[np.int64]

__all__ = [
    "softmax_log_gradient",
    "gaussian_log_density",
    "gaussian_log_gradient",
    "reinforce_weights",
    "policy_gradient_theorem",
    "actor_critic_step",
    "cross_entropy_update",
    "evolution_strategy_gradient",
    "action_value_update",
    "argmax_random_ties",
    "beta_posterior_update",
    "categorical_sample",
    "check_learning_rate",
    "discounted_returns",
    "double_q_learning_target",
    "epsilon_greedy_action",
    "epsilon_greedy_arms",
    "epsilon_greedy_by_noise",
    "exploration_caps",
    "epsilon_greedy_expectation",
    "epsilon_greedy_probabilities",
    "expected_sarsa_target",
    "gaussian_posterior",
    "gradient_bandit_update",
    "greedy_action",
    "greedy_arms",
    "linear_sarsa_update",
    "linear_td_update",
    "q_learning_target",
    "sarsa_target",
    "semi_gradient_increment",
    "semi_gradient_step",
    "softmax_policy",
    "step_size",
    "step_size_power",
    "td0_target",
    "td0_update",
    "td_error",
    "td_target",
    "td_update",
    "ucb_scores",
]

# ---------------------------------------------------------------------- step sizes


def check_learning_rate(value: Any) -> float | str:
    """A constant step size in (0, 1], "1/n" or "1/n^w" with w in (0.5, 1] (n: update count).

    alpha_n = n^-w satisfies the Robbins-Monro conditions sum alpha = inf, sum alpha^2 < inf
    (S&B eq. 2.7); w = 1 gives sample averages, w around 0.7 forgets the early (biased)
    targets faster.
    """
    if isinstance(value, str):
        if step_size_power(value) is None:
            raise ValueError(
                f"learning_rate must be a number in (0, 1], '1/n' or '1/n^w' with w in (0.5, 1], "
                f"got {value!r}"
            )
        return value
    return check_float("learning_rate", value, 0.0, 1.0, low_open=True)


def step_size_power(value: Any) -> float | None:
    """The power w of a "1/n" or "1/n^w" step size (w in (0.5, 1]), None for anything else."""
    if not isinstance(value, str) or not value.replace(" ", "").startswith("1/n"):
        return None
    rest = value.replace(" ", "")[3:]
    if not rest:
        return 1.0
    try:
        power = float(rest[1:]) if rest[0] == "^" else math.nan
    except ValueError:
        return None
    return power if 0.5 < power <= 1.0 else None


def step_size(alpha: Any, power: float | None, n: Any) -> Any:
    """alpha_n: the constant ``alpha`` (power None), else n^-w (S&B eqs. 2.3-2.7).

    Args:
        alpha: the constant step size (ignored when ``power`` is given).
        power: w of a "1/n^w" schedule (:func:`step_size_power`), or None.
        n: the number of updates of the estimate, this one included (int or int array).
    """
    return alpha if power is None else n**-power


# ---------------------------------------------------------------------- TD targets and errors


def td_target(r_t: Any, discount_t: Any, v_t: Any) -> Any:
    """The one-step TD target R_{t+1} + gamma v(S_{t+1}) of eq. 7.21 (discount_t = 0 at the end).

    Also the return recursion G_t = R_{t+1} + gamma G_{t+1} of eq. 7.3 with v_t = G_{t+1}.
    """
    return r_t + discount_t * v_t


def td_error(v_tm1: Any, r_t: Any, discount_t: Any, v_t: Any) -> Any:
    """The TD error delta = R_{t+1} + gamma v(S_{t+1}) - v(S_t) of eqs. 7.21 and 7.25."""
    return td_target(r_t, discount_t, v_t) - v_tm1


def td_update(value: Any, target: Any, learning_rate: Any) -> Any:
    """Move an estimate toward its target: value + alpha (target - value) (eqs. 7.21-7.24).

    With target = R_n and alpha = 1/n it is the incremental sample average (S&B eq. 2.3).
    """
    return value + learning_rate * (target - value)


def td0_target(v_t: Any, r_t: Any, discount_t: Any) -> Any:
    """:func:`td_target` with its arguments in the order of earlier labcoat versions."""
    return td_target(r_t, discount_t, v_t)


def td0_update(v_tm1: Any, r_t: Any, discount_t: Any, v_t: Any, learning_rate: Any) -> Any:
    """TD(0), eq. 7.21: v(S_t) <- v(S_t) + alpha [R_{t+1} + gamma v(S_{t+1}) - v(S_t)]."""
    return td_update(v_tm1, td_target(r_t, discount_t, v_t), learning_rate)


def sarsa_target(q_t: Any, a_t: Any, r_t: Any, discount_t: Any) -> Any:
    """Sarsa target R_{t+1} + gamma q(S_{t+1}, A_{t+1}) of eq. 7.23.

    Args:
        q_t: q(S_{t+1}, .), shape (..., n_actions).
        a_t: the next action A_{t+1}, shape (...).
        r_t: reward R_{t+1}.
        discount_t: gamma (1 - terminated).
    """
    q_t, a_t = np.asarray(q_t, dtype=float), np.asarray(a_t)
    if q_t.ndim == 2:  # one row per run (the batched case): a plain gather
        chosen = q_t[np.arange(len(q_t)), a_t]
    else:
        chosen = np.take_along_axis(q_t, a_t[..., None], axis=-1)[..., 0]
    return td_target(np.asarray(r_t), np.asarray(discount_t), chosen)


def q_learning_target(q_t: Any, r_t: Any, discount_t: Any) -> Any:
    """Q-learning target R_{t+1} + gamma max_a q(S_{t+1}, a) of eq. 7.24 (-inf entries ignored).

    A terminal transition (discount_t = 0) gives R_{t+1} whatever q_t holds.
    """
    best = np.asarray(q_t, dtype=float).max(axis=-1)
    discount_t = np.asarray(discount_t, dtype=float)
    return td_target(np.asarray(r_t), discount_t, np.where(discount_t == 0, 0.0, best))


def double_q_learning_target(q_t_value: Any, q_t_selector: Any, r_t: Any, discount_t: Any) -> Any:
    """Double Q-learning target R_{t+1} + gamma q'(S_{t+1}, argmax_a q(S_{t+1}, a)).

    The greedy action is selected by one estimate (``q_t_selector``, Double DQN's online
    network) and evaluated by the other (``q_t_value``, the target network): van Hasselt, Guez
    & Silver (2016), eq. 4; Sutton & Barto §6.7. With q_t_selector = q_t_value it is
    Q-learning's target (eq. 7.24). Ties go to the lowest action; -inf entries of the selector
    (unavailable actions) are never selected; discount_t = 0 gives R_{t+1}.
    """
    a_t = np.argmax(np.asarray(q_t_selector, dtype=float), axis=-1)
    discount_t = np.asarray(discount_t, dtype=float)
    q_t_value = np.asarray(q_t_value, dtype=float)
    chosen = np.take_along_axis(q_t_value, a_t[..., None], axis=-1)[..., 0]  # q'(S_{t+1}, a*)
    return td_target(np.asarray(r_t), discount_t, np.where(discount_t == 0, 0.0, chosen))


def epsilon_greedy_probabilities(q_t: Any, epsilon: float) -> np.ndarray:
    """pi(a|s) of the epsilon-greedy policy of q (Sutton & Barto convention, §7.1).

    pi(a|s) = epsilon / |A(s)| + (1 - epsilon) [a greedy] / #greedy, where A(s) are the actions
    with a finite q (unavailable actions carry -inf) and ties share the greedy mass.
    """
    q_t = np.asarray(q_t, dtype=float)
    valid = np.isfinite(q_t)
    greedy = q_t == np.max(q_t, axis=-1, keepdims=True)
    explore = epsilon * valid / valid.sum(axis=-1, keepdims=True)
    return explore + (1.0 - epsilon) * greedy / greedy.sum(axis=-1, keepdims=True)


def epsilon_greedy_expectation(q_max: Any, q_mean: Any, epsilon: Any) -> Any:
    """sum_a pi(a|s) q(s, a) for the epsilon-greedy pi: (1 - epsilon) max_a q + epsilon mean_a q.

    The closed form of the expectation in Sutton & Barto eq. 6.9 (the greedy mass falls on
    actions sharing the maximum, the explored mass spreads evenly over the available actions).
    """
    return (1.0 - epsilon) * q_max + epsilon * q_mean


def expected_sarsa_target(q_t: Any, probs_t: Any, r_t: Any, discount_t: Any) -> Any:
    """Expected Sarsa target R_{t+1} + gamma sum_a pi(a|S_{t+1}) q(S_{t+1}, a).

    Sutton & Barto eq. 6.9: the expectation over the next action replaces the sample A_{t+1}
    of Sarsa's eq. 7.23; with a greedy pi it is Q-learning's target (eq. 7.24).
    """
    q_t = np.asarray(q_t, dtype=float)
    probs_t = np.asarray(probs_t, dtype=float)
    expected = np.sum(probs_t * np.where(probs_t > 0, q_t, 0.0), axis=-1)
    return td_target(np.asarray(r_t), np.asarray(discount_t), expected)


def discounted_returns(
    rewards: Sequence[float], gamma: float, bootstrap: float = 0.0
) -> np.ndarray:
    """Returns G_t = R_{t+1} + gamma G_{t+1} (eq. 7.3) of one episode, G_T = ``bootstrap``."""
    returns = np.empty(len(rewards))
    g = float(bootstrap)
    for t in range(len(rewards) - 1, -1, -1):
        g = td_target(rewards[t], gamma, g)
        returns[t] = g
    return returns


# ---------------------------------------------------------------------- action selection


def greedy_action(row: list[float], actions: Sequence[int], draw: Callable[[], float]) -> int:
    """argmax_a row[a] over ``actions`` (a Python list of q values), ties broken by ``draw()``.

    ``draw`` returns a uniform number in [0, 1); it is called only when several actions tie.
    """
    best = max(row)
    if row.count(best) == 1:
        return row.index(best)
    ties = [b for b in actions if row[b] == best]
    return ties[int(draw() * len(ties))]


def epsilon_greedy_action(
    row: list[float], actions: Sequence[int], epsilon: float, draw: Callable[[], float]
) -> int:
    """One epsilon-greedy action of a q row (invalid entries -inf), from uniforms ``draw()``.

    With the first uniform x: if x < epsilon, the action actions[floor(|A| x / epsilon)] (x /
    epsilon is uniform on [0, 1) given x < epsilon), else :func:`greedy_action`.
    """
    x = draw()
    if x < epsilon:
        return actions[int(x / epsilon * len(actions))]
    return greedy_action(row, actions, draw)


def argmax_random_ties(values: FloatArray, rng: np.random.Generator) -> IntArray:
    """The argmax over the last axis of ``values`` (n_runs, k), ties broken uniformly at random.

    A_i = argmax_a values[i, a]; when several arms share the maximum, each of them with equal
    probability. Random draws are made only for the runs with a tie (see ``greedy_arms``, which
    takes the arm-major layout (k, n_runs) that the strategies store).
    """
    return greedy_arms(np.ascontiguousarray(np.asarray(values, dtype=np.float64).T), rng)


def greedy_arms(values_by_arm: FloatArray, rng: np.random.Generator) -> IntArray:
    """argmax_a values[a, i] for every run i of an arm-major array (k, n_runs), random ties.

    The maximum over arms is a reduction along the long contiguous runs axis (fast); when every
    run has a single maximizing arm, its index is recovered as sum_a a [values[a, i] = max]
    (one matrix-vector product). Otherwise the runs with a tie draw k uniforms each and the
    tied arm with the largest one wins (uniform over the tied arms).
    """
    k, n_runs = values_by_arm.shape
    is_best = values_by_arm == values_by_arm.max(axis=0)
    if np.count_nonzero(is_best) == n_runs:  # exactly one maximum per run (no ties, no NaN)
        if k * n_runs > _SMALL:
            return (np.arange(k, dtype=np.float64) @ is_best).astype(np.int64)
        return is_best.argmax(axis=0)  # (faster than the product on small arrays)
    a = is_best.argmax(axis=0)
    tied = (is_best.sum(axis=0) > 1).nonzero()[0]
    if tied.size:
        a[tied] = (rng.random((k, tied.size)) * is_best[:, tied]).argmax(axis=0)
    return a


def epsilon_greedy_arms(
    q_by_arm: FloatArray, epsilon: float, rng: np.random.Generator, *, masked: bool = False
) -> IntArray:
    """One epsilon-greedy action per run of an arm-major q (k, n_runs).

    :func:`epsilon_greedy_action` on arrays: the greedy arms (:func:`greedy_arms`), then one
    uniform u per run; a run with u < epsilon explores the available arm number
    floor(|A| u / epsilon). Only the exploring runs (a fraction epsilon) are touched. With
    ``masked=True``, -inf entries of q mark unavailable arms (never chosen); otherwise every
    arm is available.
    """
    k, n_runs = q_by_arm.shape
    if epsilon == 1.0 and not masked:
        return np.asarray(rng.integers(k, size=n_runs), dtype=np.int64)
    greedy = greedy_arms(q_by_arm, rng)
    if epsilon == 0.0:
        return greedy
    u = np.asarray(rng.random(int(n_runs)))
    explore = (u < epsilon).nonzero()[0]
    if not masked:  # the explored number is the arm
        greedy[explore] = np.minimum(u[explore] * (k / epsilon), k - 1).astype(np.int64)
        return greedy
    available = q_by_arm[:, explore] > -np.inf
    n_available = available.sum(axis=0)
    number = np.minimum(u[explore] * (n_available / epsilon), n_available - 1).astype(np.int64)
    greedy[explore] = (available.cumsum(axis=0) > number).argmax(axis=0)
    return greedy


def exploration_caps(u: Any, epsilon: float) -> FloatArray:
    """The caps of :func:`epsilon_greedy_by_noise` from one uniform u per run.

    A run explores when u < epsilon (its cap: the lowest finite float), otherwise not (+inf).
    """
    return np.where(np.asarray(u) < epsilon, _LOWEST, np.inf)


def epsilon_greedy_by_noise(q_by_arm: FloatArray, caps: FloatArray, noise: FloatArray) -> IntArray:
    """One epsilon-greedy action per run of an arm-major q (k, n_runs), from pre-drawn uniforms.

    The same policy as :func:`epsilon_greedy_arms` (pi(a|s) = epsilon / |A(s)| + (1 - epsilon)
    [a greedy] / #greedy), drawn differently so that the uniforms can be drawn for many steps
    at once: a run explores with probability epsilon, and its candidates are then the available
    arms, otherwise the maximizing ones; the action is the candidate with the largest of the
    run's k uniforms ``noise`` (uniform over the candidates). The candidates are the arms with
    q >= min(max_a q, cap): the maximizing arms for a run whose cap is +inf, every available
    (finite) arm for an exploring run, whose cap is the lowest finite float
    (:func:`exploration_caps` makes the caps from a coin per run).

    Args:
        q_by_arm: q, shape (k, n_runs); -inf marks unavailable arms.
        caps: the runs' caps, shape (n_runs,).
        noise: uniforms in [0, 1), shape (k, n_runs).
    """
    floor = np.minimum(np.maximum.reduce(q_by_arm, 0), caps)
    return (noise + (q_by_arm >= floor)).argmax(axis=0)  # a candidate scores 1 + u > any other


_LOWEST = -np.finfo(np.float64).max  # below every finite q, above -inf


def ucb_scores(q: FloatArray, n: IntArray, t: int, c: float) -> FloatArray:
    """Upper confidence bounds Q_t(a) + c sqrt(ln t / N_t(a)) (S&B eq. 2.10).

    An arm never pulled (N_t(a) = 0) is a maximizing action: its score is +inf.

    Args:
        q: estimates Q_t, shape (n_runs, k) (or arm-major (k, n_runs)).
        n: pull counts N_t, of the shape of ``q``.
        t: the current time step, t >= 1.
        c: the degree of exploration c > 0.
    """
    bonus = c * np.sqrt(math.log(t) / np.maximum(n, 1))
    return np.where(n > 0, q + bonus, np.inf)


def softmax_policy(h: FloatArray) -> FloatArray:
    """pi_t(a) = exp(H_t(a)) / sum_b exp(H_t(b)) along the last axis (S&B eq. 2.11)."""
    z = np.exp(h - h.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------------- bandit estimates


def action_value_update(
    q_a: FloatArray, n_a: IntArray, r: FloatArray, step_size: float | None = None
) -> FloatArray:
    """Incremental estimate of the pulled arms' values (S&B eqs. 2.3-2.5; notes §7.1's Q_t).

    Q_{n+1} = Q_n + alpha_n [R_n - Q_n] (:func:`td_update` with target R_n), with alpha_n = 1/n
    the sample average (eqs. 2.3/2.4: Q_{n+1} = (1/n) sum_{i<=n} R_i, whatever Q_1) or a
    constant step size alpha (eq. 2.5: an exponential recency-weighted average, for
    non-stationary problems). alpha_n = 1 gives Q_{n+1} = R_n exactly, even from Q_1 = +-inf.

    Args:
        q_a: the estimates Q_n of the pulled arm of each run, shape (n_runs,).
        n_a: how many times that arm has been pulled, this pull included (n >= 1).
        r: the rewards R_n, shape (n_runs,).
        step_size: the constant alpha, or None for sample averages.

    Returns:
        Q_{n+1}, shape (n_runs,) (a new array).
    """
    if step_size is not None and step_size == 1.0:
        return np.array(r, dtype=np.float64)
    alpha = step_size if step_size is not None else 1.0 / n_a
    with np.errstate(invalid="ignore"):  # Q_n = +inf and alpha = 1: fixed below
        new = np.asarray(td_update(q_a, np.asarray(r, dtype=np.float64), alpha))
    if step_size is None:
        first = n_a == 1
        if first.any():
            np.copyto(new, r, where=first)
    return new


def gradient_bandit_update(
    h: FloatArray, pi: FloatArray, a: IntArray, r: FloatArray, baseline: FloatArray, alpha: float
) -> FloatArray:
    """Stochastic gradient ascent on the preferences (S&B eq. 2.12).

    H_{t+1}(a) = H_t(a) + alpha (R_t - Rbar_t)(1{a = A_t} - pi_t(a)) for every arm a: the
    pulled arm's preference rises by alpha (R_t - Rbar_t)(1 - pi_t(A_t)), the others' fall by
    alpha (R_t - Rbar_t) pi_t(a).

    Args:
        h: preferences H_t, shape (n_runs, k).
        pi: the policy pi_t that chose the actions, shape (n_runs, k).
        a: the pulled arms A_t, shape (n_runs,).
        r: the rewards R_t, shape (n_runs,).
        baseline: Rbar_t, shape (n_runs,) (zeros for no baseline).
        alpha: the step size alpha > 0.
    """
    indicator = np.zeros_like(h)
    np.put(indicator, a + h.shape[1] * np.arange(a.shape[0]), 1.0)
    return h + alpha * (r - baseline)[:, None] * (indicator - pi)


def beta_posterior_update(
    alpha_a: FloatArray, beta_a: FloatArray, r: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Conjugate Beta posterior of the pulled Bernoulli arms: Beta(alpha + R, beta + 1 - R).

    With a Beta(alpha, beta) prior on q*(a) and a reward R in {0, 1} of arm a, the posterior is
    Beta(alpha + R, beta + 1 - R): alpha counts successes, beta failures (plus the prior's
    pseudo-counts).

    Args:
        alpha_a: alpha of the pulled arm of each run, shape (n_runs,).
        beta_a: beta of the pulled arm of each run, shape (n_runs,).
        r: the rewards in {0, 1}, shape (n_runs,).

    Returns:
        The new (alpha, beta) of the pulled arms.
    """
    return alpha_a + r, beta_a + (1.0 - r)


def gaussian_posterior(
    q: FloatArray,
    n: IntArray,
    prior_mean: float,
    prior_std: float,
    noise_std: float,
) -> tuple[FloatArray, FloatArray]:
    """Posterior mean and std of q*(a) for Gaussian rewards of known noise sigma.

    With prior q*(a) ~ N(mu_0, sigma_0^2) and n_a rewards R ~ N(q*(a), sigma^2) of sample mean
    Q_a, the posterior is Gaussian with precision lambda_a = 1/sigma_0^2 + n_a/sigma^2 and mean
    (mu_0/sigma_0^2 + n_a Q_a/sigma^2) / lambda_a.

    Args:
        q: sample means Q (any value where n = 0), shape (n_runs, k).
        n: reward counts, shape (n_runs, k).
        prior_mean: mu_0.
        prior_std: sigma_0 > 0.
        noise_std: sigma > 0.

    Returns:
        (mean, std), each of the shape of ``n``.
    """
    precision = 1.0 / prior_std**2 + n / noise_std**2
    mean = (prior_mean / prior_std**2 + n * q / noise_std**2) / precision
    return mean, 1.0 / np.sqrt(precision)


# ---------------------------------------------------------------------- semi-gradient updates


def semi_gradient_increment(alpha: Any, delta: Any, gradient: Any) -> Any:
    """The step alpha delta grad v(S_t; theta) of eq. 7.25.

    The gradient is 1 for an active binary feature of a linear v, x(S_t) for a dense one,
    torch.autograd's for a network.
    """
    return (alpha * delta) * gradient


def linear_td_update(
    w: np.ndarray, x_tm1: np.ndarray, r_t: float, discount_t: float, x_t: np.ndarray, alpha: float
) -> np.ndarray:
    """Linear semi-gradient TD(0), eq. 7.25 with v(s; w) = w^T x(s) and grad v(s; w) = x(s).

    w <- w + alpha [r_t + discount_t w^T x_t - w^T x_{t-1}] x_{t-1} (S&B eqs. 9.7/9.13).

    Args:
        w: weights, shape (n_features,).
        x_tm1: features x(S_t) of the updated state.
        r_t: reward R_{t+1}.
        discount_t: gamma (1 - terminated).
        x_t: features x(S_{t+1}) of the next state (ignored when discount_t = 0).
        alpha: step size alpha > 0.

    Returns:
        The new weights (a new array).
    """
    w = np.asarray(w, dtype=float)
    delta = td_error(w @ x_tm1, r_t, discount_t, w @ x_t)
    return w + semi_gradient_increment(alpha, delta, np.asarray(x_tm1, dtype=float))


def linear_sarsa_update(
    w: np.ndarray,
    x_tm1: np.ndarray,
    a_tm1: int,
    r_t: float,
    discount_t: float,
    x_t: np.ndarray,
    a_t: int,
    alpha: float,
) -> np.ndarray:
    """Linear episodic semi-gradient Sarsa (Sutton & Barto eq. 10.1), q(s, a; w) = w_a^T x(s).

    w_{a_{t-1}} <- w_{a_{t-1}} + alpha [r_t + discount_t w_{a_t}^T x_t - w_{a_{t-1}}^T x_{t-1}]
    x_{t-1}; the other rows are unchanged (the gradient of q(s, a) with respect to w_b is x(s)
    for b = a, else 0).

    Args:
        w: weights, shape (n_actions, n_features).
        x_tm1: features x(S_t).
        a_tm1: the action A_t taken in S_t.
        r_t: reward R_{t+1}.
        discount_t: gamma (1 - terminated).
        x_t: features x(S_{t+1}).
        a_t: the next action A_{t+1} (ignored when discount_t = 0).
        alpha: step size alpha > 0.

    Returns:
        The new weights (a new array).
    """
    w = np.array(w, dtype=float)
    delta = td_error(w[a_tm1] @ x_tm1, r_t, discount_t, w[a_t] @ x_t)
    w[a_tm1] += semi_gradient_increment(alpha, delta, np.asarray(x_tm1, dtype=float))
    return w


def semi_gradient_step(
    parameters: Sequence[torch.Tensor], v_tm1: torch.Tensor, delta: float, alpha: float
) -> None:
    """Eq. 7.25 for any differentiable v: theta <- theta + alpha delta grad v(S_t; theta), in place.

    Args:
        parameters: the parameters theta (leaf tensors with ``requires_grad``).
        v_tm1: the scalar v(S_t; theta) (or q(S_t, A_t; theta)) with its autograd graph.
        delta: the TD error delta, computed without gradient (the target is held fixed).
        alpha: step size alpha > 0.
    """
    import torch

    grads = torch.autograd.grad(v_tm1, list(parameters))
    # A step beyond the dtype's range gives inf weights (caught as a NaN delta).
    with torch.no_grad():
        for theta, grad in zip(parameters, grads, strict=True):
            theta.add_(semi_gradient_increment(alpha, delta, grad))


# ---------------------------------------------------------------------- policy gradients
# The notes stop at value-based methods and name the other family in footnote 30 ("an agent
# tries a policy many times and judges only the final outcome"); the equations below follow
# Sutton & Barto ch. 13. The log-derivative trick they rest on is the one of seed 002's
# variational Monte Carlo: d<E_L>/d alpha_i = 2 (<(Psi_i/Psi) E_L> - <Psi_i/Psi><E_L>).


def softmax_log_gradient(pi_s: Any, a: Any) -> np.ndarray:
    """grad_h log pi(a|s) = e_a - pi(.|s) for softmax preferences h(s, .) (S&B eq. 13.9).

    The "eligibility vector" of a softmax policy in action preferences (S&B ex. 13.3; eq. 2.12
    of the gradient bandit is its bandit case).

    Args:
        pi_s: pi(.|s), shape (..., n_actions).
        a: the actions, shape (...).

    Returns:
        e_a - pi(.|s), shape (..., n_actions).
    """
    pi_s = np.asarray(pi_s, dtype=float)
    indicator = np.zeros_like(pi_s)
    np.put_along_axis(indicator, np.asarray(a, dtype=np.int64)[..., None], 1.0, axis=-1)
    return indicator - pi_s


def gaussian_log_density(a: Any, mean: Any, log_std: Any) -> Any:
    """The log-density log pi(a|s) of a diagonal Gaussian policy N(mean, sigma^2) (S&B 13.19).

    Summed over the last axis: -sum_i [(a_i - mu_i)^2 / (2 sigma_i^2) + log sigma_i + log(2 pi)/2].
    """
    a, mean, log_std = np.asarray(a, float), np.asarray(mean, float), np.asarray(log_std, float)
    z = (a - mean) * np.exp(-log_std)
    return -np.sum(0.5 * z**2 + log_std + 0.5 * math.log(2 * math.pi), axis=-1)


def gaussian_log_gradient(a: Any, mean: Any, log_std: Any) -> tuple[np.ndarray, np.ndarray]:
    """(d log pi / d mu, d log pi / d log sigma) of a Gaussian policy (S&B eq. 13.20).

    d/d mu = (a - mu) / sigma^2 and d/d log sigma = (a - mu)^2 / sigma^2 - 1, per action
    dimension; a mean mu = theta^T x(s) gives grad_theta log pi = x(s) (a - mu) / sigma^2.
    """
    a, mean, log_std = np.asarray(a, float), np.asarray(mean, float), np.asarray(log_std, float)
    inv_var = np.exp(-2.0 * log_std)
    return (a - mean) * inv_var, (a - mean) ** 2 * inv_var - 1.0


def reinforce_weights(advantages: Any, gamma: float) -> np.ndarray:
    """gamma^t (G_t - b(S_t)) for t = 0..T-1: REINFORCE with baseline (S&B eqs. 13.8, 13.11).

    The episode's policy-gradient estimate is sum_t gamma^t (G_t - b(S_t)) grad log pi(A_t|S_t),
    with the returns G_t of eq. 7.3 (:func:`discounted_returns`) and ``advantages`` = G_t -
    b(S_t); any baseline that does not depend on A_t leaves its expectation at grad J (S&B
    eq. 13.10). b = 0 is plain REINFORCE.
    """
    advantages = np.asarray(advantages, dtype=float)
    return gamma ** np.arange(len(advantages)) * advantages


def policy_gradient_theorem(eta: Any, pi: Any, q: Any, grad_log_pi: Any) -> np.ndarray:
    """The policy-gradient theorem: grad J = sum_s eta(s) sum_a pi(a|s) q_pi(s, a) grad log pi(a|s).

    S&B eq. 13.5 in its log-derivative form (eq. 13.6); eta(s) is the expected discounted
    number of visits of s per episode, sum_t gamma^t Pr(S_t = s) (with it the theorem is an
    equality, not a proportionality).

    Args:
        eta: eta(s), shape (n_states,).
        pi: pi(a|s), shape (n_states, n_actions).
        q: q_pi(s, a), shape (n_states, n_actions) (any finite value where pi = 0).
        grad_log_pi: grad_theta log pi(a|s), shape (n_states, n_actions, n_parameters).
    """
    weight = np.asarray(eta, float)[:, None] * np.asarray(pi, float)
    weight = weight * np.where(weight > 0, np.asarray(q, float), 0.0)
    return np.einsum("sa,sap->p", weight, np.asarray(grad_log_pi, float))


def actor_critic_step(alpha: Any, discounting: Any, delta: Any, grad_log_pi: Any) -> Any:
    """The one-step actor-critic step alpha I delta grad log pi(A_t|S_t) (S&B §13.5).

    delta is the TD error of the critic (:func:`td_error`, eq. 7.21) standing in for
    G_t - v(S_t), and I = gamma^t the discounting of the episode's step t.
    """
    return (alpha * discounting * delta) * grad_log_pi


# ---------------------------------------------------------------------- direct policy search


def cross_entropy_update(samples: Any, scores: Any, n_elite: int) -> tuple[np.ndarray, np.ndarray]:
    """The cross-entropy method's refit: mean and std of the ``n_elite`` best samples.

    Rubinstein's CEM for optimization (Szita & Lorincz 2006 for policies): sample parameter
    vectors theta_i ~ N(m, diag s^2), keep the elite of highest score F(theta_i) and refit
    m = mean(elite), s = std(elite) (per coordinate).

    Args:
        samples: theta_i, shape (n_samples, n_parameters).
        scores: F(theta_i), shape (n_samples,).
        n_elite: how many of the best to keep, in [1, n_samples].
    """
    samples = np.asarray(samples, dtype=float)
    elite = samples[np.argsort(-np.asarray(scores, dtype=float), kind="stable")[:n_elite]]
    return elite.mean(axis=0), elite.std(axis=0)


def evolution_strategy_gradient(noise: Any, scores: Any, sigma: float) -> np.ndarray:
    """grad_m E[F(m + sigma eps)] ~ (1 / (n sigma)) sum_i (F_i - mean F) eps_i (Salimans 2017).

    The search-gradient estimate of a Gaussian evolution strategy (Wierstra et al. 2014: for a
    fixed isotropic sigma it is also the natural gradient of the mean, up to sigma^2); the
    mean score is a baseline that leaves the expectation unchanged.

    Args:
        noise: eps_i ~ N(0, I), shape (n_samples, n_parameters).
        scores: F(m + sigma eps_i), shape (n_samples,).
        sigma: the search standard deviation > 0.
    """
    scores = np.asarray(scores, dtype=float)
    noise = np.asarray(noise, dtype=float)
    return (scores - scores.mean()) @ noise / (len(scores) * sigma)
