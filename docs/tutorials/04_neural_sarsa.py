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
# # 4. A neural network as the approximator of semi-gradient Sarsa
#
# Semi-gradient Sarsa (eq. 7.25; Sutton & Barto eq. 10.1) learns an approximation
# $\hat q(s, a; \theta)$ by
# $\theta \leftarrow \theta + \alpha [R_{t+1} + \gamma \hat q(S_{t+1}, A_{t+1}; \theta) -
# \hat q(S_t, A_t; \theta)] \nabla_\theta \hat q(S_t, A_t; \theta)$.
# The approximator can be linear in features or any `torch.nn.Module`; here a small MLP on the
# plant MDP of tutorial 1, where planning gives the exact answer to compare with.

# %%
import os

import gymnasium as gym
import numpy as np

import labcoat.envs  # noqa: F401  (registers labcoat/PlantWatering-v0)
from labcoat.agents import OneHot, SemiGradientSarsa, TabularModel, policy_iteration
from labcoat.models import MLP

QUICK = os.environ.get("LABCOAT_QUICK") == "1"
STEPS = 5_000 if QUICK else 20_000
gamma, epsilon = 0.9, 0.1

env = gym.make("labcoat/PlantWatering-v0")
model = TabularModel.from_env(env)
valid = model.valid_actions

# %% [markdown]
# ## What Sarsa should find
# Sarsa is on-policy: acting epsilon-greedily with a fixed epsilon, it converges to the action
# values of the best epsilon-greedy policy, not to $q^*$. Policy iteration over epsilon-soft
# policies computes those exactly.

# %%
target = policy_iteration(model, gamma, epsilon=epsilon)
print("q of the best epsilon-greedy policy:\n", target.q)

# %% [markdown]
# ## The network
# labcoat feeds a `Discrete` observation to the network one-hot encoded; the network maps it to
# one value per action: input 2 (states), a hidden layer of 16 tanh units, output 3 (actions).

# %%
network = MLP((2, 16, 3), activation="tanh", seed=0)
agent = SemiGradientSarsa(
    env, network=network, gamma=gamma, learning_rate=0.01, epsilon=epsilon, seed=0
)
states = np.array([0, 1])
before = np.abs(agent.q_values(states)[valid] - target.q[valid]).max()
agent.learn(total_timesteps=STEPS)
q_network = agent.q_values(states)
after = np.abs(q_network[valid] - target.q[valid]).max()
print("network q after training:\n", np.where(valid, q_network, np.nan))
print(f"largest error: {before:.2f} before training, {after:.2f} after {STEPS} steps")

# %% [markdown]
# The greedy policy of $\hat q$ is the optimal one (lamp on when high, text when low), and the
# values approach the exact ones; a constant step size leaves some noise.

# %%
assert list(agent.predict(states)[0]) == list(target.policy) == [0, 2]
assert after < (1.0 if QUICK else 0.35) < before, (before, after)

# %% [markdown]
# ## The linear special case
# With one-hot features a linear $\hat q$ is a table: semi-gradient Sarsa is then tabular
# Sarsa, with the same target and no torch. With the same step size and budget it is further
# from the target: a table learns each $(s, a)$ from its own visits only, while the network's
# shared hidden layer moves all values together, so the rarely tried actions catch up sooner.

# %%
linear = SemiGradientSarsa(
    env, features=OneHot(env.observation_space), gamma=gamma, learning_rate=0.01,
    epsilon=epsilon, seed=0,
).learn(total_timesteps=STEPS)  # fmt: skip
q_linear = linear.q_values(states)
linear_error = np.abs(q_linear[valid] - target.q[valid]).max()
print("linear (table) q:\n", np.where(valid, q_linear, np.nan))
print(f"largest error: table {linear_error:.2f}, network {after:.2f}")
assert list(linear.predict(states)[0]) == [0, 2]
assert after < linear_error < before
