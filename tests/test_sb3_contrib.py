"""sb3-contrib where it applies (docs/sb3_contrib.md): RecurrentPPO where memory matters.

MaskablePPO on the plant's action masks is tested in tests/test_envs_sb3.py (it never sends
the masked action and its greedy policy has the optimal v*). Here: a delayed cue that only a
policy with memory can recall. The exact references: the best expected return without memory
is 0 (the answer step looks the same whatever the cue was), with memory it is 1.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3.common.env_checker import check_env
from stable_baselines3.common.env_util import make_vec_env


class DelayedCue(gym.Env):
    """A cue (0 or 1) is shown at the first step only; ``delay`` blank steps later the agent must
    name it: +1 if right, -1 if wrong (the episode then ends)."""

    def __init__(self, delay: int = 3) -> None:
        self.delay = delay
        self.observation_space = gym.spaces.Box(0.0, 1.0, (3,), np.float32)
        self.action_space = gym.spaces.Discrete(2)

    def _observation(self) -> np.ndarray:
        obs = np.zeros(3, np.float32)
        if self.t == 0:
            obs[self.cue] = 1.0
        if self.t == self.delay + 1:
            obs[2] = 1.0  # "answer now"
        return obs

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t, self.cue = 0, int(self.np_random.integers(2))
        return self._observation(), {}

    def step(self, action):
        if self.t == self.delay + 1:
            return self._observation(), 1.0 if action == self.cue else -1.0, True, False, {}
        self.t += 1
        return self._observation(), 0.0, False, False, {}


def mean_return(model, recurrent: bool, n_episodes: int = 100) -> float:
    env, returns = DelayedCue(), []
    for episode in range(n_episodes):
        obs, _ = env.reset(seed=1000 + episode)
        state, start, done, total = None, np.ones(1, dtype=bool), False, 0.0
        while not done:
            if recurrent:
                action, state = model.predict(
                    obs, state=state, episode_start=start, deterministic=True
                )
            else:
                action, _ = model.predict(obs, deterministic=True)
            start = np.zeros(1, dtype=bool)
            obs, reward, done, _, _ = env.step(int(action))
            total += reward
        returns.append(total)
    return float(np.mean(returns))


SETTINGS = dict(n_steps=32, batch_size=64, n_epochs=4, learning_rate=3e-3, seed=0, device="cpu")


def test_the_cue_env_passes_sb3s_checker():
    check_env(DelayedCue())


def test_recurrent_ppo_recalls_the_cue_where_memoryless_ppo_cannot():
    from sb3_contrib import RecurrentPPO
    from stable_baselines3 import PPO

    policy_kwargs = {"lstm_hidden_size": 16, "net_arch": []}
    recurrent = RecurrentPPO(
        "MlpLstmPolicy",
        make_vec_env(DelayedCue, n_envs=8, seed=0),
        policy_kwargs=policy_kwargs,
        **SETTINGS,
    ).learn(2048)
    memoryless = PPO("MlpPolicy", make_vec_env(DelayedCue, n_envs=8, seed=0), **SETTINGS)
    memoryless.learn(2048)
    assert mean_return(recurrent, recurrent=True) == pytest.approx(1.0)  # the optimum
    # without memory the greedy answer is the same for both cues: +1 or -1 with the cue's odds
    assert abs(mean_return(memoryless, recurrent=False)) <= 0.3
