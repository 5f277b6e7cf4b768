"""Stable-Baselines3's callbacks and logger drive labcoat agents' ``learn`` as they drive SB3's."""

from __future__ import annotations

import csv

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3.common.callbacks import (
    BaseCallback,
    CheckpointCallback,
    EvalCallback,
    EveryNTimesteps,
    StopTrainingOnMaxEpisodes,
)
from stable_baselines3.common.logger import configure
from stable_baselines3.common.monitor import Monitor

import labcoat.envs  # noqa: F401  (registers the environments)
from labcoat.agents import QLearning, SemiGradientSarsa
from labcoat.agents.policies import evaluate_policy


def lake_agent(**kwargs):
    env = gym.make("FrozenLake-v1", is_slippery=False)
    return QLearning(env, gamma=0.9, learning_rate=0.5, epsilon=0.3, seed=0, **kwargs)


class StopAt(BaseCallback):
    """A user's callback: count the calls, stop (return False) at a time step."""

    def __init__(self, stop_at: int) -> None:
        super().__init__()
        self.stop_at, self.seen = stop_at, []

    def _on_step(self) -> bool:
        self.seen.append(
            (self.num_timesteps, self.model.num_timesteps, bool(self.locals["dones"][0]))
        )
        return self.num_timesteps < self.stop_at


def test_a_user_callback_is_called_every_step_and_stops_training():
    agent = lake_agent()
    callback = StopAt(37)
    agent.learn(total_timesteps=1_000, callback=callback)
    assert agent.num_timesteps == 37 and callback.n_calls == 37
    assert [t for t, _, _ in callback.seen] == list(range(1, 38))
    assert all(t == model_t for t, model_t, _ in callback.seen)
    episode_ends = np.cumsum(agent.episode_lengths)
    assert [t for t, _, done in callback.seen if done] == episode_ends.tolist()


def test_stop_training_on_max_episodes_and_a_list_of_callbacks():
    agent = lake_agent()
    counter = StopAt(10**9)
    agent.learn(total_timesteps=100_000, callback=[StopTrainingOnMaxEpisodes(7), counter])
    assert len(agent.episode_returns) == 7
    assert agent.num_timesteps == sum(agent.episode_lengths) == counter.n_calls


def test_every_n_timesteps_triggers_its_child_every_n_steps():
    agent = lake_agent()
    child = StopAt(10**9)
    agent.learn(total_timesteps=500, callback=EveryNTimesteps(n_steps=50, callback=child))
    assert [t for t, _, _ in child.seen] == list(range(50, 501, 50))


def test_checkpoint_callback_saves_agents_that_load(tmp_path):
    agent = lake_agent()
    agent.learn(total_timesteps=300, callback=CheckpointCallback(100, str(tmp_path), "lake"))
    for steps in (100, 200, 300):
        path = tmp_path / f"lake_{steps}_steps.zip"  # save appends .npz; load finds it
        loaded = QLearning.load(path)
        assert loaded.num_timesteps == steps
    np.testing.assert_array_equal(QLearning.load(tmp_path / "lake_300_steps.zip").q, agent.q)


def test_eval_callback_evaluates_with_sb3_and_saves_the_best_agent(tmp_path):
    agent = lake_agent()
    eval_env = Monitor(gym.make("FrozenLake-v1", is_slippery=False))
    callback = EvalCallback(
        eval_env,
        eval_freq=500,
        n_eval_episodes=2,
        best_model_save_path=str(tmp_path),
        log_path=str(tmp_path),
        verbose=0,
    )
    agent.learn(total_timesteps=2_000, callback=callback)
    assert callback.evaluations_timesteps == [500, 1000, 1500, 2000]
    best = QLearning.load(tmp_path / "best_model.npz")
    assert callback.best_mean_reward == max(np.mean(r) for r in callback.evaluations_results)
    mean, _ = evaluate_policy(best, eval_env, n_episodes=2, seed=0)
    assert mean == pytest.approx(callback.best_mean_reward)  # the deterministic lake: exact
    assert callback.best_mean_reward == 1.0  # the greedy policy reaches the goal by then


def test_semi_gradient_agents_take_sb3_callbacks():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = SemiGradientSarsa(env, gamma=0.9, learning_rate=0.2, epsilon=0.3, seed=0)
    agent.learn(total_timesteps=1_000, callback=StopTrainingOnMaxEpisodes(3))
    assert len(agent.episode_returns) == 3


def test_logger_records_the_sb3_keys(tmp_path):
    agent = lake_agent(initial_q=0.0)
    agent.set_logger(configure(str(tmp_path), ["csv"]))
    agent.learn(n_episodes=20, log_interval=5)
    with open(tmp_path / "progress.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4
    for i, row in enumerate(rows):
        n = 5 * (i + 1)
        assert int(row["time/episodes"]) == n
        assert int(row["time/total_timesteps"]) == sum(agent.episode_lengths[:n])
        assert float(row["rollout/ep_rew_mean"]) == pytest.approx(
            np.mean(agent.episode_returns[:n])
        )
        assert float(row["rollout/ep_len_mean"]) == pytest.approx(
            np.mean(agent.episode_lengths[:n])
        )
        assert float(row["train/learning_rate"]) == pytest.approx(0.5)
        assert float(row["train/epsilon"]) == pytest.approx(0.3)


def test_bad_callbacks_and_log_interval_are_named():
    agent = lake_agent()
    with pytest.raises(TypeError, match="callback"):
        agent.learn(total_timesteps=10, callback=3)
    with pytest.raises(TypeError, match="callback"):
        agent.learn(total_timesteps=10, callback=[StopAt(5), print])
    with pytest.raises(ValueError, match="log_interval"):
        agent.learn(total_timesteps=10, log_interval=0)
    assert agent.num_timesteps == 0
