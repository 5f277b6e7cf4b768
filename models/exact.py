"""Exact target distributions for generative models, and divergences measured against them.

A small lattice's Boltzmann distribution can be enumerated (seed 001's Ising model; 2^N states
for N spins, 65,536 for 4 x 4), and so can the uniform bars-and-stripes distribution (MacKay
2003, §43). A generative model whose likelihood is exact is then scored by the exact

    KL(p || q) = Σ_x p(x) [log p(x) - log q(x)],

and a sampler without a likelihood by the KL of histograms (of states, or of a statistic such
as the energy) with a stated smoothing.

States are indexed as :func:`labcoat.models.rbm.binary_states` orders them: state i has bit
k = (i >> k) & 1 at site k (row-major over the lattice, least significant first); a spin is
s = 2 b - 1.

The Ising energy is :func:`labcoat.models.ising.ising_energy`'s convention (J = 1, periodic,
each bond counted once by rolling right and down; on a 2 x 2 lattice each neighbour pair is
thus counted twice, as the Metropolis sampler's ΔE also assumes), so the enumeration and the
sampler describe the same distribution p(s) = exp(-E(s)/T) / Z.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import logsumexp

from labcoat.classic._checks import check_float, check_int
from labcoat.models._random import numpy_generator
from labcoat.models.generative_data import bars_and_stripes
from labcoat.models.ising import ising_energy, magnetization

__all__ = [
    "ExactDistribution",
    "exact_bars_and_stripes",
    "exact_ising",
    "histogram_kl",
    "kl_divergence",
    "lattice_states",
    "state_index",
]

_MAX_SITES = 20


def lattice_states(side: int) -> NDArray[np.int8]:
    """All 2^(side²) ±1 configurations of a side x side lattice, shape (2^N, side, side).

    Row i holds the bits of i (site k = row-major index, least significant first) as spins
    s = 2 b - 1.

    Args:
        side: lattice side L (1..4; 4 x 4 has 65,536 states).
    """
    side = check_int("side", side, 1, 4)
    return (2 * _all_bits(side * side) - 1).astype(np.int8).reshape(-1, side, side)


def _all_bits(n_sites: int) -> NDArray[np.int64]:
    """All 2^n bit rows, row i holding the bits of i (least significant first)."""
    index = np.arange(2**n_sites, dtype=np.int64)[:, None]
    return (index >> np.arange(n_sites)[None, :]) & 1


def state_index(x: ArrayLike) -> NDArray[np.int64]:
    """The index i = Σ_k b_k 2^k of each state; rows of ``x`` are bits (0/1) or spins (±1).

    Args:
        x: shape (n, N) or (n, L, L); entries > 0 count as bit 1.

    Returns:
        Shape (n,), integers in [0, 2^N).
    """
    array = np.asarray(x)
    bits = (array.reshape(len(array), -1) > 0).astype(np.int64)
    if bits.shape[1] > _MAX_SITES:
        raise ValueError(f"x must have at most {_MAX_SITES} sites per row, got {bits.shape[1]}")
    return bits @ (np.int64(1) << np.arange(bits.shape[1], dtype=np.int64))


@dataclass(frozen=True)
class ExactDistribution:
    """An enumerated distribution over binary states.

    Attributes:
        states: every state as bits 0/1, shape (n_states, N), row i = state index i.
        log_p: log p(x) of each row (-inf where p = 0), shape (n_states,).
        energy: energy per site of each row (Ising), else None.
        magnetization: magnetization per site of each row (Ising), else None.
    """

    states: NDArray[np.float64]
    log_p: NDArray[np.float64]
    energy: NDArray[np.float64] | None = None
    magnetization: NDArray[np.float64] | None = None

    @property
    def p(self) -> NDArray[np.float64]:
        """The probability of each state, exp(log_p)."""
        return np.exp(self.log_p)

    def expectation(self, values: ArrayLike) -> float:
        """⟨f⟩ = Σ_x p(x) f(x) for ``values`` f(x) given per state."""
        return float(np.sum(self.p * np.asarray(values, dtype=np.float64)))

    def entropy(self) -> float:
        """H(p) = -Σ_x p(x) log p(x) in nats (0 log 0 = 0)."""
        p = self.p
        return float(-np.sum(p[p > 0] * self.log_p[p > 0]))

    def sample(self, n_samples: int, *, seed: int) -> NDArray[np.float64]:
        """Independent draws of states (bits), shape (n_samples, N), by inverse-CDF sampling."""
        n_samples = check_int("n_samples", n_samples, 1)
        index = numpy_generator(seed).choice(
            len(self.log_p), size=n_samples, p=self.p / self.p.sum()
        )
        return self.states[index]


def exact_ising(side: int, temperature: float) -> ExactDistribution:
    """The Boltzmann distribution p(s) = exp(-E(s)/T) / Z of the side x side periodic lattice.

    log Z = logsumexp_s(-E(s)/T) over all 2^(side²) states, so log p is accurate at any T.

    Args:
        side: lattice side L (1..4).
        temperature: T > 0.
    """
    temperature = check_float("temperature", temperature, 0.0, low_open=True)
    spins = lattice_states(side)
    energy = ising_energy(spins)  # per site
    log_weight = -energy * spins[0].size / temperature
    return ExactDistribution(
        states=(spins.reshape(len(spins), -1) > 0).astype(np.float64),
        log_p=log_weight - logsumexp(log_weight),
        energy=energy,
        magnetization=magnetization(spins),
    )


def exact_bars_and_stripes(side: int) -> ExactDistribution:
    """The uniform distribution over the 2^(n+1) - 2 bars-and-stripes images of side n ≤ 4.

    p(x) = 1 / (2^(n+1) - 2) on the patterns, 0 (log p = -inf) on the other 2^(n²) states.
    """
    side = check_int("side", side, 1, 4)
    patterns = bars_and_stripes(side)
    log_p = np.full(2 ** (side * side), -np.inf)
    log_p[state_index(patterns)] = -np.log(len(patterns))
    return ExactDistribution(states=_all_bits(side * side).astype(np.float64), log_p=log_p)


def kl_divergence(log_p: ArrayLike, log_q: ArrayLike) -> float:
    """KL(p || q) = Σ_x p(x) [log p(x) - log q(x)] in nats, over states with p(x) > 0.

    Args:
        log_p: log p(x) per state (-inf allowed where p = 0).
        log_q: log q(x) per state, same shape.
    """
    lp = np.asarray(log_p, dtype=np.float64)
    lq = np.asarray(log_q, dtype=np.float64)
    if lp.shape != lq.shape:
        raise ValueError(f"log_p and log_q must have the same shape, got {lp.shape}, {lq.shape}")
    support = np.isfinite(lp)
    return float(np.sum(np.exp(lp[support]) * (lp[support] - lq[support])))


def histogram_kl(p: ArrayLike, counts: ArrayLike, smoothing: float = 0.5) -> float:
    """KL(p || q̂) with q̂ the additively smoothed histogram of samples (a biased estimate).

    q̂_j = (c_j + α) / (n + α K) over K bins with counts c_j summing to n (α = ``smoothing``;
    α = 1/2 is the Krichevsky-Trofimov estimator). An estimate from samples, labelled as such:
    with few samples per bin it is biased (up or down), so compare it only at equal sample
    sizes, or over a coarse statistic (energy levels) where the bins are well filled.

    Args:
        p: exact probabilities of the K bins (summing to 1).
        counts: sample counts per bin, same shape.
        smoothing: α > 0.
    """
    alpha = check_float("smoothing", smoothing, 0.0, low_open=True)
    p_array = np.asarray(p, dtype=np.float64)
    c = np.asarray(counts, dtype=np.float64)
    if p_array.shape != c.shape:
        raise ValueError(f"p and counts must have the same shape, got {p_array.shape}, {c.shape}")
    q_hat = (c + alpha) / (c.sum() + alpha * c.size)
    with np.errstate(divide="ignore"):
        return kl_divergence(np.log(p_array), np.log(q_hat))
