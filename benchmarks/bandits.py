"""Batched 10-armed testbed against per-run Python loops doing the same ε-greedy runs.

Run as ``python benchmarks/bandits.py``; ``main()`` is also called by benchmarks/agents.py.
Three ways to play 2000 runs x 1000 steps of ε-greedy (ε = 0.1, sample averages) on
Sutton & Barto's testbed:

1. ``run_testbed``: numpy across runs on the vectorized ``labcoat/Bandit-v0``;
2. ``run_episode`` per run on ``gym.make("labcoat/Bandit-v0")`` (the same strategy class with
   n_runs = 1, the single-env usage);
3. a hand-written scalar Python loop (numpy Generator scalars, no Gymnasium): the fastest
   per-run loop we could write.

The per-run loops are timed on a subset of runs and scaled to 2000 (they are linear in runs).
Times are the minimum of repeats (the machine is shared).
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np

import labcoat.envs  # noqa: F401  (registers the ids)
from labcoat.agents.bandits import EpsilonGreedy, run_episode, run_testbed

N_RUNS, N_STEPS, EPSILON = 2000, 1000, 0.1


def scalar_loop_run(seed: int, n_steps: int = N_STEPS, k: int = 10) -> float:
    """One ε-greedy run in plain Python; returns the fraction of optimal pulls."""
    rng = np.random.default_rng(seed)
    q_star = rng.standard_normal(k).tolist()
    best = max(range(k), key=q_star.__getitem__)
    q = [0.0] * k
    n = [0] * k
    optimal = 0
    for _ in range(n_steps):
        if rng.random() < EPSILON:
            a = int(rng.integers(k))
        else:
            top = max(q)
            ties = [i for i in range(k) if q[i] == top]
            a = ties[int(rng.integers(len(ties)))] if len(ties) > 1 else ties[0]
        r = q_star[a] + rng.standard_normal()
        n[a] += 1
        q[a] += (r - q[a]) / n[a]
        optimal += a == best
    return optimal / n_steps


def best_time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> dict[str, float]:
    strategy = EpsilonGreedy(epsilon=EPSILON)
    batched = best_time(lambda: run_testbed(strategy, n_runs=N_RUNS, n_steps=N_STEPS), 3)
    final = run_testbed(strategy, n_runs=N_RUNS, n_steps=N_STEPS).optimal_action_fraction
    print(
        f"batched testbed, {N_RUNS} runs x {N_STEPS} steps of eps-greedy ({EPSILON}): "
        f"{batched:.3f} s (min of 3); optimal action over the last 100 steps "
        f"{final[-100:].mean():.1%}"
    )

    subset = 20
    env = gym.make("labcoat/Bandit-v0", n_steps=N_STEPS)
    episode = best_time(lambda: [run_episode(strategy, env, seed=s) for s in range(subset)], 2)
    episode *= N_RUNS / subset
    print(
        f"per-run loop, run_episode on gym.make envs: {episode:.1f} s for {N_RUNS} runs "
        f"(scaled from {subset}); batched is {episode / batched:.0f}x faster"
    )

    subset = 100
    scalar = best_time(lambda: [scalar_loop_run(s) for s in range(subset)], 2)
    scalar *= N_RUNS / subset
    check = np.mean([scalar_loop_run(s) for s in range(200)])
    print(
        f"per-run loop, plain Python scalars: {scalar:.1f} s for {N_RUNS} runs "
        f"(scaled from {subset}; mean optimal fraction {check:.1%}); "
        f"batched is {scalar / batched:.0f}x faster"
    )
    return {
        "batched_seconds": batched,
        "run_episode_ratio": episode / batched,
        "scalar_loop_ratio": scalar / batched,
    }


if __name__ == "__main__":
    main()
