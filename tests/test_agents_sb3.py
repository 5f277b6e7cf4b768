"""Stable-Baselines3 PPO and DQN learn labcoat's environments; labcoat's evaluate_policy takes them.

The references are exact: the random policy's expected return and the optimal return from
the environment's own model (q* of the bandit, value iteration on the plant MDP).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3 import DQN, PPO
from stable_baselines3.common.evaluation import evaluate_policy as sb3_evaluate_policy

import labcoat.envs  # noqa: F401  (registers the environments)
from labcoat.agents.planning import TabularModel, value_iteration
from labcoat.agents.policies import RandomPolicy, evaluate_policy

Q_STAR = (0.2, -0.5, 1.5, 0.0, 0.8)
BANDIT = dict(q_star=Q_STAR, n_steps=50)


def train(algorithm, env, total_timesteps):
    if algorithm == "PPO":
        model = PPO(
            "MlpPolicy",
            env,
            n_steps=256,
            batch_size=64,
            n_epochs=4,
            learning_rate=3e-3,
            gamma=0.9,
            policy_kwargs={"net_arch": [32]},
            device="cpu",
            seed=0,
        )
    else:
        model = DQN(
            "MlpPolicy",
            env,
            learning_rate=3e-3,
            buffer_size=5000,
            learning_starts=200,
            batch_size=32,
            train_freq=4,
            target_update_interval=200,
            exploration_fraction=0.3,
            exploration_final_eps=0.05,
            gamma=0.9,
            policy_kwargs={"net_arch": [32]},
            device="cpu",
            seed=0,
        )
    return model.learn(total_timesteps=total_timesteps)


@pytest.mark.parametrize("algorithm", ["PPO", "DQN"])
def test_sb3_learns_the_best_arm_of_a_fixed_bandit(algorithm):
    env = gym.make("labcoat/Bandit-v0", **BANDIT)
    model = train(algorithm, env, total_timesteps=1024)
    action, _ = model.predict(np.int64(0), deterministic=True)
    assert int(action) == int(np.argmax(Q_STAR))
    mean, _ = evaluate_policy(model, env, n_episodes=4, seed=1)
    random_expected = 50 * np.mean(Q_STAR)  # 20
    assert mean > random_expected + 30  # optimal: 50 * 1.5 = 75 (reward noise std ~ 7 per episode)


@pytest.mark.parametrize("algorithm", ["PPO", "DQN"])
def test_sb3_learns_plant_watering(algorithm):
    env = gym.make("labcoat/PlantWatering-v0")
    optimal = value_iteration(TabularModel.from_env(env), 0.9).policy
    model = train(algorithm, env, total_timesteps=2048)
    actions, _ = model.predict(np.array([0, 1]), deterministic=True)
    np.testing.assert_array_equal(actions, optimal)
    learned, _ = evaluate_policy(model, env, n_episodes=3, seed=1)
    random, _ = evaluate_policy(RandomPolicy(env, seed=0), env, n_episodes=3, seed=1)
    assert learned > random + 0.2 * abs(random)


def test_labcoat_and_sb3_evaluate_policy_agree_on_an_sb3_model():
    env = gym.make("labcoat/Bandit-v0", **BANDIT)
    model = train("PPO", env, total_timesteps=512)
    ours = evaluate_policy(model, env, n_episodes=5, seed=3)
    env.reset(seed=3)
    theirs = sb3_evaluate_policy(model, env, n_eval_episodes=5, deterministic=True, warn=False)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)  # SB3's VecEnv stores float32 rewards
