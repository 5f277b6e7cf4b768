"""Decision time of the learned experiment optimizer against GP-EI, and its training cost.

Run as ``python benchmarks/experiment.py``. In one process, on the same 30-experiment
campaigns (``ReactionOptimizationEnv``, budget 29 after the random start, landscape seeds
1, 3, 5):

1. the learned optimizer's decision: one ``ExperimentOptimizer.predict`` (a GRU step of 64
   units) per experiment, on ``ExperimentHistory(k=1)`` observations (weights untrained: the
   cost does not depend on them);
2. GP-EI's decision (``labcoat.exercises._bayesopt``, the `reaction` exercise's settings:
   5 initial points, 1000 candidates): a whole campaign's time over its 30 experiments;
3. one training step of the optimizer (32 simulated campaigns forward and backward).

Printed: seconds per decision for both, their ratio (issue 13's target: <= 1/20), and the
seconds per training step with what 300 steps (the exercise's in-run training) and 2000 steps
(``benchmarks/pretrain_experiment.py``) cost. Median of ``REPEATS`` interleaved repeats (the
ratio: the median and the minimum of the per-repeat ratios); one thread.
"""

from __future__ import annotations

import os
import time

for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from labcoat.agents.experiment import ExperimentOptimizer  # noqa: E402
from labcoat.envs.history import ExperimentHistory  # noqa: E402
from labcoat.envs.reaction import HIGH, LOW, ReactionOptimizationEnv  # noqa: E402
from labcoat.exercises._bayesopt import bayesian_optimization  # noqa: E402

SEEDS = (1, 3, 5)
REPEATS = 7


def learned_decision(agent: ExperimentOptimizer) -> float:
    """Seconds per ``predict`` over campaigns on the SEEDS landscapes."""
    seconds, decisions = 0.0, 0
    for seed in SEEDS:
        env = ExperimentHistory(ReactionOptimizationEnv(absolute=True, landscape_seed=seed), k=1)
        observation, _ = env.reset(seed=seed)
        state, truncated = None, False
        while not truncated:
            clock = time.perf_counter()
            action, state = agent.predict(observation, state)
            seconds += time.perf_counter() - clock
            decisions += 1
            observation, _, _, truncated, _ = env.step(action)
    return seconds / decisions


def bayesian_decision() -> float:
    """Seconds per GP-EI decision (whole campaigns over their experiments)."""
    seconds = 0.0
    for seed in SEEDS:
        env = ReactionOptimizationEnv(landscape_seed=seed)
        env.reset(seed=seed)

        def measure(unit: np.ndarray, env: ReactionOptimizationEnv = env) -> float:
            observation, _ = env.reset(options={"conditions": LOW + unit * (HIGH - LOW)})
            return float(observation[3])

        clock = time.perf_counter()
        bayesian_optimization(
            measure, 3, 30, np.random.default_rng(seed), noise_variance=0.02**2, n_candidates=1000
        )
        seconds += time.perf_counter() - clock
    return seconds / (30 * len(SEEDS))


def training_step() -> float:
    """Seconds of one gradient step (32 landscapes, 30 experiments each)."""
    agent = ExperimentOptimizer(seed=0)
    clock = time.perf_counter()
    agent.learn(5)
    return (time.perf_counter() - clock) / 5


def main() -> None:
    torch.set_num_threads(1)
    agent = ExperimentOptimizer(seed=0)
    learned, bayesian, step = [], [], []
    for _ in range(REPEATS):
        learned.append(learned_decision(agent))
        bayesian.append(bayesian_decision())
        step.append(training_step())
    a, b, s = (float(np.median(x)) for x in (learned, bayesian, step))
    ratios = np.divide(learned, bayesian)
    print(f"learned optimizer decision: {1e3 * a:.3f} ms; GP-EI decision: {1e3 * b:.2f} ms")
    print(f"ratio learned / GP-EI: {np.median(ratios):.4f} median, {ratios.min():.4f} min "
          "(target <= 0.05); per repeat:")  # fmt: skip
    print(" ".join(f"{x / y:.4f}" for x, y in zip(learned, bayesian, strict=True)))
    print(f"training step: {s:.3f} s; 300 steps: {300 * s:.0f} s, 2000: {2000 * s:.0f} s per seed")


if __name__ == "__main__":
    main()
