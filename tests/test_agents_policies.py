"""Custom policies: evaluation, rollouts and prediction agents driven by any policy."""

import gymnasium as gym
import numpy as np
import pytest

import labcoat.envs  # noqa: F401  (registers the labcoat envs)
from labcoat.agents.planning import TabularModel, policy_evaluation, policy_iteration
from labcoat.agents.policies import (
    EpsilonGreedyPolicy,
    GreedyPolicy,
    RandomPolicy,
    action_function,
    evaluate_policy,
    rollout,
)
from labcoat.agents.rules import epsilon_greedy_probabilities
from labcoat.agents.tabular import TD0, QLearning


@pytest.fixture(scope="module")
def cliff():
    env = gym.make("CliffWalking-v1")
    return env, policy_iteration(TabularModel.from_env(env), 1.0)


def test_greedy_optimal_policy_walks_the_edge(cliff):
    env, optimal = cliff
    trajectory = rollout(GreedyPolicy(optimal.q), env, seed=0)
    assert len(trajectory) == 13 and trajectory.episode_return == -13.0
    assert trajectory.observations[0] == 36 and trajectory.observations[-1] == 47
    assert trajectory.terminated[-1] and not trajectory.terminated[:-1].any()
    assert not trajectory.truncated.any()
    assert len(trajectory.observations) == len(trajectory.actions) + 1
    mean, std = evaluate_policy(GreedyPolicy(optimal.q), env, n_episodes=3, seed=0)
    assert (mean, std) == (-13.0, 0.0)


def test_every_policy_form_gives_the_same_actions(cliff):
    env, optimal = cliff
    table = optimal.policy
    matrix = np.eye(4)[table]
    forms = [table, matrix, GreedyPolicy(optimal.q), lambda obs: int(table[obs])]
    for form in forms:
        act = action_function(form, env, seed=0)
        assert [act(s) for s in range(48)] == table.tolist()
    with pytest.raises(ValueError, match="48 rows"):
        action_function(table[:10], env)
    with pytest.raises(TypeError, match="policy must"):
        action_function(3.5, env)


def test_rollout_truncates_at_max_steps(cliff):
    env, _ = cliff
    trajectory = rollout(lambda obs: 0, env, seed=0, max_steps=7)  # always up: never ends
    assert len(trajectory) == 7 and trajectory.truncated[-1] and not trajectory.terminated.any()


def test_evaluate_policy_matches_the_exact_success_probability():
    """FrozenLake at gamma = 1: the mean return of the optimal policy is its success probability
    v*(0) = 14/17; over 2000 episodes the binomial standard error is 0.0085 (4 sigma). The
    registered 100-step limit would cut slow successes, so it is lifted."""
    env = gym.make("FrozenLake-v1", max_episode_steps=100_000)
    optimal = policy_iteration(TabularModel.from_env(env), 1.0)
    mean, std = evaluate_policy(optimal.policy, env, n_episodes=2_000, seed=1)
    p = optimal.v[0]
    assert abs(mean - p) < 4 * np.sqrt(p * (1 - p) / 2_000)
    assert std == pytest.approx(np.sqrt(mean * (1 - mean)))
    again = evaluate_policy(optimal.policy, env, n_episodes=50, seed=1)
    assert again == evaluate_policy(optimal.policy, env, n_episodes=50, seed=1)


def test_sb3_model_is_a_policy():
    from stable_baselines3 import DQN
    from stable_baselines3.common.evaluation import evaluate_policy as sb3_evaluate
    from stable_baselines3.common.monitor import Monitor

    env = gym.make("FrozenLake-v1", is_slippery=False)
    model = DQN("MlpPolicy", env, seed=0, learning_starts=10**9)  # untrained, deterministic
    ours = evaluate_policy(model, env, n_episodes=3, seed=0)
    theirs = sb3_evaluate(model, Monitor(env), n_eval_episodes=3, deterministic=True)
    assert ours == pytest.approx(theirs)


def test_random_policy_respects_the_available_actions():
    env = gym.make("labcoat/PlantWatering-v0")
    policy = RandomPolicy(env, seed=0)
    actions_in_high = {policy.predict(0)[0] for _ in range(300)}
    actions_in_low = {policy.predict(1)[0] for _ in range(300)}
    assert actions_in_high == {0, 1} and actions_in_low == {0, 1, 2}


def test_td0_evaluates_a_custom_random_policy_on_the_plant():
    """TD(0) following RandomPolicy converges to v_pi of the uniform policy over the available
    actions, solved exactly; tolerance 0.15 = 3 % of |v_pi| (alpha_n = n^-0.7, 1e5 steps)."""
    env = gym.make("labcoat/PlantWatering-v0")
    model = TabularModel.from_env(env)
    uniform = model.valid_actions / model.valid_actions.sum(axis=1, keepdims=True)
    exact = policy_evaluation(model, uniform, 0.9)
    agent = TD0(env, RandomPolicy(env, seed=3), gamma=0.9, learning_rate="1/n^0.7", seed=0)
    agent.learn(total_timesteps=100_000)
    np.testing.assert_allclose(agent.v, exact, atol=0.15)


def test_epsilon_greedy_policy_probabilities_and_sampling():
    q = np.array([[1.0, 2.0, -np.inf], [0.0, -1.0, 3.0]])
    policy = EpsilonGreedyPolicy(q, 0.3, seed=0)
    np.testing.assert_allclose(policy.probabilities(), epsilon_greedy_probabilities(q, 0.3))
    draws = np.array([policy.predict(0)[0] for _ in range(4_000)])
    assert not (draws == 2).any()  # never an unavailable action
    assert abs((draws == 1).mean() - 0.85) < 4 * np.sqrt(0.85 * 0.15 / 4_000)
    assert policy.predict(1, deterministic=True)[0] == 2


def test_agents_are_policies():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = QLearning(env, gamma=0.9, learning_rate=0.5, epsilon=0.3, seed=0)
    agent.learn(total_timesteps=3_000)
    action, state = agent.predict(0)
    assert state is None and action == int(np.argmax(agent.q[0]))
    batch, _ = agent.predict(np.array([0, 1, 4]))
    assert batch.tolist() == np.argmax(agent.q[[0, 1, 4]], axis=1).tolist()
    assert evaluate_policy(agent, env, n_episodes=2, seed=0) == (1.0, 0.0)


def test_bad_arguments_are_named(cliff):
    env, _ = cliff
    with pytest.raises(ValueError, match="epsilon"):
        EpsilonGreedyPolicy(np.zeros((48, 4)), 1.5)
    with pytest.raises(TypeError, match="epsilon"):
        EpsilonGreedyPolicy(np.zeros((48, 4)), "0.1")
    with pytest.raises(ValueError, match="max_steps"):
        evaluate_policy(lambda observation: 0, env, max_steps=0)
    with pytest.raises(ValueError, match="n_episodes"):
        evaluate_policy(lambda observation: 0, env, n_episodes=0)
