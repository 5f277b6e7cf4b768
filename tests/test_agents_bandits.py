"""Bandit strategies against hand-computed updates and Sutton & Barto's published testbed curves."""

import math

import gymnasium as gym
import numpy as np
import pytest
from scipy import stats

import labcoat.envs  # noqa: F401  (registers the ids)
from labcoat.agents.bandits import (
    UCB,
    EpsilonGreedy,
    GradientBandit,
    ThompsonSampling,
    bernoulli_kl,
    lai_robbins_constant,
    run_episode,
    run_testbed,
    spawn_seeds,
)
from labcoat.agents.rules import (
    action_value_update,
    argmax_random_ties,
    beta_posterior_update,
    gaussian_posterior,
    gradient_bandit_update,
    greedy_arms,
    softmax_policy,
    ucb_scores,
)

LATE = slice(-300, None)  # the last 300 of 1000 steps


@pytest.fixture(scope="module")
def testbed():
    """The 10-armed testbed, 1000 runs x 1000 steps (Sutton & Barto Figs. 2.2-2.4 use 2000)."""
    strategies = {
        "greedy": EpsilonGreedy(epsilon=0.0),
        "epsilon 0.1": EpsilonGreedy(epsilon=0.1),
        "optimistic": EpsilonGreedy(epsilon=0.0, step_size=0.1, initial_value=5.0),
        "ucb": UCB(c=2.0),
    }
    return {
        name: run_testbed(s, n_runs=1000, n_steps=1000, seed=1) for name, s in strategies.items()
    }


# ---------------------------------------------------------------- published curves


def test_epsilon_greedy_reaches_about_80_percent_and_beats_greedy(testbed):
    eps, greedy = testbed["epsilon 0.1"], testbed["greedy"]
    # S&B Fig. 2.2: eps = 0.1 ends near 80 % optimal action and ~1.35 average reward; greedy
    # stays near 1/3 and ~1.0
    assert 0.75 < eps.optimal_action_fraction[-100:].mean() < 0.85
    assert 1.25 < eps.average_reward[-100:].mean() < 1.45
    assert 0.28 < greedy.optimal_action_fraction[-100:].mean() < 0.45
    assert eps.average_reward[LATE].mean() > greedy.average_reward[LATE].mean() + 0.2
    # the first step is a random arm for both: 1/10 optimal, reward ~ 0
    assert abs(eps.optimal_action_fraction[0] - 0.1) < 0.03
    assert abs(eps.average_reward[0]) < 0.1


def test_ucb_and_optimistic_greedy_beat_epsilon_greedy_late(testbed):
    eps = testbed["epsilon 0.1"]
    # S&B Fig. 2.4: UCB (c = 2) has the higher average reward after the first steps
    assert testbed["ucb"].average_reward[LATE].mean() > eps.average_reward[LATE].mean() + 0.05
    # S&B Fig. 2.3: optimistic greedy (Q1 = 5, alpha = 0.1) ends with more optimal actions
    optimistic = testbed["optimistic"].optimal_action_fraction[LATE].mean()
    assert optimistic > eps.optimal_action_fraction[LATE].mean() + 0.03
    # ... after a worse start: optimism explores all arms during the first steps
    assert testbed["optimistic"].optimal_action_fraction[:10].mean() < 0.3


def test_ucb_spike_at_step_11(testbed):
    # S&B exercise 2.8: after trying the 10 arms once, step 11 pulls the best estimate
    reward = testbed["ucb"].average_reward
    assert reward[10] > reward[9] + 0.5 and reward[10] > reward[12]


def test_gradient_bandit_with_baseline_beats_without():
    # S&B Fig. 2.5: q* ~ N(4, 1); with baseline ~80 % optimal, without ~50 % (alpha = 0.1)
    curves = {
        baseline: run_testbed(
            GradientBandit(alpha=0.1, baseline=baseline), n_runs=500, q_star_mean=4.0, seed=2
        )
        .optimal_action_fraction[LATE]
        .mean()
        for baseline in (True, False)
    }
    assert curves[True] > 0.75
    assert curves[True] > curves[False] + 0.2


def test_thompson_sampling_has_lower_regret_than_epsilon_greedy_on_bernoulli_arms():
    kwargs = dict(n_runs=300, n_steps=1000, seed=3, reward_distribution="bernoulli")
    thompson = run_testbed(ThompsonSampling(), **kwargs)
    eps = run_testbed(EpsilonGreedy(epsilon=0.1), **kwargs)
    assert thompson.cumulative_regret[-1] < 0.6 * eps.cumulative_regret[-1]
    np.testing.assert_allclose(thompson.total_regret.mean(), thompson.cumulative_regret[-1])


def test_constant_step_size_tracks_a_nonstationary_bandit_better():
    # S&B exercise 2.5: on random-walk values, alpha = 0.1 beats sample averages
    kwargs = dict(n_runs=200, n_steps=3000, seed=4, nonstationary=True)
    constant = run_testbed(EpsilonGreedy(epsilon=0.1, step_size=0.1), **kwargs)
    average = run_testbed(EpsilonGreedy(epsilon=0.1), **kwargs)
    late = slice(-1000, None)
    assert constant.average_reward[late].mean() > average.average_reward[late].mean() + 0.04
    optimal = constant.optimal_action_fraction[late].mean()
    assert optimal > average.optimal_action_fraction[late].mean() + 0.1


# ---------------------------------------------------------------- update rules, by hand


def test_action_value_update_sample_average_and_constant_step():
    q_a = np.array([0.0, 2.0, 5.0])
    n_a = np.array([1, 2, 4])
    r = np.array([3.0, 4.0, 1.0])
    # Q + (R - Q)/n: 0 + 3/1, 2 + 2/2, 5 - 4/4
    np.testing.assert_allclose(action_value_update(q_a, n_a, r), [3.0, 3.0, 4.0])
    # Q + 0.5 (R - Q)
    np.testing.assert_allclose(action_value_update(q_a, n_a, r, 0.5), [1.5, 3.0, 3.0])
    # an infinite Q_1 is forgotten after the first reward (Q_2 = R_1)
    assert action_value_update(np.array([np.inf]), np.array([1]), np.array([0.7]))[0] == 0.7
    # sample averages: Q after n rewards is their mean
    rewards = np.array([0.3, -1.2, 2.5, 0.1])
    q = np.array([7.0])
    for i, reward in enumerate(rewards, start=1):
        q = action_value_update(q, np.array([i]), np.array([reward]))
    np.testing.assert_allclose(q, rewards.mean())


def test_strategy_learns_the_sample_means_of_each_arm():
    agent = EpsilonGreedy(epsilon=1.0).reset(n_arms=3, n_runs=2, seed=0)
    actions = np.array([[0, 2], [0, 2], [1, 0]])
    rewards = np.array([[1.0, 4.0], [3.0, 6.0], [-2.0, 0.5]])
    for a, r in zip(actions, rewards, strict=True):
        agent.update_batch(a, r)
    np.testing.assert_allclose(agent.q, [[2.0, -2.0, 0.0], [0.5, 0.0, 5.0]])
    np.testing.assert_array_equal(agent.n, [[2, 1, 0], [1, 0, 2]])


def test_ucb_scores_by_hand():
    q = np.array([[1.0, 0.5, 0.0]])
    n = np.array([[4, 1, 0]])
    t = 6
    expected = [1.0 + 2 * math.sqrt(math.log(6) / 4), 0.5 + 2 * math.sqrt(math.log(6)), np.inf]
    np.testing.assert_allclose(ucb_scores(q, n, t, 2.0), [expected])


def test_softmax_and_gradient_bandit_update_by_hand():
    h = np.array([[0.0, math.log(3.0)]])
    pi = softmax_policy(h)
    np.testing.assert_allclose(pi, [[0.25, 0.75]])
    # H(A) += alpha (R - Rbar)(1 - pi(A)); H(b) -= alpha (R - Rbar) pi(b)
    new = gradient_bandit_update(h, pi, np.array([0]), np.array([2.0]), np.array([1.0]), 0.4)
    np.testing.assert_allclose(new, [[0.4 * 1.0 * 0.75, math.log(3.0) - 0.4 * 1.0 * 0.75]])
    np.testing.assert_allclose(softmax_policy(np.array([[1000.0, 1000.0]])), [[0.5, 0.5]])


def test_gradient_bandit_baseline_is_the_average_of_past_rewards():
    agent = GradientBandit(alpha=0.5).reset(n_arms=2, seed=0)
    agent.select_action()
    agent.update(0, 2.0)  # Rbar_1 = R_1: no change of preferences
    np.testing.assert_allclose(agent.h, [[0.0, 0.0]])
    agent.select_action()
    agent.update(1, 4.0)  # Rbar_2 = 2: H(1) += 0.5 * 2 * (1 - 0.5), H(0) -= 0.5 * 2 * 0.5
    np.testing.assert_allclose(agent.h, [[-0.5, 0.5]])
    np.testing.assert_allclose(agent.average_reward, [3.0])


def test_gradient_bandit_samples_from_its_softmax_policy():
    agent = GradientBandit().reset(n_arms=3, n_runs=60_000, seed=1)
    agent.h = np.tile(np.log([1.0, 2.0, 5.0]), (60_000, 1))
    counts = np.bincount(agent.select_actions(), minlength=3)
    assert stats.chisquare(counts, 60_000 * np.array([0.125, 0.25, 0.625])).pvalue > 1e-4


def test_beta_and_gaussian_posteriors_by_hand():
    alpha, beta = beta_posterior_update(
        np.array([1.0, 2.0]), np.array([1.0, 3.0]), np.array([1.0, 0.0])
    )
    np.testing.assert_allclose(alpha, [2.0, 2.0])
    np.testing.assert_allclose(beta, [1.0, 4.0])
    # prior N(0, 1), noise 1, three rewards of mean 2: precision 4, mean 6/4
    mean, std = gaussian_posterior(np.array([[2.0, 9.0]]), np.array([[3, 0]]), 0.0, 1.0, 1.0)
    np.testing.assert_allclose(mean, [[1.5, 0.0]])
    np.testing.assert_allclose(std, [[0.5, 1.0]])


def test_bernoulli_kl_and_lai_robbins_constant():
    np.testing.assert_allclose(
        bernoulli_kl(0.3, 0.6), stats.entropy([0.3, 0.7], [0.6, 0.4]), rtol=1e-12
    )
    kl_1 = 0.2 * math.log(0.2 / 0.8) + 0.8 * math.log(0.8 / 0.2)
    kl_2 = 0.5 * math.log(0.5 / 0.8) + 0.5 * math.log(0.5 / 0.2)
    assert lai_robbins_constant([0.2, 0.8, 0.5]) == pytest.approx(0.6 / kl_1 + 0.3 / kl_2)
    assert lai_robbins_constant([0.4, 1.0]) == 0.0  # KL(p || 1) = inf
    with pytest.raises(ValueError, match="probabilities"):
        lai_robbins_constant([0.2, 1.3])


def test_argmax_breaks_ties_uniformly():
    rng = np.random.default_rng(0)
    values = np.tile([1.0, 3.0, 3.0, 0.0, 3.0], (30_000, 1))
    values[::2] = [5.0, 0.0, 0.0, 0.0, 0.0]
    a = argmax_random_ties(values, rng)
    assert np.all(a[::2] == 0)
    counts = np.bincount(a[1::2], minlength=5)
    assert counts[0] == counts[3] == 0
    assert stats.chisquare(counts[[1, 2, 4]]).pvalue > 1e-4


def test_greedy_arms_is_argmax_over_the_arm_axis():
    rng = np.random.default_rng(4)
    values = rng.standard_normal((7, 5000))  # arm-major (k, n_runs), no ties
    np.testing.assert_array_equal(greedy_arms(values, rng), np.argmax(values, axis=0))
    values[:, :10] = np.inf  # +inf ties (untried arms with Q_1 = inf) are ties too
    values[3, 10] = np.inf
    a = greedy_arms(values, rng)
    assert a[10] == 3 and len(set(a[:10].tolist())) > 1


def test_epsilon_greedy_explored_arms_are_uniform_over_all_arms():
    agent = EpsilonGreedy(epsilon=0.5).reset(n_arms=4, n_runs=80_000, seed=9)
    agent.q = np.tile([0.0, 1.0, 0.0, 0.0], (80_000, 1))
    counts = np.bincount(agent.select_actions(), minlength=4)
    expected = 80_000 * np.array([0.125, 0.625, 0.125, 0.125])  # ε/k each, 1 − ε + ε/k greedy
    assert stats.chisquare(counts, expected).pvalue > 1e-4
    with pytest.raises(ValueError, match="shape"):
        agent.q = np.zeros((3, 4))


def test_epsilon_greedy_and_ucb_same_seed_same_curves():
    for strategy in (EpsilonGreedy(0.1), EpsilonGreedy(0.0), UCB(1.0)):
        runs = [run_testbed(strategy, n_runs=300, n_steps=200, seed=s) for s in (3, 3, 4)]
        np.testing.assert_array_equal(runs[0].average_reward, runs[1].average_reward)
        np.testing.assert_array_equal(runs[0].total_regret, runs[1].total_regret)
        assert not np.array_equal(runs[0].average_reward, runs[2].average_reward)


def test_epsilon_greedy_explores_with_probability_epsilon():
    agent = EpsilonGreedy(epsilon=0.3).reset(n_arms=4, n_runs=50_000, seed=2)
    agent.q = np.tile([0.0, 1.0, 0.0, 0.0], (50_000, 1))
    non_greedy = np.mean(agent.select_actions() != 1)
    assert abs(non_greedy - 0.3 * 3 / 4) < 0.01  # uniform over all k arms


def test_ucb_first_k_pulls_try_every_arm():
    agent = UCB(c=0.5).reset(n_arms=10, n_runs=500, seed=3)
    pulls = []
    rng = np.random.default_rng(0)
    for _ in range(10):
        a = agent.select_actions()
        pulls.append(a)
        agent.update_batch(a, rng.standard_normal(500))
    pulls = np.array(pulls).T
    np.testing.assert_array_equal(np.sort(pulls, axis=1), np.tile(np.arange(10), (500, 1)))
    assert len({tuple(p) for p in pulls}) > 400  # in random order


def test_infinite_initial_value_tries_every_arm_then_exploits():
    agent = EpsilonGreedy(epsilon=0.0, initial_value=math.inf).reset(n_arms=4, seed=0)
    rewards = [0.2, 0.9, 0.1, 0.5]
    first = []
    for _ in range(4):
        a = agent.select_action()
        first.append(a)
        agent.update(a, rewards[a])
    assert sorted(first) == [0, 1, 2, 3]
    assert agent.select_action() == 1


# ---------------------------------------------------------------- single env, seeds, errors


@pytest.mark.parametrize(
    "strategy",
    [
        EpsilonGreedy(0.1),
        EpsilonGreedy(0.0, step_size=0.1, initial_value=5.0),
        UCB(2.0),
        GradientBandit(0.1),
        ThompsonSampling("gaussian"),
    ],
)
def test_single_env_episode_equals_batched_run_with_one_run(strategy):
    single = run_episode(strategy, gym.make("labcoat/Bandit-v0", n_steps=200), seed=5)
    batched = run_testbed(strategy, n_runs=1, n_steps=200, seed=5)
    for field in ("average_reward", "optimal_action_fraction", "average_regret", "total_regret"):
        np.testing.assert_array_equal(getattr(single, field), getattr(batched, field))


def test_treatment_bandit_episode_equals_bernoulli_testbed():
    p = [0.3, 0.5, 0.45, 0.7]
    env = gym.make("labcoat/TreatmentBandit-v0", recovery_probabilities=p, n_patients=300)
    single = run_episode(ThompsonSampling(), env, seed=6)
    batched = run_testbed(
        ThompsonSampling(),
        n_runs=1,
        n_steps=300,
        k=4,
        seed=6,
        reward_distribution="bernoulli",
        q_star=p,
    )
    np.testing.assert_array_equal(single.average_reward, batched.average_reward)
    np.testing.assert_array_equal(single.average_regret, batched.average_regret)
    assert set(np.unique(single.average_reward)) <= {0.0, 1.0}


def test_same_seed_same_arrays_other_seed_other_arrays():
    runs = [run_testbed(GradientBandit(0.2), n_runs=50, n_steps=100, seed=s) for s in (7, 7, 8)]
    np.testing.assert_array_equal(runs[0].average_reward, runs[1].average_reward)
    np.testing.assert_array_equal(runs[0].optimal_action_fraction, runs[1].optimal_action_fraction)
    assert not np.array_equal(runs[0].average_reward, runs[2].average_reward)
    env_seed, agent_seed = spawn_seeds(7)
    assert env_seed != agent_seed and spawn_seeds(7) == (env_seed, agent_seed)


def test_record_runs_gives_each_runs_cumulative_regret():
    result = run_testbed(UCB(), n_runs=20, n_steps=50, seed=0, record_runs=True)
    runs = result.cumulative_regret_runs
    assert runs.shape == (50, 20)
    np.testing.assert_allclose(runs[-1], result.total_regret)
    np.testing.assert_allclose(runs.mean(axis=1), result.cumulative_regret)


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: EpsilonGreedy(epsilon=1.5), "epsilon"),
        (lambda: EpsilonGreedy(epsilon=-0.1), "epsilon"),
        (lambda: EpsilonGreedy(step_size=0.0), "step_size"),
        (lambda: EpsilonGreedy(step_size=0.1, initial_value=math.inf), "initial_value"),
        (lambda: EpsilonGreedy(initial_value=math.nan), "initial_value"),
        (lambda: UCB(c=0.0), "c"),
        (lambda: UCB(c=math.inf), "c"),
        (lambda: GradientBandit(alpha=-1.0), "alpha"),
        (lambda: ThompsonSampling(likelihood="poisson"), "likelihood"),
        (lambda: ThompsonSampling(prior_alpha=0.0), "prior_alpha"),
        (lambda: ThompsonSampling(likelihood="gaussian", noise_std=-1.0), "noise_std"),
        (lambda: EpsilonGreedy().reset(n_arms=1), "n_arms"),
        (lambda: EpsilonGreedy().reset(n_arms=3, n_runs=0), "n_runs"),
        (lambda: run_testbed(EpsilonGreedy(), n_runs=0), "n_runs"),
        (lambda: run_testbed(EpsilonGreedy(), n_runs=2, seed=-1), "seed"),
    ],
)
def test_bad_hyperparameters_raise_value_error_naming_them(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_misuse_is_reported():
    agent = EpsilonGreedy().reset(n_arms=3, n_runs=2, seed=0)
    with pytest.raises(ValueError, match="n_runs = 1"):
        agent.select_action()
    with pytest.raises(ValueError, match="actions"):
        agent.update_batch(np.array([0, 3]), np.array([1.0, 1.0]))
    with pytest.raises(RuntimeError, match="reset"):
        UCB().select_actions()
    thompson = ThompsonSampling().reset(n_arms=2, seed=0)
    with pytest.raises(ValueError, match="0 or 1"):
        thompson.update(0, 0.5)
    with pytest.raises(TypeError, match="baseline"):
        GradientBandit(baseline=1)
