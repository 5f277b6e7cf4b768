"""Metropolis sampling of the 2-D Ising model and Onsager's exact results (seed 001, Ising PCA).

Spins s_i = ±1 on an L x L square lattice with periodic boundaries, coupling J = 1, no field,
k_B = 1:

    E(s) = -Σ_<ij> s_i s_j   (each nearest-neighbour bond once),   m = (1/N) Σ_i s_i.

Metropolis (Metropolis et al. 1953): flipping s_i changes the energy by ΔE = 2 s_i h_i with
h_i the sum of its four neighbours; the flip is accepted with probability min(1, e^(-ΔE/T)).
Sites of one colour of a proper colouring have no neighbours of the same colour, so all of
them are updated at once, then the next colour (:func:`sublattices`: the two colours of the
checkerboard for an even side L, three colours for an odd side, whose periodic lattice is not
bipartite): a sweep is N attempted flips, and many chains at many temperatures advance
together in one numpy array.

Exact infinite-lattice results (Onsager 1944; Yang 1952), with β = 1/T:

    T_c = 2 / ln(1 + √2) ≈ 2.269,
    u(T) = E/N = -coth(2β) [1 + (2/π)(2 tanh²(2β) - 1) K(k)],  k = 2 sinh(2β) / cosh²(2β),
    m(T) = (1 - sinh(2β)^-4)^(1/8) for T < T_c, 0 above,

where K is the complete elliptic integral of the first kind (``scipy.special.ellipk`` takes
the parameter k²).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ellipk

from labcoat.classic._checks import check_choice, check_int
from labcoat.models._random import numpy_generator

__all__ = [
    "Acceptance",
    "CRITICAL_TEMPERATURE",
    "IsingSamples",
    "heat_bath_probability",
    "ising_energy",
    "magnetization",
    "metropolis_sweep",
    "onsager_energy",
    "onsager_magnetization",
    "sample_ising",
    "sublattices",
]

CRITICAL_TEMPERATURE: float = 2.0 / math.log(1.0 + math.sqrt(2.0))
"""Onsager's T_c = 2 / ln(1 + √2) ≈ 2.269 (J = k_B = 1)."""


def _positive_temperatures(temperature: ArrayLike) -> NDArray[np.float64]:
    t = np.asarray(temperature, dtype=np.float64)
    if not np.all(t > 0):  # False for NaN too
        raise ValueError(f"temperature must be > 0, got {t}")
    return t


def onsager_energy(temperature: ArrayLike) -> NDArray[np.float64]:
    """Exact energy per spin u(T) of the infinite lattice (Onsager 1944), see the module text.

    Args:
        temperature: T > 0, any shape.
    """
    t = _positive_temperatures(temperature)
    two_beta = 2.0 / t
    with np.errstate(over="ignore"):
        k = 2.0 * np.tanh(two_beta) / np.cosh(two_beta)  # = 2 sinh(2β) / cosh²(2β)
    factor = 2.0 * np.tanh(two_beta) ** 2 - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        elliptic = factor * ellipk(k**2)
    elliptic = np.where(np.isfinite(elliptic), elliptic, 0.0)  # at T_c: factor 0, K infinite
    return -(1.0 + 2.0 / np.pi * elliptic) / np.tanh(two_beta)


def onsager_magnetization(temperature: ArrayLike) -> NDArray[np.float64]:
    """Exact spontaneous magnetization m(T) = (1 - sinh(2/T)^-4)^(1/8) below T_c, 0 above.

    Args:
        temperature: T > 0, any shape.
    """
    t = _positive_temperatures(temperature)
    with np.errstate(over="ignore"):
        inner = 1.0 - np.sinh(2.0 / t) ** -4.0
    return np.where(t < CRITICAL_TEMPERATURE, np.clip(inner, 0.0, None) ** 0.125, 0.0)


def ising_energy(spins: ArrayLike) -> NDArray[np.float64]:
    """Energy per spin E/N = -(1/N) Σ_<ij> s_i s_j with periodic boundaries.

    Args:
        spins: ±1 configurations, shape (..., L, L).

    Returns:
        Shape (...): one value per configuration.
    """
    s = np.asarray(spins, dtype=np.int32)
    bonds = s * np.roll(s, 1, axis=-1) + s * np.roll(s, 1, axis=-2)
    return -bonds.sum(axis=(-2, -1)) / (s.shape[-1] * s.shape[-2])


def magnetization(spins: ArrayLike) -> NDArray[np.float64]:
    """Magnetization per spin m = (1/N) Σ_i s_i, shape (...) for spins of shape (..., L, L)."""
    return np.asarray(spins, dtype=np.float64).mean(axis=(-2, -1))


def _cycle_colours(side: int) -> NDArray[np.int64]:
    """A proper colouring c of the cycle C_L: 0, 1, 0, 1, ... (L even) or ..., 0, 1, 2 (L odd)."""
    c = np.arange(side) % 2
    if side % 2:
        c[-1] = 2  # c(L-2) = 1 and c(0) = 0, so 2 keeps both neighbours of site L-1 different
    return c


def sublattices(side: int) -> tuple[NDArray[np.bool_], ...]:
    """Masks of sites updated together: no site has a neighbour of its own sublattice.

    Even L: the checkerboard, colour (i + j) mod 2 (two masks). Odd L: the periodic lattice is
    not bipartite, but colour(i, j) = (c(i) + c(j)) mod 3 with c a proper 3-colouring of the
    cycle C_L is proper (neighbours differ in one coordinate, where c(i) - c(i±1) ≠ 0 mod 3),
    so three masks.

    Args:
        side: lattice side L ≥ 2.
    """
    side = check_int("side", side, 2)
    c = _cycle_colours(side)
    n_colours = 2 if side % 2 == 0 else 3
    colour = (c[:, None] + c[None, :]) % n_colours
    return tuple(colour == k for k in range(n_colours))


Acceptance = Literal["metropolis", "heat-bath"]


def heat_bath_probability(beta: NDArray[np.float64], s_h: NDArray[np.int8]) -> NDArray[np.float64]:
    """Heat-bath (Glauber 1963) flip probability 1 / (1 + e^(ΔE/T)) with ΔE = 2 s_i h_i.

    At ΔE = 0 it is 1/2 (Metropolis: 1), so no state is mapped to a fixed next state.

    Args:
        beta: inverse temperatures 1/T ≥ 0 (∞ allowed), broadcastable against ``s_h``.
        s_h: s_i h_i per site.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # β = ∞: e^(±∞), and ∞ * 0 at ΔE = 0
        p = 1.0 / (1.0 + np.exp(2.0 * beta * s_h))
    return np.where(s_h == 0, 0.5, p)


def metropolis_sweep(
    spins: NDArray[np.int8],
    beta: ArrayLike,
    rng: np.random.Generator,
    acceptance: Acceptance = "metropolis",
) -> NDArray[np.int8]:
    """One Metropolis sweep of every lattice, one sublattice after another (in place).

    The sublattices are :func:`sublattices`: the checkerboard's two colours for an even side,
    three colours for an odd side; a site's neighbours are updated before or after it, never
    with it, so each sublattice update is a product of single-site Metropolis steps.

    A site with ΔE = 2 s_i h_i flips when u < exp(-β ΔE), u ~ U(0, 1): the Metropolis rule
    min(1, e^(-β ΔE)). Each site draws one uniform per sweep.

    Since s_i h_i ∈ {-4, -2, 0, 2, 4}, the rule needs only two exponentials per lattice,
    e^(-4β) and e^(-8β) (u < 1 always accepts ΔE ≤ 0): with k(u) = [u < e^(-4β)] + [u < e^(-8β)]
    the site flips exactly when s_i h_i ≤ 2 k(u), an integer comparison.

    Args:
        spins: int8 ±1 lattices, shape (..., L, L) with L ≥ 2 (even: two sublattices; odd:
            three); modified in place and returned.
        beta: inverse temperatures 1/T ≥ 0 (∞ allowed), broadcastable to ``spins.shape[:-2]``.
        rng: the random stream.
        acceptance: "metropolis" (the rule above) or "heat-bath": the site flips when
            u < :func:`heat_bath_probability` (same uniforms, one per site per sweep).

    Raises:
        ValueError: if some β is negative or NaN, or ``acceptance`` is unknown.
    """
    check_choice("acceptance", acceptance, ("metropolis", "heat-bath"))
    side = spins.shape[-1]
    beta_array = np.asarray(beta, dtype=np.float32)
    if not np.all(beta_array >= 0):  # the two-exponential rule assumes β ≥ 0; NaN fails too
        raise ValueError(f"beta must be >= 0 (an inverse temperature), got {beta!r}")
    minus_two_beta = -2.0 * beta_array.reshape(beta_array.shape + (1, 1))  # float32
    uniform = rng.random(spins.shape, dtype=np.float32)
    twice_k = (uniform < np.exp(minus_two_beta * 2)).view(np.int8) * np.int8(2)
    twice_k += (uniform < np.exp(minus_two_beta * 4)).view(np.int8) * np.int8(2)
    for colour in sublattices(side):
        h = (
            np.roll(spins, 1, axis=-1)
            + np.roll(spins, -1, axis=-1)
            + np.roll(spins, 1, axis=-2)
            + np.roll(spins, -1, axis=-2)
        )
        s_h = spins * h  # = ΔE / 2
        if acceptance == "metropolis":
            flip = (s_h <= twice_k) & colour
        else:
            beta_column = np.asarray(beta, dtype=np.float64).reshape(beta_array.shape + (1, 1))
            flip = (uniform < heat_bath_probability(beta_column, s_h)) & colour
        spins *= 1 - 2 * flip.view(np.int8)
    return spins


@dataclass(frozen=True)
class IsingSamples:
    """Configurations drawn by :func:`sample_ising`, grouped by temperature.

    Attributes:
        temperatures: T, shape (n_temperatures,).
        configurations: int8 ±1 spins, shape (n_temperatures, n_per_temperature, L, L).
        energies: energy per spin of each configuration, shape (n_temperatures, n_per_t).
        magnetizations: magnetization per spin m, shape (n_temperatures, n_per_temperature).
    """

    temperatures: NDArray[np.float64]
    configurations: NDArray[np.int8]
    energies: NDArray[np.float64]
    magnetizations: NDArray[np.float64]


def _checked_sampling(
    side: object, temperatures: NDArray[np.float64], counts: Mapping[str, object], start: str
) -> tuple[int, dict[str, int]]:
    """The side and the counts of :func:`sample_ising`, checked and converted to ints."""
    length = check_int("side", side, 2)
    if temperatures.ndim != 1 or len(temperatures) == 0 or not np.all(temperatures > 0):
        raise ValueError(f"temperatures must be a non-empty 1-D list of T > 0, got {temperatures}")
    check_choice("start", start, ("ordered", "random"))
    minimum = {"equilibration_sweeps": 0}
    return length, {
        name: check_int(name, value, minimum.get(name, 1)) for name, value in counts.items()
    }


def sample_ising(
    side: int,
    temperatures: ArrayLike,
    *,
    n_chains: int,
    equilibration_sweeps: int,
    n_samples_per_chain: int = 1,
    sweeps_between_samples: int = 1,
    start: Literal["ordered", "random"] = "ordered",
    acceptance: Acceptance = "metropolis",
    seed: int,
) -> IsingSamples:
    """Run ``n_chains`` Metropolis chains per temperature and collect configurations.

    All chains at all temperatures advance together (:func:`metropolis_sweep`). After
    ``equilibration_sweeps`` sweeps each chain yields ``n_samples_per_chain`` configurations,
    ``sweeps_between_samples`` sweeps apart (successive samples of one chain are correlated;
    samples of different chains are independent).

    Args:
        side: lattice side L ≥ 2 (even: checkerboard updates; odd: three sublattices, see
            :func:`sublattices`). Even sides give the same numbers as before odd sides existed.
        temperatures: the list of T > 0.
        n_chains: independent chains per temperature (≥ 1).
        equilibration_sweeps: sweeps discarded before sampling (≥ 0).
        n_samples_per_chain: configurations kept per chain (≥ 1).
        sweeps_between_samples: sweeps between kept configurations (≥ 1).
        start: "ordered" (every spin equal, the sign drawn per chain: quick to equilibrate
            below T_c, no stuck domain walls) or "random" (infinite temperature). On even
            sides the sweep is not ergodic: on the width-1 stripes (rows, or columns,
            alternating in sign) every site has ΔE = 0, so a sweep flips every spin and maps
            stripes to stripes; a chain never enters or leaves that set. A random start lands
            in it with probability 4 / 2^N (a quarter of the chains on 2 x 2, where the set
            also carries weight); an ordered start never does (tests/test_models_exact.py).
            The three-colour sweep has such sets too: on 3 x 3 no state has ΔE = 0 at every
            site at once, but 8 states (4 pairs s, -s) have ΔE = 0 at each site when its
            sublattice's turn comes, so a sweep maps s to -s with probability 1; the other
            504 states form one closed class. A random start lands in a pair with probability
            8 / 512, an ordered start never does (enumerated from the exact 512 x 512 sweep
            matrix in tests/test_models_ising_odd.py).
        acceptance: "metropolis" (default) or "heat-bath" (:func:`heat_bath_probability`,
            flip probability 1 / (1 + e^(ΔE/T)), 1/2 at ΔE = 0): every flip then has a
            probability strictly between 0 and 1 at finite T, so the closed sets above (the
            stripes, the 3 x 3 pairs) disappear and any start converges to p; it flips less
            often than Metropolis, so it mixes more slowly.
        seed: seeds the ``np.random.Generator``.

    Returns:
        :class:`IsingSamples` with n_chains * n_samples_per_chain configurations per T,
        ordered sample-major (all chains' first sample, then their second, ...).
    """
    t = np.asarray(temperatures, dtype=np.float64).reshape(-1)
    counts = {
        "n_chains": n_chains,
        "equilibration_sweeps": equilibration_sweeps,
        "n_samples_per_chain": n_samples_per_chain,
        "sweeps_between_samples": sweeps_between_samples,
    }
    side, counts = _checked_sampling(side, t, counts, start)
    check_choice("acceptance", acceptance, ("metropolis", "heat-bath"))
    n_chains = counts["n_chains"]
    rng = numpy_generator(seed)
    shape = (len(t), n_chains, side, side)
    if start == "ordered":
        sign = rng.choice(np.array([-1, 1], dtype=np.int8), size=(len(t), n_chains, 1, 1))
        spins = np.broadcast_to(sign, shape).copy()
    else:
        spins = rng.choice(np.array([-1, 1], dtype=np.int8), size=shape)
    beta = (1.0 / t)[:, None]
    for _ in range(counts["equilibration_sweeps"]):
        metropolis_sweep(spins, beta, rng, acceptance)
    kept = []
    for index in range(counts["n_samples_per_chain"]):
        if index:
            for _ in range(counts["sweeps_between_samples"]):
                metropolis_sweep(spins, beta, rng, acceptance)
        kept.append(spins.copy())
    configurations = np.concatenate(kept, axis=1)  # (n_T, n_samples_per_chain * n_chains, L, L)
    return IsingSamples(
        temperatures=t,
        configurations=configurations,
        energies=ising_energy(configurations),
        magnetizations=magnetization(configurations),
    )
