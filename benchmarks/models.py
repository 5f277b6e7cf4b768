"""fit() against a hand-written torch loop, and the Ising sampler's spin flips per second.

Run: ``python benchmarks/models.py``. Both training loops train the same MLP (64-128-128-10,
from the same initial state) on the digits with Adam, the same batch size and the same
shuffling cost (a torch.randperm per epoch), in one process with one torch thread; the
figures are the min and median over repeats of the per-epoch time. Target: fit ≤ 1.1x.
"""

from __future__ import annotations

import copy
import statistics
import time

import numpy as np
import torch

from labcoat.classic.datasets import load_digits
from labcoat.models.ising import metropolis_sweep
from labcoat.models.mlp import MLP
from labcoat.models.training import fit

EPOCHS, BATCH, REPEATS = 5, 32, 7


def plain_loop(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, seed: int) -> None:
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    loss_fn = torch.nn.functional.cross_entropy
    for _ in range(EPOCHS):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), BATCH):
            index = order[start : start + BATCH]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[index]), y[index])
            loss.backward()
            optimizer.step()


def time_fit(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, seed: int) -> None:
    fit(
        model,
        (x, y),
        loss=torch.nn.functional.cross_entropy,
        epochs=EPOCHS,
        batch_size=BATCH,
        learning_rate=1e-3,
        seed=seed,
    )


def training_benchmark() -> None:
    x_np, y_np = load_digits()
    x = torch.tensor(x_np / 16.0, dtype=torch.float32)
    y = torch.tensor(y_np)
    base = MLP((64, 128, 128, 10), seed=0)
    times: dict[str, list[float]] = {"fit": [], "plain": []}
    runners = {"fit": time_fit, "plain": plain_loop}
    for repeat in range(REPEATS):
        for name in ("fit", "plain") if repeat % 2 == 0 else ("plain", "fit"):
            model = copy.deepcopy(base)
            start = time.perf_counter()
            runners[name](model, x, y, repeat)
            times[name].append((time.perf_counter() - start) / EPOCHS)
    for name, values in times.items():
        print(
            f"{name:6s} epoch: min {min(values) * 1e3:7.2f} ms  median "
            f"{statistics.median(values) * 1e3:7.2f} ms"
        )
    ratio_min = min(times["fit"]) / min(times["plain"])
    ratio_median = statistics.median(times["fit"]) / statistics.median(times["plain"])
    print(f"fit / plain loop: min {ratio_min:.3f}x  median {ratio_median:.3f}x  (target <= 1.1x)")


def ising_benchmark() -> None:
    side, n_chains, sweeps = 64, 64, 20
    rng = np.random.default_rng(0)
    spins = rng.choice(np.array([-1, 1], dtype=np.int8), size=(n_chains, side, side))
    beta = np.full(n_chains, 1 / 2.5)
    metropolis_sweep(spins, beta, rng)  # warm-up
    rates = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(sweeps):
            metropolis_sweep(spins, beta, rng)
        rates.append(sweeps * spins.size / (time.perf_counter() - start))
    print(
        f"Ising Metropolis {n_chains} chains of {side}x{side}: "
        f"max {max(rates) / 1e6:.1f} M, median {statistics.median(rates) / 1e6:.1f} M "
        "attempted spin flips per second"
    )


def main() -> None:
    torch.set_num_threads(1)
    training_benchmark()
    ising_benchmark()


if __name__ == "__main__":
    main()
