"""agents validates its scalar arguments with labcoat.classic._checks: one rule everywhere.

A wrong type (bool, str, float for an int) is a TypeError, a value out of range (NaN and inf
included) a ValueError; both name the argument and its allowed range. Before the helpers were
unified, the same mistake gave a ValueError in one place and a TypeError in another, and some
wrong types (a string epsilon in policy_iteration, a float tol) went through or were misnamed.
"""

import math

import gymnasium as gym
import numpy as np
import pytest

import labcoat.envs  # noqa: F401  (registers the labcoat envs)
from labcoat.agents import LinearSchedule
from labcoat.agents.bandits import UCB, EpsilonGreedy, GradientBandit, ThompsonSampling, spawn_seeds
from labcoat.agents.batched import batched_q_learning
from labcoat.agents.features import StateAggregation, TileCoding
from labcoat.agents.planning import (
    TabularModel,
    policy_evaluation,
    policy_iteration,
    value_iteration,
)
from labcoat.agents.policies import EpsilonGreedyPolicy
from labcoat.agents.semi_gradient import (
    LinearPrediction,
    SemiGradientTD,
    on_policy_distribution,
    td_fixed_point,
)
from labcoat.agents.tabular import QLearning

PLANT = TabularModel.from_env(gym.make("labcoat/PlantWatering-v0"))
BATCH = dict(n_runs=2, n_episodes=2, gamma=0.9, start_state=0, max_episode_steps=5)
Q = np.zeros((2, 3))


def _cases():
    """(call, argument name, wrong-type value, out-of-range value, range in words)."""
    return [
        (lambda v: QLearning("FrozenLake-v1", gamma=v), "gamma", "0.9", 1.5, r"in \[0, 1\]"),
        (lambda v: QLearning("FrozenLake-v1", gamma=0.9, seed=v), "seed", 2.5, -1, ">= 0"),
        (lambda v: QLearning("FrozenLake-v1", gamma=0.9, epsilon=v), "epsilon", True,
         math.nan, r"in \[0, 1\]"),
        (lambda v: QLearning("FrozenLake-v1", gamma=0.9, initial_q=v), "initial_q", "0",
         math.inf, "finite"),
        (lambda v: QLearning("FrozenLake-v1", gamma=0.9).learn(total_timesteps=v),
         "total_timesteps", 10.0, 0, ">= 1"),
        (lambda v: LinearSchedule(1.0, 0.1, v), "duration", 2.5, 0, ">= 1"),
        (lambda v: batched_q_learning(PLANT, **{**BATCH, "n_runs": v}), "n_runs", 2.5, 0,
         ">= 1"),
        (lambda v: batched_q_learning(PLANT, **{**BATCH, "max_episode_steps": v}),
         "max_episode_steps", "5", 0, ">= 1"),
        (lambda v: value_iteration(PLANT, 0.9, tol=v), "tol", "1e-6", 0.0, "> 0"),
        (lambda v: value_iteration(PLANT, 0.9, max_iterations=v), "max_iterations", 1e3, 0,
         ">= 1"),
        (lambda v: policy_iteration(PLANT, 0.9, epsilon=v), "epsilon", "0.1", 1.5,
         r"in \[0, 1\]"),
        (lambda v: policy_evaluation(PLANT, np.zeros(2, int), v), "gamma", None, -0.1,
         r"in \[0, 1\]"),
        (lambda v: EpsilonGreedy(epsilon=v), "epsilon", "0.1", 2.0, r"in \[0, 1\]"),
        (lambda v: EpsilonGreedy(step_size=v), "step_size", "0.1", 0.0, r"in \(0, 1\]"),
        (lambda v: EpsilonGreedy(initial_value=v), "initial_value", "5", -math.inf, "finite"),
        (lambda v: UCB(c=v), "c", "2", 0.0, "> 0"),
        (lambda v: GradientBandit(alpha=v), "alpha", [0.1], -1.0, "> 0"),
        (lambda v: ThompsonSampling(prior_std=v), "prior_std", "1", 0.0, "> 0"),
        (lambda v: EpsilonGreedy().reset(n_arms=v), "n_arms", 3.0, 1, ">= 2"),
        (lambda v: spawn_seeds(v), "seed", 1.5, -1, ">= 0"),
        (lambda v: StateAggregation(gym.spaces.Discrete(10), n_groups=v), "n_groups", 2.5, 0,
         r"in \[1, 10\]"),
        (lambda v: TileCoding(gym.spaces.Box(0.0, 1.0, (1,)), n_tilings=v), "n_tilings", 2.5,
         0, ">= 1"),
        (lambda v: EpsilonGreedyPolicy(Q, v), "epsilon", "0.1", 1.5, r"in \[0, 1\]"),
        (lambda v: SemiGradientTD("labcoat/RandomWalk-v0", learning_rate=v), "learning_rate",
         "0.1", 0.0, "> 0"),
    ]  # fmt: skip


@pytest.mark.parametrize(("call", "name", "wrong_type", "out_of_range", "allowed"), _cases())
def test_wrong_type_is_a_type_error_and_out_of_range_a_value_error(
    call, name, wrong_type, out_of_range, allowed
):
    with pytest.raises(TypeError, match=rf"^{name} must be .*{allowed}"):
        call(wrong_type)
    with pytest.raises(ValueError, match=rf"^{name} must be .*{allowed}"):
        call(out_of_range)


def test_numpy_scalars_are_accepted_where_python_numbers_are():
    agent = QLearning("FrozenLake-v1", gamma=np.float32(0.5), seed=np.int64(3))
    assert agent.gamma == pytest.approx(0.5) and agent.seed == 3
    result = batched_q_learning(PLANT, **{**BATCH, "n_runs": np.int32(2)})
    assert result.q.shape == (2, 2, 3)
    assert EpsilonGreedy(epsilon=np.float64(0.25)).epsilon == pytest.approx(0.25)


@pytest.mark.parametrize("action", [2.5, "1", math.nan, 4, -1, True])
def test_a_bandit_update_refuses_an_action_that_is_not_an_arm(action):
    strategy = EpsilonGreedy().reset(n_arms=4, seed=0)
    with pytest.raises(ValueError, match=r"^action must be an element of Discrete\(4\)"):
        strategy.update(action, 1.0)
    assert strategy.t == 0 and (strategy.n == 0).all()  # nothing was learned


@pytest.mark.parametrize("reward", [math.nan, math.inf, "1.0"])
def test_a_bandit_update_refuses_a_reward_that_is_not_a_finite_number(reward):
    strategy = UCB().reset(n_arms=3, seed=0)
    with pytest.raises((TypeError, ValueError), match="^rewards? must be"):
        strategy.update(1, reward)
    with pytest.raises(ValueError, match="^rewards must be finite"):
        strategy.update_batch(np.array([1]), np.array([math.nan]))
    assert strategy.t == 0 and np.isfinite(strategy.q).all()


def test_flags_and_choices_use_the_shared_checks():
    with pytest.raises(TypeError, match="^baseline must be True or False"):
        GradientBandit(baseline=1)
    with pytest.raises(ValueError, match="^likelihood must be one of 'bernoulli', 'gaussian'"):
        ThompsonSampling(likelihood="poisson")
    with pytest.raises(ValueError, match="^method must be one of"):
        policy_evaluation(PLANT, np.zeros(2, int), 0.9, method="exact")


def test_fixed_point_solvers_check_gamma_policy_and_start_distribution():
    env = gym.make("labcoat/RandomWalk-v0", size=5, max_jump=1)
    model = TabularModel.from_env(env)
    features = StateAggregation(env.observation_space, n_groups=5, first=1, last=5)
    policy, h = np.zeros(7, dtype=np.int64), np.eye(7)[3]
    assert td_fixed_point(LinearPrediction(model, features, policy, 1.0, h)).shape == (5,)
    with pytest.raises(TypeError, match=r"^gamma must be a finite number in \[0, 1\]"):
        td_fixed_point(LinearPrediction(model, features, policy, "1", h))
    for bad in (np.full(7, 0.5), np.eye(7)[3][:6], np.where(h > 0, np.nan, 0.0)):
        with pytest.raises(ValueError, match="^initial_distribution must be 7 probabilities"):
            on_policy_distribution(model, policy, bad)
    with pytest.raises(ValueError, match="^policy must be an int array"):
        on_policy_distribution(model, np.zeros(7), h)  # float actions: not a policy
    with pytest.raises(ValueError, match="^policy actions must lie in"):
        on_policy_distribution(model, np.full(7, 3), h)
