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
# # 1. The plant MDP by hand: Bellman equations, planning, Q-learning
#
# The plant-watering MDP of the notes (§7.2-7.4) has two states (the soil is *high* or *low*
# in water) and three actions (lamp *on*, lamp *off*, *text* a human to water). First the
# whole exercise in one call, as `labcoat run plant` runs it; then the same numbers by hand.
#
# Set `LABCOAT_QUICK=1` in the environment for a small, fast version (CI does).

# %%
import os

from labcoat.exercises import get_exercise

QUICK = os.environ.get("LABCOAT_QUICK") == "1"
plant = get_exercise("plant")
result = plant.run(plant.config(quick=QUICK))
for row in result.tables["planning"].rows:
    print(row)  # v*(high), v*(low) and the optimal policy, by three planning methods

# %% [markdown]
# ## The model
# `TabularModel.from_env` reads the environment's table `P[s][a]` into arrays: the transition
# probabilities $p(s' \mid s, a)$ and the expected rewards $r(s, a)$ (eq. 7.1). Texting is not
# available when the soil is high.

# %%
import gymnasium as gym
import numpy as np

import labcoat.envs  # noqa: F401  (registers labcoat/PlantWatering-v0)
from labcoat.agents import (
    LinearSchedule,
    QLearning,
    TabularModel,
    policy_evaluation,
    value_iteration,
)

env = gym.make("labcoat/PlantWatering-v0")
model = TabularModel.from_env(env)
gamma = 0.9
print("p(s'|s, a):\n", model.T)
print("r(s, a):\n", model.R)
print("available actions:\n", model.valid_actions)

# %% [markdown]
# ## The Bellman equation of a policy
# For a deterministic policy $\pi$ (here: lamp *on* when high, *text* when low) the values solve
# the linear system $v_\pi = r_\pi + \gamma P_\pi v_\pi$ (eqs. 7.8-7.9), i.e.
# $(I - \gamma P_\pi) v_\pi = r_\pi$.

# %%
ON, OFF, TEXT = 0, 1, 2
policy = np.array([ON, TEXT])
states = np.arange(2)
P_pi = model.T[states, policy]  # row s: p(s' | s, pi(s))
r_pi = model.R[states, policy]
v_pi = np.linalg.solve(np.eye(2) - gamma * P_pi, r_pi)
print("v_pi by hand:", v_pi)
np.testing.assert_allclose(v_pi, policy_evaluation(model, policy, gamma), atol=1e-10)

# %% [markdown]
# ## Planning: value iteration by hand
# The optimal values solve the Bellman optimality equation (eq. 7.11),
# $v^*(s) = \max_a [r(s, a) + \gamma \sum_{s'} p(s' \mid s, a) v^*(s')]$. Iterating it
# (eq. 7.18) converges because it is a $\gamma$-contraction.

# %%
v, change, sweeps = np.zeros(2), np.inf, 0
while change > 1e-12:
    q = np.where(model.valid_actions, model.R + gamma * model.T @ v, -np.inf)
    change, v = np.abs(q.max(axis=1) - v).max(), q.max(axis=1)
    sweeps += 1
planned = value_iteration(model, gamma, tol=1e-10)
print(f"after {sweeps} sweeps: v* = {v}, optimal policy {q.argmax(axis=1)} (0 on, 1 off, 2 text)")
np.testing.assert_allclose(v, planned.v, atol=1e-8)
assert list(planned.policy) == [ON, TEXT]  # lamp on when high, text when low

# %% [markdown]
# ## Q-learning: the same $q^*$ from interaction alone
# Q-learning (eq. 7.24) never sees `model`; it acts epsilon-greedily and updates
# $q(S_t, A_t) \leftarrow q(S_t, A_t) + \alpha [R_{t+1} + \gamma \max_a q(S_{t+1}, a) -
# q(S_t, A_t)]$ with step sizes $\alpha_n = 1/n^{0.7}$ (Robbins-Monro).

# %%
steps = 300_000
agent = QLearning(
    env,
    gamma=gamma,
    learning_rate="1/n^0.7",
    epsilon=LinearSchedule(0.5, 0.1, steps // 2),
    seed=0,
).learn(total_timesteps=steps)
valid = model.valid_actions
error = np.abs(agent.q[valid] - planned.q[valid]).max()
print("learned q:\n", agent.q)
print("planned q*:\n", planned.q)
print(f"largest difference: {error:.3f}")
assert error < 0.1, error

# %% [markdown]
# Next: `labcoat run plant --help` lists every setting of the exercise (the rewards and the
# transition probabilities `alpha`, `beta`, ... are among them).
