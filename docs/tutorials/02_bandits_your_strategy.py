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
# # 2. Bandits: write your own strategy and put it on the testbed
#
# Sutton & Barto's 10-armed testbed (§2.3): each run draws true values
# $q^*(a) \sim N(0, 1)$, each pull of arm $a$ pays $R \sim N(q^*(a), 1)$. A strategy is
# anything with three methods: `reset(n_arms, n_runs, seed)`, `select_actions()` (one arm per
# run) and `update_batch(actions, rewards)`. labcoat's strategies have them; so will ours.

# %%
import os

import gymnasium as gym
import numpy as np

import labcoat.envs  # noqa: F401  (registers labcoat/Bandit-v0)
from labcoat.agents import UCB, EpsilonGreedy, run_testbed, spawn_seeds

QUICK = os.environ.get("LABCOAT_QUICK") == "1"
N_RUNS, N_STEPS, K = (200, 500, 10) if QUICK else (2000, 1000, 10)

# %% [markdown]
# ## The testbed loop
# `run_testbed` steps one vectorized env (one bandit per run) and the strategy together. Here
# is the same loop written out, so that you can see (and change) every step.

# %%


def play(strategy, *, n_runs=N_RUNS, n_steps=N_STEPS, k=K, seed=0):
    """Average reward and fraction of optimal pulls at each step, over ``n_runs`` bandits."""
    env = gym.make_vec(
        "labcoat/Bandit-v0",
        num_envs=n_runs,
        vectorization_mode="vector_entry_point",
        k=k,
        n_steps=n_steps,
    )
    env_seed, strategy_seed = spawn_seeds(seed)  # two independent streams of one seed
    env.reset(seed=env_seed)
    strategy.reset(n_arms=k, n_runs=n_runs, seed=strategy_seed)
    rewards, optimal = np.zeros(n_steps), np.zeros(n_steps)
    for t in range(n_steps):
        actions = strategy.select_actions()
        _, reward, _, _, info = env.step(actions)
        strategy.update_batch(actions, reward)
        rewards[t], optimal[t] = reward.mean(), np.mean(info["regret"] == 0)
    env.close()
    return rewards, optimal


# Our loop is the testbed: the same numbers as run_testbed for the same seed.
ours, _ = play(EpsilonGreedy(epsilon=0.1))
theirs = run_testbed(EpsilonGreedy(epsilon=0.1), n_runs=N_RUNS, n_steps=N_STEPS, k=K, seed=0)
np.testing.assert_allclose(ours, theirs.average_reward, atol=1e-12)

# %% [markdown]
# ## Your strategy: softmax (Boltzmann) exploration
# Pick arm $a$ with probability $e^{Q(a)/\tau} / \sum_b e^{Q(b)/\tau}$ and learn $Q$ by sample
# averages, $Q_{n+1} = Q_n + (R_n - Q_n)/n$ (eq. 2.3). A small temperature $\tau$ is nearly
# greedy; a large one nearly uniform.

# %%


class Softmax:
    """Boltzmann exploration on sample-average action values (Sutton & Barto §2.8 notes)."""

    def __init__(self, temperature: float = 0.2) -> None:
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.temperature = temperature

    def reset(self, n_arms, n_runs=1, seed=None):
        """Forget everything: Q = 0 and no pulls, for ``n_runs`` independent learners."""
        self.rng = np.random.default_rng(seed)
        self.q = np.zeros((n_runs, n_arms))
        self.n = np.zeros((n_runs, n_arms))
        return self

    def select_actions(self):
        """One arm per run, drawn from the softmax of Q / temperature."""
        logits = self.q / self.temperature
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        cumulative = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        u = self.rng.random((len(p), 1))
        return np.minimum((u > cumulative).sum(axis=1), p.shape[1] - 1)

    def update_batch(self, actions, rewards):
        """Sample averages: Q(a) += (R - Q(a)) / N(a) for the pulled arm of each run."""
        runs = np.arange(len(actions))
        self.n[runs, actions] += 1
        self.q[runs, actions] += (rewards - self.q[runs, actions]) / self.n[runs, actions]


# %% [markdown]
# ## On the testbed, against greedy, epsilon-greedy and UCB

# %%
strategies = {
    "greedy": EpsilonGreedy(epsilon=0.0),
    "epsilon-greedy 0.1": EpsilonGreedy(epsilon=0.1),
    "UCB c=2": UCB(c=2.0),
    "softmax tau=0.2": Softmax(temperature=0.2),
    "softmax tau=100 (nearly uniform)": Softmax(temperature=100.0),
}
curves = {name: play(s) for name, s in strategies.items()}
last = slice(-N_STEPS // 5, None)
for name, (reward, optimal) in curves.items():
    print(f"{name:34s} reward {reward[last].mean():.3f}, optimal arm {optimal[last].mean():.0%}")

# %% [markdown]
# What to check: a nearly uniform strategy earns $E[q^*] = 0$ and picks the best arm a tenth of
# the time; the best any strategy can earn is $E[\max_a q^*(a)] \approx 1.54$ for ten arms.
# A well-tuned softmax beats greedy, which locks onto its first good-looking arm.

# %%
uniform_reward, uniform_optimal = curves["softmax tau=100 (nearly uniform)"]
assert abs(uniform_reward.mean()) < 0.1
assert abs(uniform_optimal.mean() - 1 / K) < 0.05
softmax_reward = curves["softmax tau=0.2"][0][last].mean()
greedy_reward = curves["greedy"][0][last].mean()
assert greedy_reward < softmax_reward < 1.55, (greedy_reward, softmax_reward)

# %%
import matplotlib.pyplot as plt

figure, axes = plt.subplots(1, 2, figsize=(11, 4))
for name, (reward, optimal) in curves.items():
    axes[0].plot(reward, label=name, lw=1)
    axes[1].plot(100 * optimal, label=name, lw=1)
axes[0].set(xlabel="step", ylabel="average reward")
axes[1].set(xlabel="step", ylabel="% optimal arm")
axes[1].legend(fontsize=8)
figure.suptitle(f"{K}-armed testbed: {N_RUNS} runs x {N_STEPS} steps" + (" (quick)" * QUICK))
plt.close(figure)  # in a notebook, drop this line to see the figure
