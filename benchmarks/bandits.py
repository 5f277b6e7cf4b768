"""Batched 10-armed testbed against per-run Python loops doing the same ε-greedy runs.

Run as ``python benchmarks/bandits.py``; ``main()`` is also called by benchmarks/agents.py.
Three ways to play 2000 runs x 1000 steps of ε-greedy (ε = 0.1, sample averages) on
Sutton & Barto's testbed:

1. ``run_testbed``: numpy across runs on the vectorized ``labcoat/Bandit-v0``;
2. ``run_episode`` per run on ``gym.make("labcoat/Bandit-v0")`` (the same strategy class with
   n_runs = 1, the single-env usage);
3. a hand-written scalar Python loop (numpy Generator scalars, no Gymnasium): the fastest
   per-run loop we could write.

Equal work: the same number of runs and steps of the same strategy. The per-run loops are timed
on a subset of runs and scaled to 2000 (their cost is linear in the runs: each run is a loop of
its own). The three are run in turn (A B C A B C ...) for ``REPEATS`` repeats; the median and
the minimum of the per-repeat ratios are printed, with each side's fraction of optimal actions
over the last 100 steps beside its time.
"""

from __future__ import annotations

import statistics
import time

import gymnasium as gym
import numpy as np

import labcoat.envs  # noqa: F401  (registers the ids)
from labcoat.agents.bandits import EpsilonGreedy, run_episode, run_testbed

N_RUNS, N_STEPS, EPSILON = 2000, 1000, 0.1


def scalar_loop_run(
    seed: int, n_steps: int = N_STEPS, k: int = 10, last: int | None = None
) -> float:
    """One ε-greedy run in plain Python: the fraction of optimal pulls (of the ``last`` ones)."""
    rng = np.random.default_rng(seed)
    q_star = rng.standard_normal(k).tolist()
    best = max(range(k), key=q_star.__getitem__)
    q = [0.0] * k
    n = [0] * k
    optimal = 0
    for t in range(n_steps):
        if rng.random() < EPSILON:
            a = int(rng.integers(k))
        else:
            top = max(q)
            ties = [i for i in range(k) if q[i] == top]
            a = ties[int(rng.integers(len(ties)))] if len(ties) > 1 else ties[0]
        r = q_star[a] + rng.standard_normal()
        n[a] += 1
        q[a] += (r - q[a]) / n[a]
        optimal += a == best and (last is None or t >= n_steps - last)
    return optimal / (n_steps if last is None else last)


REPEATS = 3
SUBSETS = {"run_episode": 20, "scalar": 100}  # runs timed of each per-run loop


def timed(function) -> tuple[float, float]:
    """(seconds, fraction of optimal actions over the last 100 steps) of one call."""
    start = time.perf_counter()
    optimal = function()
    return time.perf_counter() - start, optimal


def main() -> dict[str, float]:
    strategy = EpsilonGreedy(epsilon=EPSILON)
    env = gym.make("labcoat/Bandit-v0", n_steps=N_STEPS)

    def batched() -> float:
        result = run_testbed(strategy, n_runs=N_RUNS, n_steps=N_STEPS)
        return float(result.optimal_action_fraction[-100:].mean())

    def episodes() -> float:
        runs = [run_episode(strategy, env, seed=s) for s in range(SUBSETS["run_episode"])]
        return float(np.mean([run.optimal_action_fraction[-100:].mean() for run in runs]))

    def scalars() -> float:
        return float(np.mean([scalar_loop_run(s, last=100) for s in range(SUBSETS["scalar"])]))

    times: dict[str, list[float]] = {"batched": [], "run_episode": [], "scalar": []}
    optimal: dict[str, float] = {}
    for _ in range(REPEATS):  # interleaved: A B C A B C ...
        for name, function in (("batched", batched), ("run_episode", episodes),
                               ("scalar", scalars)):  # fmt: skip
            seconds, optimal[name] = timed(function)
            times[name].append(seconds * N_RUNS / SUBSETS.get(name, N_RUNS))
    print(f"{N_RUNS} runs x {N_STEPS} steps of eps-greedy ({EPSILON}), {REPEATS} interleaved "
          "repeats (per-run loops timed on a subset, scaled to all runs); optimal action over "
          "the last 100 steps beside each time")  # fmt: skip
    print(f"  batched run_testbed: {statistics.median(times['batched']):.3f} s median, "
          f"{min(times['batched']):.3f} s min; optimal {optimal['batched']:.1%}")  # fmt: skip
    ratios = {}
    for name, label in (("run_episode", "run_episode on gym.make envs"),
                        ("scalar", "hand-written scalar Python loop")):  # fmt: skip
        per_repeat = [t / b for t, b in zip(times[name], times["batched"], strict=True)]
        ratios[name] = statistics.median(per_repeat)
        print(f"  per-run loop, {label}: {statistics.median(times[name]):.1f} s for {N_RUNS} "
              f"runs (from {SUBSETS[name]}); optimal {optimal[name]:.1%}; batched is "
              f"{ratios[name]:.0f}x faster (median; min {min(per_repeat):.0f}x)")  # fmt: skip
    return {
        "batched_seconds": statistics.median(times["batched"]),
        "run_episode_ratio": ratios["run_episode"],
        "scalar_loop_ratio": ratios["scalar"],
    }


if __name__ == "__main__":
    main()
