# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. Register your own environment; train labcoat and Stable-Baselines3 agents on it
#
# A corridor of `n` cells: the agent starts in cell 0, moves left or right, pays $-1$ per step
# and stops when it reaches the last cell. The best return is $-(n - 1)$. We write it as a
# Gymnasium env with a toy-text table `P[s][a]` (so that labcoat can plan on it), register it,
# and let a labcoat agent and an SB3 agent learn it.

# %%
import os

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env

from labcoat.agents import (
    QLearning,
    RandomPolicy,
    TabularModel,
    evaluate_policy,
    value_iteration,
)

QUICK = os.environ.get("LABCOAT_QUICK") == "1"
N_CELLS = 6


class CorridorEnv(gym.Env):
    """A corridor of ``n_cells`` cells: actions 0 (left) and 1 (right), reward -1 per step.

    ``P[s][a]`` lists the transitions ``(probability, next_state, reward, terminated)``, the
    toy-text convention labcoat's planning reads.
    """

    def __init__(self, n_cells: int = N_CELLS) -> None:
        if not (isinstance(n_cells, int) and n_cells >= 2):
            raise ValueError(f"n_cells must be an integer >= 2, got {n_cells!r}")
        self.n_cells = n_cells
        self.observation_space = spaces.Discrete(n_cells)
        self.action_space = spaces.Discrete(2)
        goal = n_cells - 1
        self.P = {
            s: {
                a: [(1.0, (n := min(max(s + 2 * a - 1, 0), goal)), -1.0, n == goal)] for a in (0, 1)
            }
            for s in range(n_cells)
        }
        self.P[goal] = {a: [(1.0, goal, 0.0, True)] for a in (0, 1)}

    def reset(self, *, seed=None, options=None):
        """Start in cell 0."""
        super().reset(seed=seed)
        self.s = 0
        return self.s, {}

    def step(self, action):
        """Move one cell (walls hold), pay -1; the episode ends in the last cell."""
        _, self.s, reward, terminated = self.P[self.s][int(action)][0]
        return self.s, reward, terminated, False, {}


gym.register("tutorial/Corridor-v0", entry_point=CorridorEnv, max_episode_steps=100)
env = gym.make("tutorial/Corridor-v0")
check_env(env.unwrapped)  # Gymnasium's own checks of the API

# %% [markdown]
# ## Planning tells us what to expect

# %%
planned = value_iteration(TabularModel.from_env(env), 1.0)
print("v* =", planned.v)  # -(cells to go), 0 at the goal
np.testing.assert_allclose(planned.v, -np.arange(N_CELLS - 1, -1, -1.0), atol=1e-8)
best = -(N_CELLS - 1.0)

# %% [markdown]
# ## A labcoat agent: Q-learning

# %%
q_agent = QLearning(env, gamma=1.0, learning_rate=0.5, epsilon=0.2, seed=0)
q_agent.learn(total_timesteps=3000)
q_return, _ = evaluate_policy(q_agent, env, n_episodes=5, seed=1)
random_return, _ = evaluate_policy(RandomPolicy(env, seed=0), env, n_episodes=20, seed=1)
print(f"Q-learning {q_return}, random {random_return:.1f}, best {best}")
assert q_return == best and random_return < best

# %% [markdown]
# ## A Stable-Baselines3 agent: DQN
# SB3 one-hot encodes the `Discrete` observation. labcoat's `evaluate_policy` takes any object
# with SB3's `predict`, so both agents are scored the same way.

# %%
from stable_baselines3 import DQN

dqn = DQN(
    "MlpPolicy",
    env,
    learning_rate=1e-3,
    learning_starts=200,
    exploration_fraction=0.3,
    target_update_interval=200,
    policy_kwargs={"net_arch": [32]},
    seed=0,
    device="cpu",
)
dqn.learn(total_timesteps=4000 if QUICK else 10_000)
dqn_return, _ = evaluate_policy(dqn, env, n_episodes=5, seed=1)
print(f"DQN {dqn_return}, best {best}")
assert dqn_return == best
