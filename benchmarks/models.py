"""labcoat's models against hand-written loops: fit, RBM training, Ising Metropolis sweeps.

Run: ``python benchmarks/models.py [--quick]``, in one process with one torch/BLAS thread
(``--quick`` is a smoke run: too short for meaningful figures).

How the figures are made (the same for every benchmark):

- the sides run interleaved, A B C then C B A, ``REPEATS`` times, so a change of machine load
  hits all of them; each timed run starts from a copy of the same state (model or lattice);
- equal work: the same epochs over the same batches, or the same number of sweeps, and the
  same random numbers in the same order, so the sides end in the same state up to float
  rounding; the accuracy printed next to the times (final loss, exact log-likelihood, energy
  per spin, max weight difference) shows it. The one side that does more work says so
  (train_rbm with its monitoring pass, which also draws its own numbers);
- per side, the min and median per epoch (per sweep) of the wall clock and of this process's
  CPU time (what other users of a loaded machine cannot steal); ratios are to the last side,
  the reference, as the ratio of the minima and the median of the per-repeat ratios.

Targets: fit <= 1.1x the torch loop, RBM CD-1 epoch <= 1.2x the hand loop, Ising <= 1.1x a
plain numpy sublattice sweep (the reference looks the acceptance up; the textbook sweep with
e^(-βΔE) per site is timed too).
"""

from __future__ import annotations

import copy
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

import numpy as np
import torch

from labcoat.classic.datasets import load_digits
from labcoat.models.generative_data import bars_and_stripes
from labcoat.models.ising import ising_energy, metropolis_sweep
from labcoat.models.mlp import MLP
from labcoat.models.rbm import RBM, train_rbm
from labcoat.models.training import fit

REPEATS = 7
State = TypeVar("State")


Timings = dict[str, dict[str, list[float]]]  # side -> clock ("wall", "cpu") -> seconds per run


def interleaved(
    sides: Mapping[str, Callable[[State], object]], start: State, repeats: int
) -> tuple[Timings, dict[str, State]]:
    """Time each side ``repeats`` times, alternating A B / B A, by wall clock and CPU time.

    Every run works in place on its own copy of ``start`` (the copy is not timed); the state
    each side ends in is returned with the times, to compare the sides' results. The CPU time
    of this process is what the other users of a loaded machine cannot steal; the wall clock
    is what a user waits for. Both are reported.
    """
    times: Timings = {name: {"wall": [], "cpu": []} for name in sides}
    final: dict[str, State] = {}
    names = list(sides)
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else names[::-1]:
            final[name] = copy.deepcopy(start)
            wall, cpu = time.perf_counter(), time.process_time()
            sides[name](final[name])
            times[name]["cpu"].append(time.process_time() - cpu)
            times[name]["wall"].append(time.perf_counter() - wall)
    return times, final


def report(title: str, work: str, times: Timings, per: int, unit: str) -> None:
    """Print min and median per unit of work of every side and its ratios to the last side.

    A ratio is given as the ratio of the minima and as the median of the per-repeat ratios.
    """
    print(f"\n{title}\n  equal work: {work}")
    reference = times[list(times)[-1]]
    for name, clocks in times.items():
        line = f"  {name:22s} per {unit}:"
        for clock, values in clocks.items():
            scaled = [value / per * 1e3 for value in values]
            line += f"  {clock} min {min(scaled):7.3f} median {statistics.median(scaled):7.3f} ms"
        print(line)
        if clocks is not reference:
            ratios = []
            for clock, values in clocks.items():
                paired = [a / b for a, b in zip(values, reference[clock], strict=True)]
                ratios.append(
                    f"{clock} min {min(values) / min(reference[clock]):.3f}x "
                    f"median {statistics.median(paired):.3f}x"
                )
            print(f"  {'':22s} ratio to {list(times)[-1]}: " + ", ".join(ratios))


# ---------------------------------------------------------------- fit vs a torch loop

FIT_EPOCHS, FIT_BATCH = 5, 32


def torch_loop(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, seed: int) -> None:
    """Adam on cross-entropy, one torch.randperm per epoch from a seeded generator (as fit)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    loss_fn = torch.nn.functional.cross_entropy
    for _ in range(FIT_EPOCHS):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), FIT_BATCH):
            index = order[start : start + FIT_BATCH]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[index]), y[index])
            loss.backward()
            optimizer.step()


def labcoat_fit(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, seed: int) -> None:
    """The same training through labcoat.models.training.fit."""
    fit(
        model,
        (x, y),
        loss=torch.nn.functional.cross_entropy,
        epochs=FIT_EPOCHS,
        batch_size=FIT_BATCH,
        learning_rate=1e-3,
        seed=seed,
    )


def fit_benchmark(repeats: int) -> None:
    """MLP 64-128-128-10 on the digits, Adam, batch 32, from one initial state."""
    x_np, y_np = load_digits()
    x = torch.tensor(x_np / 16.0, dtype=torch.float32)
    y = torch.tensor(y_np)
    sides: dict[str, Callable[[torch.nn.Module], object]] = {
        "labcoat fit": lambda model: labcoat_fit(model, x, y, 0),
        "torch loop": lambda model: torch_loop(model, x, y, 0),
    }
    times, trained = interleaved(sides, MLP((64, 128, 128, 10), seed=0), repeats)
    report(
        "fit vs a hand-written torch loop: MLP 64-128-128-10, digits (1797), Adam",
        f"{FIT_EPOCHS} epochs of batch {FIT_BATCH}, same initial weights, same shuffling seed",
        times,
        FIT_EPOCHS,
        "epoch",
    )
    with torch.no_grad():
        losses = {
            name: float(torch.nn.functional.cross_entropy(model(x), y))
            for name, model in trained.items()
        }
    print("  accuracy: final training loss " + ", ".join(f"{k} {v:.6f}" for k, v in losses.items()))


# ---------------------------------------------------------------- RBM CD-1 vs a hand loop


def hand_cd1(rbm: RBM, data: torch.Tensor, epochs: int, batch: int, rate: float, seed: int) -> None:
    """CD-1 written out on the RBM's parameters (Algorithm 4, batch-mean update of eq. 5.14).

    train_rbm draws the persistent chains' start even for CD; it is drawn here too, so both
    sides use one stream and end with the same weights.
    """
    w, a, b = rbm.weight, rbm.visible_bias, rbm.hidden_bias
    g = torch.Generator().manual_seed(seed)
    torch.bernoulli(torch.full((batch, len(a)), 0.5, dtype=w.dtype), generator=g)
    with torch.no_grad():
        for _ in range(epochs):
            order = torch.randperm(len(data), generator=g)
            for start in range(0, len(data), batch):
                x = data[order[start : start + batch]]
                p_x = torch.sigmoid(b + x @ w)
                h = torch.bernoulli(p_x, generator=g)
                v = torch.bernoulli(torch.sigmoid(a + h @ w.T), generator=g)
                p_v = torch.sigmoid(b + v @ w)
                w += rate * (x.T @ p_x - v.T @ p_v) / len(x)
                a += rate * (x - v).mean(0)
                b += rate * (p_x - p_v).mean(0)


def rbm_case(
    title: str, data: torch.Tensor, n_hidden: int, setup: tuple[int, int, float], repeats: int
) -> None:
    """Time train_rbm (with and without its monitoring pass) against hand_cd1 on ``data``."""
    epochs, batch, rate = setup

    def labcoat(monitor: bool) -> Callable[[RBM], object]:
        return lambda rbm: train_rbm(
            rbm,
            data,
            epochs=epochs,
            batch_size=batch,
            learning_rate=rate,
            seed=1,
            track_reconstruction=monitor,
        )

    sides = {
        "train_rbm": labcoat(False),
        "train_rbm + monitoring": labcoat(True),
        "hand loop": lambda rbm: hand_cd1(rbm, data, epochs, batch, rate, 1),
    }
    base = RBM(data.shape[1], n_hidden, seed=0, weight_scale=0.1)
    times, trained = interleaved(sides, base, repeats)
    report(
        title,
        f"{epochs} epochs of CD-1, batch {batch}, η = {rate}, same start and seed; train_rbm "
        "without monitoring draws what the hand loop draws (+ monitoring: one reconstruction "
        "pass over the data per epoch, its own draws)",
        times,
        epochs,
        "epoch",
    )
    mine, hand = trained["train_rbm"], trained["hand loop"]
    log_z = {name: rbm.log_partition() for name, rbm in trained.items()}
    scores = {
        name: float(rbm.log_likelihood(data, log_z[name]).mean()) for name, rbm in trained.items()
    }
    print(
        "  accuracy: exact mean log P(x) "
        + ", ".join(f"{name} {value:.6f}" for name, value in scores.items())
        + f"; max |W - W_hand| = {float((mine.weight - hand.weight).abs().max()):.1e}"
    )


def rbm_benchmark(repeats: int, quick: bool) -> None:
    """Bars-and-stripes as in the rbm exercise, and binarized digits (exact log Z over 2^16 h)."""
    patterns = torch.as_tensor(bars_and_stripes(4))
    rbm_case(
        "RBM CD-1: bars-and-stripes 4x4 (30 patterns, 16 visible, 12 hidden), the exercise",
        patterns,
        12,
        (50 if quick else 300, 10, 0.1),
        repeats,
    )
    x_np, _ = load_digits()
    digits = torch.as_tensor((x_np > 7).astype(np.float64))
    rbm_case(
        "RBM CD-1: binarized digits (1797 x 64 visible, 16 hidden)",
        digits,
        16,
        (2 if quick else 10, 32, 0.05),
        repeats,
    )


# ---------------------------------------------------------------- Ising vs plain numpy
# Two plain numpy checkerboard sweeps: the textbook one, e^(-βΔE) on one colour's sites, and
# one that looks the acceptance up (e^(-βΔE) only for the two ΔE > 0 values, 4 and 8). Both
# draw one float32 uniform per site per sweep up front, the stream of metropolis_sweep, so
# all sides run the same chain.


def checkerboard_and_uniforms(
    spins: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The even-colour mask (L, L) and this sweep's uniforms, shape of ``spins``."""
    index = np.arange(spins.shape[-1])
    even = (index[:, None] + index[None, :]) % 2 == 0
    return even, rng.random(spins.shape, dtype=np.float32)


def neighbour_sum(spins: np.ndarray) -> np.ndarray:
    """h_i, the sum of the four periodic neighbours of every site."""
    return (
        np.roll(spins, 1, axis=-1)
        + np.roll(spins, -1, axis=-1)
        + np.roll(spins, 1, axis=-2)
        + np.roll(spins, -1, axis=-2)
    )


def exp_sweep(spins: np.ndarray, beta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per colour: gather its sites, ΔE and u < e^(-βΔE) there, scatter the flips back."""
    beta32 = np.asarray(beta, dtype=np.float32)[..., None]
    even, uniform = checkerboard_and_uniforms(spins, rng)
    for colour in (even, ~even):
        s = spins[..., colour]  # (..., L*L/2)
        delta_e = (2 * s * neighbour_sum(spins)[..., colour]).astype(np.float32)
        with np.errstate(over="ignore"):
            accept = uniform[..., colour] < np.exp(-beta32 * delta_e)
        spins[..., colour] = np.where(accept, -s, s)
    return spins


def table_sweep(spins: np.ndarray, beta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per colour, on the whole lattice: ΔE ≤ 0 accepted, else u < e^(-4β) or e^(-8β)."""
    beta32 = np.asarray(beta, dtype=np.float32)[..., None, None]
    accept_4, accept_8 = np.exp(-4 * beta32), np.exp(-8 * beta32)
    even, uniform = checkerboard_and_uniforms(spins, rng)
    for colour in (even, ~even):
        s_h = spins * neighbour_sum(spins)  # ΔE / 2
        threshold = np.where(s_h == 2, accept_4, accept_8)
        flip = colour & ((s_h <= 0) | (uniform < threshold))
        spins[...] = np.where(flip, -spins, spins)
    return spins


def ising_benchmark(repeats: int, quick: bool) -> None:
    """64 chains of 64x64 at T = 2.5, the same sweeps from the same lattice and seed."""
    side, n_chains, temperature = 64, 64, 2.5
    sweeps = 5 if quick else 20
    start = np.random.default_rng(0).choice(
        np.array([-1, 1], dtype=np.int8), (n_chains, side, side)
    )
    beta = np.full(n_chains, 1 / temperature)

    def chain(sweep: Callable[..., np.ndarray]) -> Callable[[np.ndarray], None]:
        def run(spins: np.ndarray) -> None:
            rng = np.random.default_rng(1)
            for _ in range(sweeps):
                sweep(spins, beta, rng)

        return run

    sides = {
        "metropolis_sweep": chain(metropolis_sweep),
        "numpy, exp per site": chain(exp_sweep),
        "numpy, table": chain(table_sweep),
    }
    times, final = interleaved(sides, start, repeats)
    report(
        f"Ising Metropolis: {n_chains} chains of {side}x{side} at T = {temperature}",
        f"{sweeps} sweeps from the same random lattice with the same seed (same uniforms)",
        times,
        sweeps,
        "sweep",
    )
    energies = {name: float(ising_energy(spins).mean()) for name, spins in final.items()}
    same = all(np.array_equal(final["metropolis_sweep"], spins) for spins in final.values())
    flips = sweeps * start.size / (min(times["metropolis_sweep"]["wall"]) * 1e6)
    print(
        "  accuracy: mean energy per spin "
        + ", ".join(f"{name} {value:.6f}" for name, value in energies.items())
        + f"; identical chains: {same}; {flips:.0f} M attempted flips/s"
    )


def main() -> None:
    """Run every benchmark; ``--quick`` shortens them (a smoke run, figures not meaningful)."""
    quick = "--quick" in sys.argv[1:]
    repeats = 3 if quick else REPEATS
    torch.set_num_threads(1)
    fit_benchmark(repeats)
    rbm_benchmark(repeats, quick)
    ising_benchmark(repeats, quick)


if __name__ == "__main__":
    main()
