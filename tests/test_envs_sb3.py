"""Stable-Baselines3's standard path on every env, and sb3-contrib's MaskablePPO on the plant.

``make_vec_env("labcoat/<Env>-v0")`` asks ``gym.make`` for ``render_mode="rgb_array"`` (and only
falls back to no render mode on a TypeError): every labcoat env must accept it.
"""

from __future__ import annotations

from collections import Counter

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

from labcoat.agents import TabularModel, policy_evaluation, value_iteration
from labcoat.envs import ENV_IDS
from labcoat.envs.plant_watering import HIGH, LOW, TEXT


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_make_vec_env_with_four_envs_and_ppo(env_id):
    venv = make_vec_env(env_id, n_envs=4, seed=0)
    assert venv.num_envs == 4 and venv.render_mode == "rgb_array"
    observations = venv.reset()
    assert all(venv.observation_space.contains(obs) for obs in observations)
    frames = venv.get_images()
    assert len(frames) == 4 and all(f.dtype == np.uint8 and f.shape[2] == 3 for f in frames)
    model = PPO("MlpPolicy", venv, n_steps=32, batch_size=64, n_epochs=2, seed=0, device="cpu")
    model.learn(256)
    assert model.num_timesteps == 256
    actions, _ = model.predict(observations, deterministic=True)
    assert len(actions) == 4 and all(venv.action_space.contains(a) for a in actions)


class ActionCounts(gym.Wrapper):
    """Counts the (state, action) pairs sent to the env in ``counts`` (shared by every copy)."""

    def __init__(self, env: gym.Env, counts: Counter) -> None:
        super().__init__(env)
        self.counts = counts

    def reset(self, **kwargs):
        self.state, info = self.env.reset(**kwargs)
        return self.state, info

    def step(self, action):
        self.counts[(self.state, int(action))] += 1
        self.state, *rest = self.env.step(action)
        return self.state, *rest


def test_maskable_ppo_never_sends_a_masked_action_and_learns_the_optimal_policy():
    from sb3_contrib import MaskablePPO

    gamma, counts = 0.9, Counter()
    venv = make_vec_env(
        "labcoat/PlantWatering-v0",
        n_envs=4,
        seed=1,
        env_kwargs={"invalid_action": "raise"},  # a masked action would stop learn()
        wrapper_class=ActionCounts,
        wrapper_kwargs={"counts": counts},
    )
    model = MaskablePPO(
        "MlpPolicy",
        venv,
        n_steps=128,
        batch_size=128,
        n_epochs=5,
        learning_rate=1e-3,
        gamma=gamma,
        seed=1,
        device="cpu",
    )
    model.learn(2048)
    assert counts[(HIGH, TEXT)] == 0 and counts[(LOW, TEXT)] > 0
    assert sum(counts.values()) == 2048

    plant = gym.make("labcoat/PlantWatering-v0", invalid_action="raise")
    masks = np.array(plant.unwrapped.valid_actions)  # a writable copy for torch
    greedy = np.array(
        [model.predict(s, action_masks=masks[s], deterministic=True)[0] for s in (HIGH, LOW)]
    )
    model_of_the_plant = TabularModel.from_env(plant)
    optimum = value_iteration(model_of_the_plant, gamma)
    v_greedy = policy_evaluation(model_of_the_plant, greedy, gamma)
    np.testing.assert_allclose(v_greedy, optimum.v, atol=1e-6)
    # the reference it beats: the best policy that never texts (lamp on, then off in low)
    never_text = policy_evaluation(model_of_the_plant, np.array([0, 1]), gamma)
    assert np.all(v_greedy > never_text + 0.3)
