"""Pretrain the `reaction` exercise's learned optimizer (absolute actions) and ship the weights.

Run as ``python benchmarks/pretrain_experiment.py [--iterations N] [--jobs J]``. For each of
the exercise's training seeds (``labcoat.exercises.reaction.agent_seeds(Config())``, the row
of "learned optimizer (absolute)") it trains an ``ExperimentOptimizer`` with the exercise's
settings (budget 29 after the random start, noise 0.02, 32 landscapes per step) for
``--iterations`` Adam steps on *training* landscapes only (even seeds; the exercise evaluates
on odd ones) and writes ``agents/weights/reaction_absolute_<seed>.pt`` with
``ExperimentOptimizer.save``. The record ``agents/weights/reaction_absolute.json`` keeps, per
seed, the first and last training losses, ``validation_loss()`` of the saved weights (a
fingerprint on fixed training landscapes, checked by the tests) and the CPU seconds.

The budget (2000 steps per seed; about 0.045 s CPU per step on the development machine,
so about 90 s CPU per seed) was chosen from a 100-step timing only; nothing here looks at
held-out landscapes. One thread per process; ``--jobs`` seeds train in parallel.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor

for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import torch  # noqa: E402

from labcoat.agents.experiment import PRETRAINED, ExperimentOptimizer, pretrained_path  # noqa: E402
from labcoat.classic._io import atomic_write_bytes  # noqa: E402
from labcoat.exercises import reaction  # noqa: E402

ITERATIONS = 2000
"""Adam steps per training seed."""


def pretrain(seed: int, iterations: int) -> dict[str, float]:
    """Train one seed with the exercise's settings, save it, return its record."""
    torch.set_num_threads(1)
    config = reaction.Config()
    clock = time.process_time()
    agent = ExperimentOptimizer(
        absolute=True,
        budget=config.budget - 1,
        step_size=config.step_size,
        noise=config.noise,
        batch_size=config.optimizer_batch,
        kind=config.kind,
        seed=seed,
    ).learn(iterations)
    cpu = time.process_time() - clock
    agent.save(pretrained_path(seed))
    return {
        "first_loss": agent.losses_[0],
        "last_loss": agent.losses_[-1],
        "last_100_mean_loss": sum(agent.losses_[-100:]) / len(agent.losses_[-100:]),
        "validation_loss": agent.validation_loss(),
        "cpu_seconds": cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=ITERATIONS)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    row = list(reaction.AGENTS).index("learned optimizer (absolute)")
    seeds = [int(s) for s in reaction.agent_seeds(reaction.Config())[row]]
    with ProcessPoolExecutor(args.jobs) as pool:
        records = list(pool.map(pretrain, seeds, [args.iterations] * len(seeds)))
    for seed, record in zip(seeds, records, strict=True):
        print(seed, {k: round(v, 5) for k, v in record.items()})
    summary = {
        "iterations": args.iterations,
        "batch_size": reaction.Config().optimizer_batch,
        "seeds": {str(s): r for s, r in zip(seeds, records, strict=True)},
    }
    text = json.dumps(summary, indent=2) + "\n"
    atomic_write_bytes(PRETRAINED / "reaction_absolute.json", text.encode())


if __name__ == "__main__":
    main()
