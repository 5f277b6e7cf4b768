"""labcoat.agents.rules: the equations by hand, on floats and arrays; the agents call them."""

import gymnasium as gym
import numpy as np
import pytest
from scipy import stats

from labcoat.agents.bandits import UCB, EpsilonGreedy, GradientBandit, ThompsonSampling
from labcoat.agents.policies import EpsilonGreedyPolicy, RandomPolicy, action_function
from labcoat.agents.rules import (
    action_value_update,
    beta_posterior_update,
    categorical_sample,
    epsilon_greedy_action,
    epsilon_greedy_arms,
    epsilon_greedy_expectation,
    epsilon_greedy_probabilities,
    gaussian_posterior,
    gradient_bandit_update,
    greedy_arms,
    softmax_policy,
    step_size,
    td_error,
    td_target,
    td_update,
    ucb_scores,
)
from labcoat.envs import _tabular as envs_tabular


def test_scalar_rules_give_floats_and_the_same_numbers_on_arrays():
    r, discount, v_t, v_tm1 = [1.0, -2.0], [0.9, 0.0], [3.0, 5.0], [0.5, 1.0]
    scalars = [td_error(v_tm1[i], r[i], discount[i], v_t[i]) for i in range(2)]
    assert all(type(x) is float for x in scalars)
    np.testing.assert_allclose(scalars, [1 + 0.9 * 3 - 0.5, -2 - 1.0])
    arrays = td_error(np.array(v_tm1), np.array(r), np.array(discount), np.array(v_t))
    np.testing.assert_allclose(arrays, scalars, rtol=0, atol=1e-15)
    assert td_target(1.0, 0.5, 4.0) == pytest.approx(3.0)
    assert td_update(1.0, 3.0, 0.25) == pytest.approx(1.5)
    assert step_size(0.3, None, 7) == pytest.approx(0.3)
    assert step_size(0.3, 0.5, 4) == pytest.approx(0.5)
    np.testing.assert_allclose(step_size(0.3, 1.0, np.array([1, 2, 4])), [1.0, 0.5, 0.25])


def test_epsilon_greedy_expectation_is_the_mean_under_the_probabilities():
    q = np.array([[1.0, 3.0, 2.0, -np.inf], [0.5, 0.5, -1.0, 0.0]])
    for epsilon in (0.0, 0.3, 1.0):
        probs = epsilon_greedy_probabilities(q, epsilon)
        expected = np.sum(probs * np.where(probs > 0, q, 0.0), axis=1)
        finite = np.where(np.isfinite(q), q, np.nan)
        closed = epsilon_greedy_expectation(np.nanmax(finite, 1), np.nanmean(finite, 1), epsilon)
        np.testing.assert_allclose(closed, expected, rtol=1e-12)


def test_scalar_epsilon_greedy_action_frequencies():
    """pi(a|s) of epsilon_greedy_probabilities, ties shared, -inf never chosen (chi-square)."""
    row = [1.0, 3.0, 3.0, -np.inf, 0.0]
    actions = (0, 1, 2, 4)
    draw = np.random.default_rng(0).random(200_000).tolist()[::-1].pop
    counts = np.bincount([epsilon_greedy_action(row, actions, 0.4, draw) for _ in range(60_000)])
    counts = np.pad(counts, (0, 5 - len(counts)))
    probs = epsilon_greedy_probabilities(np.array(row), 0.4)
    assert counts[3] == 0
    keep = probs > 0
    assert stats.chisquare(counts[keep], probs[keep] * counts.sum()).pvalue > 1e-3


def test_batched_epsilon_greedy_explores_only_available_arms_uniformly():
    """With -inf entries the explored arm is uniform over the available ones (chi-square)."""
    n_runs = 60_000
    q_rows = np.tile([0.0, -np.inf, 2.0, 1.0, -np.inf], (n_runs, 1))
    q_rows[: n_runs // 2, 0] = 5.0  # half the runs: another greedy arm
    actions = epsilon_greedy_arms(
        np.ascontiguousarray(q_rows.T), 0.5, np.random.default_rng(1), masked=True
    )
    for rows, greedy in ((slice(0, n_runs // 2), 0), (slice(n_runs // 2, None), 2)):
        counts = np.bincount(actions[rows], minlength=5)
        probs = epsilon_greedy_probabilities(q_rows[rows][0], 0.5)
        assert counts[1] == counts[4] == 0 and probs[greedy] == pytest.approx(0.5 + 0.5 / 3)
        keep = probs > 0
        assert stats.chisquare(counts[keep], probs[keep] * counts.sum()).pvalue > 1e-3


def _pulls(n_runs: int, k: int, seed: int, bernoulli: bool = False):
    rng = np.random.default_rng(seed)
    a = rng.integers(k, size=n_runs)
    r = rng.integers(2, size=n_runs).astype(float) if bernoulli else rng.normal(size=n_runs)
    return a, r


@pytest.mark.parametrize("step", [None, 0.3])
def test_value_strategies_update_is_action_value_update_by_hand(step):
    """EpsilonGreedy and UCB: one update_batch equals action_value_update on the pulled arms."""
    for strategy in (EpsilonGreedy(0.1, step_size=step, initial_value=0.5), UCB(step_size=step)):
        strategy.reset(n_arms=4, n_runs=50, seed=0)
        for t in range(5):
            _update_by_hand(strategy, *_pulls(50, 4, t), step)


def _update_by_hand(strategy, a, r, step):
    """One update_batch of a value strategy against action_value_update on the pulled arms."""
    q, n = strategy.q.copy(), strategy.n.copy()
    strategy.update_batch(a, r)
    rows = np.arange(len(a))
    n[rows, a] += 1
    q[rows, a] = action_value_update(q[rows, a], n[rows, a], r, step)
    np.testing.assert_array_equal(strategy.n, n)
    np.testing.assert_allclose(strategy.q, q, rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    "strategy",
    [EpsilonGreedy(0.2), UCB(c=1.5), ThompsonSampling("gaussian", prior_std=2.0)],
    ids=["epsilon-greedy", "ucb", "gaussian-thompson"],
)
def test_value_strategies_select_by_the_rules_by_hand(strategy):
    """Each pull is the rules' choice from the same uniforms; each update action_value_update."""
    strategy.reset(n_arms=4, n_runs=40, seed=3)
    for t in range(6):
        rng = np.random.default_rng()
        rng.bit_generator.state = strategy.rng.bit_generator.state
        q, n = np.ascontiguousarray(strategy.q.T), np.ascontiguousarray(strategy.n.T)
        if isinstance(strategy, EpsilonGreedy):
            expected = epsilon_greedy_arms(q, 0.2, rng)
        elif isinstance(strategy, UCB):
            expected = greedy_arms(ucb_scores(q, n, t + 1, 1.5), rng)
        else:
            mean, std = gaussian_posterior(q, n, 0.0, 2.0, 1.0)
            expected = greedy_arms(mean + std * rng.standard_normal(mean.shape), rng)
        a = strategy.select_actions()
        np.testing.assert_array_equal(a, expected)
        _update_by_hand(strategy, a, np.cos(3.0 * a + t), None)


def test_gradient_bandit_update_is_the_rule_by_hand():
    strategy = GradientBandit(alpha=0.2, baseline=True).reset(n_arms=3, n_runs=20, seed=0)
    r_bar = None
    for t in range(1, 6):
        chosen = strategy.select_actions()
        a, r = _pulls(20, 3, t)
        h = strategy.h.copy()
        pi = softmax_policy(h)
        r_bar = r.copy() if r_bar is None else r_bar
        strategy.update_batch(a, r)
        np.testing.assert_allclose(strategy.h, gradient_bandit_update(h, pi, a, r, r_bar, 0.2))
        r_bar = r_bar + (r - r_bar) / t
        assert chosen.shape == (20,)


def test_categorical_sample_is_the_inverse_cdf_by_hand_on_floats_and_arrays():
    p = [0.2, 0.0, 0.5, 0.3]
    c = np.cumsum(p).tolist()  # [0.2, 0.2, 0.7, 1.0]
    cases = {0.0: 0, 0.1: 0, 0.2: 2, 0.45: 2, 0.7: 3, 0.99: 3, c[-1]: 3}  # u = c_j moves on
    for u, k in cases.items():
        assert categorical_sample(c, u) == k
        assert type(categorical_sample(c, u)) is int
    u = np.array(list(cases))
    rows = np.tile(c, (len(u), 1))
    np.testing.assert_array_equal(categorical_sample(rows, u), list(cases.values()))
    # an outcome of probability 0 is never drawn, also first (u = 0) or last
    assert categorical_sample([0.0, 1.0], 0.0) == 1
    assert categorical_sample(np.array([[0.0, 1.0, 1.0]]), np.zeros(1))[0] == 1
    # frequencies: p_k within 5 standard errors
    u = np.random.default_rng(0).random(40_000)
    counts = np.bincount(categorical_sample(np.tile(c, (len(u), 1)), u), minlength=4)
    np.testing.assert_allclose(counts / len(u), p, atol=5 * np.sqrt(0.25 / len(u)))
    # many draws of one distribution (a 1-D c): the same outcomes as the tiled rows
    np.testing.assert_array_equal(
        categorical_sample(np.array(c), u), categorical_sample(np.tile(c, (len(u), 1)), u)
    )


def test_one_inverse_cdf_rule_for_envs_and_agents():
    """agents.rules re-exports the envs' sampler; the env step and the batched table use it."""
    assert categorical_sample is envs_tabular.categorical_sample
    env = gym.make("labcoat/GridWorld-v0", size=4, slip=0.4)
    table = env.unwrapped.P
    sampler = envs_tabular.TransitionSampler(table, 16, 4)
    outcomes = envs_tabular.Outcomes.from_table(table, np.ones((16, 4), dtype=bool))
    rng = np.random.default_rng(3)
    s, a, u = rng.integers(16, size=300), rng.integers(4, size=300), rng.random(300)
    by_hand = [
        table[i][j][categorical_sample(np.cumsum([t.prob for t in table[i][j]]).tolist(), x)]
        for i, j, x in zip(s.tolist(), a.tolist(), u.tolist(), strict=True)
    ]
    assert [sampler.sample(i, j, x) for i, j, x in zip(s, a, u.tolist(), strict=True)] == by_hand
    next_state, reward, terminated = outcomes.sample(s, a, u)
    assert next_state.tolist() == [t.next_state for t in by_hand]
    assert reward.tolist() == [t.reward for t in by_hand]
    assert terminated.tolist() == [t.terminated for t in by_hand]


def test_gradient_bandit_and_matrix_policy_sample_with_categorical_sample():
    strategy = GradientBandit(alpha=0.3).reset(n_arms=4, n_runs=50, seed=5)
    for t in range(1, 20):
        rng = np.random.default_rng()
        rng.bit_generator.state = strategy.rng.bit_generator.state
        expected = categorical_sample(softmax_policy(strategy.h).cumsum(axis=1), rng.random(50))
        a = strategy.select_actions()
        np.testing.assert_array_equal(a, expected)
        strategy.update_batch(a, np.sin(a + t).astype(float))
    pi = np.random.default_rng(1).dirichlet(np.ones(3), size=4)
    act = action_function(pi, seed=7)
    u = np.random.default_rng(7).random(200)  # the policy's uniform stream, in order
    states = [i % 4 for i in range(200)]
    rows = np.cumsum(pi, axis=1).tolist()
    expected = [
        categorical_sample(rows[s], float(u[i]) * rows[s][-1]) for i, s in enumerate(states)
    ]
    assert [act(s) for s in states] == expected


def test_thompson_bernoulli_update_is_the_beta_posterior_by_hand():
    strategy = ThompsonSampling("bernoulli", prior_alpha=2.0, prior_beta=0.5)
    strategy.reset(n_arms=3, n_runs=30, seed=0)
    for t in range(4):
        a, r = _pulls(30, 3, t, bernoulli=True)
        alpha, beta = strategy.alpha.copy(), strategy.beta.copy()
        strategy.update_batch(a, r)
        rows = np.arange(30)
        alpha[rows, a], beta[rows, a] = beta_posterior_update(alpha[rows, a], beta[rows, a], r)
        np.testing.assert_allclose(strategy.alpha, alpha)
        np.testing.assert_allclose(strategy.beta, beta)


def test_epsilon_greedy_policy_shares_the_greedy_mass_between_ties():
    """EpsilonGreedyPolicy samples and reports the rules' pi: tied greedy actions share it."""
    q = np.array([[2.0, 2.0, -np.inf, 0.0]])
    policy = EpsilonGreedyPolicy(q, 0.3, seed=0)
    probs = policy.probabilities()
    np.testing.assert_allclose(probs, [[0.45, 0.45, 0.0, 0.1]])
    counts = np.bincount([policy.predict(0)[0] for _ in range(20_000)], minlength=4)
    assert counts[2] == 0
    assert stats.chisquare(counts[[0, 1, 3]], probs[0, [0, 1, 3]] * 20_000).pvalue > 1e-3


def test_random_policy_samples_the_actions_the_step_info_allows():
    env = gym.make("CliffWalking-v1")
    policy = RandomPolicy(env, seed=0)
    mask = np.array([0, 1, 0, 1], dtype=np.int8)
    draws = np.bincount(
        [policy.sample(0, {"action_mask": mask}) for _ in range(4_000)], minlength=4
    )
    assert draws[0] == draws[2] == 0 and abs(draws[1] / 4_000 - 0.5) < 4 * np.sqrt(0.25 / 4_000)
    with pytest.raises(ValueError, match="action_mask"):
        policy.sample(0, {"action_mask": np.zeros(4, dtype=np.int8)})


def test_one_search_over_all_rows_is_categorical_sample_of_each_row():
    """Outcomes.sample_flat (the batched runs' transitions) draws categorical_sample's outcome
    of the pair's row for the same u: random tables with zero-probability outcomes, 200 000
    draws, and the edge cases u = 0, u = c_ij (moves on) and u just below 1 (the last outcome
    of positive probability)."""
    rng = np.random.default_rng(4)
    prob = rng.random((30, 4, 5)) * (rng.random((30, 4, 5)) < 0.6)
    prob[..., 2] += 0.1  # every row has some mass
    prob /= prob.sum(axis=2, keepdims=True)
    zeros = np.zeros(prob.shape, dtype=int)
    outcomes = envs_tabular.Outcomes(prob, zeros, zeros.astype(float), zeros.astype(bool))
    c = outcomes.cumulative.reshape(120, 5)
    rows = rng.integers(120, size=200_000)
    u = np.concatenate([rng.random(199_000), np.zeros(500), np.full(500, 1 - 2**-53)])
    on = c[rows[:5_000], rng.integers(4, size=5_000)]  # exactly on a running sum below the
    u[:5_000] = np.where(on < c[rows[:5_000], -1], on, u[:5_000])  # total (u < c_last)
    flat = outcomes.sample_flat(rows, u / 2)
    np.testing.assert_array_equal(flat // 5, rows)
    # outcome j, or the one a zero-probability padding entry j stands for (as in from_table)
    real = np.maximum.accumulate(np.where(prob > 0, np.arange(5), -1), axis=2).reshape(120, 5)
    k = categorical_sample(c[rows], u)
    np.testing.assert_array_equal(real[rows, flat % 5], real[rows, k])
    assert (prob.reshape(120, 5)[rows, flat % 5] > 0).all()  # never a zero-probability one
    np.testing.assert_array_equal(flat[:199_500] % 5, k[:199_500])  # all but u ~ 1: exact
