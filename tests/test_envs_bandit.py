"""Bandit-v0 (single and vectorized) and TreatmentBandit-v0 against their stated distributions."""

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import labcoat.envs  # noqa: F401  (registers the ids)
from labcoat.envs.bandit import BanditEnv, BanditVectorEnv
from labcoat.envs.treatment_bandit import TreatmentBanditEnv


def make_vec(num_envs, **kwargs):
    return gym.make_vec(
        "labcoat/Bandit-v0", num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs
    )


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        ("labcoat/Bandit-v0", {}),
        ("labcoat/Bandit-v0", {"reward_distribution": "bernoulli"}),
        ("labcoat/Bandit-v0", {"nonstationary": True}),
        ("labcoat/TreatmentBandit-v0", {}),
        ("labcoat/TreatmentBandit-v0", {"recovery_probabilities": [0.1, 0.4]}),
    ],
)
def test_gymnasium_and_sb3_checkers_pass_without_warnings(env_id, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gym.make(env_id, **kwargs).unwrapped)
        sb3_check_env(gym.make(env_id, **kwargs))


def test_gaussian_reward_moments_match_q_star():
    env = BanditEnv(n_steps=40_000)
    env.reset(seed=1)
    q = env.q_star.copy()
    rewards = np.array([env.step(3)[1] for _ in range(40_000)])
    # mean q*(3), variance 1; standard errors 1/200 and sqrt(2)/200
    assert abs(rewards.mean() - q[3]) < 4 / 200
    assert abs(rewards.var() - 1.0) < 4 * np.sqrt(2) / 200


def test_testbed_prior_is_standard_normal_and_bernoulli_prior_uniform():
    env = make_vec(20_000)
    env.reset(seed=2)
    q = env.unwrapped.q_star
    assert q.shape == (20_000, 10)
    assert abs(q.mean()) < 0.01 and abs(q.std() - 1.0) < 0.01
    # E[max of 10 standard normals] = 1.5388 (Sutton & Barto's best possible average reward)
    assert abs(q.max(axis=1).mean() - 1.5388) < 0.02
    env = make_vec(20_000, reward_distribution="bernoulli")
    env.reset(seed=2)
    q = env.unwrapped.q_star
    assert q.min() >= 0 and q.max() <= 1
    assert abs(q.mean() - 0.5) < 0.005 and abs(q.var() - 1 / 12) < 0.002


def test_bernoulli_rewards_are_binary_with_mean_q_star():
    env = make_vec(50_000, reward_distribution="bernoulli", q_star=[0.2, 0.9])
    env.reset(seed=3)
    _, reward, _, _, info = env.step(np.zeros(50_000, dtype=np.int64))
    assert set(np.unique(reward)) == {0.0, 1.0}
    assert abs(reward.mean() - 0.2) < 4 * np.sqrt(0.16 / 50_000)
    np.testing.assert_allclose(info["regret"], 0.7)
    assert np.all(info["optimal_action"] == 1)


def test_nonstationary_random_walk_starts_equal_with_increment_std():
    env = BanditEnv(nonstationary=True, walk_std=0.01, n_steps=10_000)
    env.reset(seed=4)
    np.testing.assert_array_equal(env.q_star, np.zeros(10))
    previous = env.q_star.copy()
    steps = []
    for _ in range(2000):
        env.step(0)
        steps.append(env.q_star - previous)
        previous = env.q_star.copy()
    steps = np.array(steps)
    assert abs(steps.std() - 0.01) < 0.0005
    assert abs(steps.mean()) < 0.0005
    # independent increments: the lag-1 correlation is near 0
    assert abs(np.corrcoef(steps[1:, 0], steps[:-1, 0])[0, 1]) < 0.1


def test_regret_and_optimal_action_in_info_before_drift():
    env = BanditEnv(q_star=[0.5, 2.0, -1.0], n_steps=3)
    _, info = env.reset(seed=0)
    assert info["optimal_action"] == 1
    _, reward, terminated, truncated, info = env.step(2)
    assert isinstance(reward, float) and isinstance(truncated, bool)
    assert info == {"optimal_action": 1, "regret": 3.0}
    assert not terminated and not truncated
    env.step(1)
    assert env.step(0)[3] is True  # truncated after n_steps pulls


def test_same_seed_same_numbers_and_vector_env_with_one_run_equals_single_env():
    for kwargs in ({}, {"reward_distribution": "bernoulli"}, {"nonstationary": True}):
        single = gym.make("labcoat/Bandit-v0", **kwargs)
        single.reset(seed=7)
        vector = make_vec(1, **kwargs)
        vector.reset(seed=7)
        np.testing.assert_array_equal(vector.unwrapped.q_star[0], single.unwrapped.q_star)
        for t in range(50):
            _, r1, _, _, info1 = single.step(t % 10)
            _, r2, _, _, info2 = vector.step(np.array([t % 10]))
            assert r1 == r2[0] and info1["regret"] == info2["regret"][0]
    a, b = BanditEnv(), BanditEnv()
    a.reset(seed=11)
    b.reset(seed=11)
    assert [a.step(1)[1] for _ in range(20)] == [b.step(1)[1] for _ in range(20)]


def test_vector_env_matches_single_env_statistically():
    # The mean reward of arm 0 over fresh testbeds is 0 with variance Var q* + 1 = 2 per pull.
    vector = make_vec(4000)
    vector.reset(seed=5)
    rewards = vector.step(np.zeros(4000, dtype=np.int64))[1]
    singles = []
    for seed in range(4000):
        env = BanditEnv(n_steps=1)
        env.reset(seed=10_000 + seed)
        singles.append(env.step(0)[1])
    for sample in (rewards, np.array(singles)):
        assert abs(sample.mean()) < 4 * np.sqrt(2 / 4000)
        assert abs(sample.var() - 2.0) < 0.2
    assert abs(rewards.mean() - np.mean(singles)) < 4 * np.sqrt(4 / 4000)


def test_vector_env_truncates_together_then_autoresets_next_step():
    env = BanditVectorEnv(num_envs=3, n_steps=2)
    assert env.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
    env.reset(seed=0)
    first = env.q_star.copy()
    actions = np.array([0, 1, 2])
    assert not env.step(actions)[3].any()
    _, _, terminated, truncated, _ = env.step(actions)
    assert truncated.all() and not terminated.any()
    _, reward, terminated, truncated, info = env.step(actions)
    np.testing.assert_array_equal(reward, 0.0)
    assert not truncated.any() and not terminated.any()
    assert not np.array_equal(env.q_star, first)
    np.testing.assert_array_equal(info["optimal_action"], env.q_star.argmax(axis=1))


def test_vector_env_shared_info_arrays_are_read_only_and_keep_their_values():
    env = BanditVectorEnv(num_envs=4, n_steps=1)
    env.reset(seed=3)
    _, _, terminated, truncated, info = env.step(np.zeros(4, dtype=np.int64))
    best = info["optimal_action"]
    kept = best.copy()
    for array in (best, info["_regret"], terminated, truncated):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1
    env.step(np.zeros(4, dtype=np.int64))  # autoreset: new q*, new optimal actions
    np.testing.assert_array_equal(best, kept)
    info = env.step(np.zeros(4, dtype=np.int64))[4]
    np.testing.assert_array_equal(info["optimal_action"], env.q_star.argmax(axis=1))


def test_vector_env_rejects_bad_actions():
    env = BanditVectorEnv(num_envs=2)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="actions"):
        env.step(np.array([0, 10]))
    with pytest.raises(ValueError, match="actions"):
        env.step(np.array([0]))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"k": 1}, "k"),
        ({"n_steps": 0}, "n_steps"),
        ({"reward_distribution": "poisson"}, "reward_distribution"),
        ({"q_star_std": 0.0}, "q_star_std"),
        ({"reward_std": -1.0}, "reward_std"),
        ({"walk_std": float("nan")}, "walk_std"),
        ({"q_star": [1.0, 2.0], "k": 3}, "k"),
        ({"q_star": [0.2, 1.5], "reward_distribution": "bernoulli"}, "q_star"),
    ],
)
def test_bandit_bad_arguments_raise_value_error_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=name):
        BanditEnv(**kwargs)
    with pytest.raises(ValueError, match=name):
        BanditVectorEnv(num_envs=2, **kwargs)


def test_treatment_bandit_recovery_rates_and_regret():
    env = TreatmentBanditEnv(recovery_probabilities=[0.3, 0.6, 0.8], n_patients=20_000)
    _, info = env.reset(seed=0)
    assert info["optimal_action"] == 2
    outcomes = [env.step(1) for _ in range(20_000)]
    rewards = np.array([o[1] for o in outcomes])
    assert set(np.unique(rewards)) == {0.0, 1.0}
    assert abs(rewards.mean() - 0.6) < 4 * np.sqrt(0.24 / 20_000)
    assert all(o[4]["regret"] == pytest.approx(0.2) for o in outcomes)
    assert outcomes[-1][3] and not outcomes[-2][3]


def test_treatment_bandit_beta_prior_moments():
    env = TreatmentBanditEnv(n_treatments=4, prior_alpha=2.0, prior_beta=5.0)
    draws = []
    for seed in range(3000):
        env.reset(seed=seed)
        draws.append(env.recovery_probabilities)
    draws = np.array(draws)
    # Beta(2, 5): mean 2/7, variance 2*5 / (7^2 * 8)
    assert abs(draws.mean() - 2 / 7) < 0.005
    assert abs(draws.var() - 10 / 392) < 0.002


def test_treatment_bandit_equals_bernoulli_bandit_with_the_same_probabilities():
    p = [0.2, 0.5, 0.7]
    treatment = TreatmentBanditEnv(recovery_probabilities=p)
    bandit = BanditEnv(reward_distribution="bernoulli", q_star=p)
    treatment.reset(seed=9)
    bandit.reset(seed=9)
    for t in range(100):
        assert treatment.step(t % 3)[1:] == bandit.step(t % 3)[1:]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_treatments": 1}, "n_treatments"),
        ({"n_patients": 0}, "n_patients"),
        ({"recovery_probabilities": [0.5, 1.2]}, "recovery_probabilities"),
        ({"recovery_probabilities": [0.5, 0.2], "n_treatments": 3}, "n_treatments"),
        ({"prior_alpha": 0.0}, "prior_alpha"),
    ],
)
def test_treatment_bad_arguments_raise_value_error_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=name):
        TreatmentBanditEnv(**kwargs)


@pytest.mark.parametrize("env_id", ["labcoat/Bandit-v0", "labcoat/TreatmentBandit-v0"])
def test_step_accepts_integer_actions_and_rejects_the_rest(env_id):
    env = gym.make(env_id).unwrapped
    env.reset(seed=0)
    n = env.action_space.n
    for action in (0, np.int64(n - 1), np.array(1)):
        env.step(action)
    for bad in (-1, n, 1.0, True, "0", np.array([1])):
        with pytest.raises(ValueError, match=rf"action must be an integer in \[0, {n - 1}\]"):
            env.step(bad)
