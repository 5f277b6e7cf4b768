"""Odd lattice sides: the three-colour sweep against the exact 3 x 3 distribution (χ²)."""

import functools
import hashlib

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components
from scipy.stats import chisquare

from labcoat.models.exact import exact_ising, lattice_states, state_index
from labcoat.models.ising import (
    heat_bath_probability,
    metropolis_sweep,
    sample_ising,
    sublattices,
)

_N_CHAINS = 120_000
_SWEEPS = 30


def _neighbour_sum(spins: np.ndarray) -> np.ndarray:
    return sum(np.roll(spins, shift, axis) for shift in (1, -1) for axis in (-1, -2))


@pytest.mark.parametrize("side", range(2, 10))
def test_sublattices_are_proper_colourings(side):
    masks = sublattices(side)
    assert len(masks) == (2 if side % 2 == 0 else 3)
    colour = np.sum([k * mask for k, mask in enumerate(masks)], axis=0)
    assert np.array_equal(np.sum(masks, axis=0), np.ones((side, side)))  # a partition
    for i in range(side):
        for j in range(side):
            for di, dj in ((0, 1), (0, -1), (1, 0), (-1, 0)):
                assert colour[i, j] != colour[(i + di) % side, (j + dj) % side]


def test_even_sides_give_the_same_numbers_as_the_two_colour_sampler():
    # sha256 of these draws, taken at commit eb38029 (checkerboard-only sampler)
    digest = hashlib.sha256()
    counts = dict(n_chains=50, equilibration_sweeps=20, n_samples_per_chain=3)
    counts["sweeps_between_samples"] = 2
    for side in (2, 4, 8):
        for start in ("ordered", "random"):
            samples = sample_ising(side, [1.5, 2.27, 3.5], start=start, seed=11, **counts)
            digest.update(samples.configurations.tobytes())
    rng = np.random.default_rng(5)
    spins = rng.choice(np.array([-1, 1], dtype=np.int8), size=(4, 6, 6))
    for _ in range(10):
        metropolis_sweep(spins, np.array([0.3, 0.5, 1.0, np.inf]), rng)
    digest.update(spins.tobytes())
    assert digest.hexdigest() == "c766c943ab65243a15388df0f8a5f9fc3022cc8159676f415452e4814d3ac8eb"


def _sweep_matrix(side: int, temperature: float, heat_bath: bool = False) -> np.ndarray:
    """The exact transition matrix of one sweep over all 2^N states, from the acceptance rule.

    Sublattice by sublattice, each of its sites flips independently with probability
    min(1, exp(-2 s_i h_i / T)) (Metropolis) or 1 / (1 + exp(2 s_i h_i / T)) (heat bath);
    flipping site k maps state index x to x XOR 2^k.
    """
    states = lattice_states(side).astype(np.int64)
    n = len(states)
    delta_e = 2.0 * states * _neighbour_sum(states)
    if heat_bath:
        accept = 1.0 / (1.0 + np.exp(delta_e / temperature))
    else:
        accept = np.minimum(1.0, np.exp(-delta_e / temperature))
    accept = accept.reshape(n, -1)
    sweep = np.eye(n)
    for mask in sublattices(side):
        sites = np.flatnonzero(mask.reshape(-1))
        step = np.zeros((n, n))
        for subset in range(2 ** len(sites)):
            flips = ((subset >> np.arange(len(sites))) & 1).astype(bool)
            probability = np.prod(np.where(flips, accept[:, sites], 1 - accept[:, sites]), axis=1)
            target = np.arange(n) ^ int(np.sum(np.int64(1) << sites[flips]))
            np.add.at(step, (np.arange(n), target), probability)
        sweep = sweep @ step
    return sweep


@functools.cache
def _classes(side: int) -> tuple[np.ndarray, int]:
    """Labels of the closed communicating classes of the sweep, and the label of the largest."""
    n, labels = connected_components(_sweep_matrix(side, 2.0) > 0, connection="strong")
    return labels, int(np.argmax(np.bincount(labels, minlength=n)))


def test_closed_sets_of_the_three_colour_sweep_on_3x3_found_by_enumeration():
    # No 3 x 3 state has ΔE = 0 at every site at once (the even lattices' stripes do) ...
    states = lattice_states(3)
    assert not np.any(np.all(states * _neighbour_sum(states) == 0, axis=(1, 2)))
    two = lattice_states(2)
    stripes = np.flatnonzero(np.all(two * _neighbour_sum(two) == 0, axis=(1, 2)))
    assert stripes.tolist() == [3, 5, 10, 12]
    # ... but sweeping the sublattices in turn, 8 states have ΔE = 0 at each site when its
    # turn comes: the sweep maps each to its global flip with probability 1 (4 closed pairs).
    sweep = _sweep_matrix(3, 2.0)
    labels, ergodic = _classes(3)
    trapped = np.flatnonzero(labels != ergodic)
    assert np.bincount(labels).tolist().count(504) == 1 and len(trapped) == 8
    assert np.allclose(sweep[trapped, 511 - trapped], 1.0)
    assert np.all(sweep[np.ix_(labels == ergodic, trapped)] == 0)  # never entered ...
    assert np.all(sweep[np.ix_(trapped, labels == ergodic)] == 0)  # ... nor left
    # the Boltzmann distribution is stationary (each sublattice step keeps detailed balance)
    p = exact_ising(3, 2.0).p
    assert np.allclose(p @ sweep, p, atol=1e-14)


def _chi_square_p_value(observed: np.ndarray, expected: np.ndarray) -> float:
    """χ² p-value over all bins, those with expected count < 5 pooled into one."""
    small = expected < 5
    obs, exp = observed[~small], expected[~small]
    if small.any():
        obs, exp = np.append(obs, observed[small].sum()), np.append(exp, expected[small].sum())
    return float(chisquare(obs, exp * obs.sum() / exp.sum()).pvalue)


@pytest.fixture(scope="module")
def sampled_3x3() -> np.ndarray:
    """State counts (n_T, 512) of one state from each of 120,000 independent chains per T."""
    samples = sample_ising(
        3, [1.5, 2.27, 3.5], n_chains=_N_CHAINS, equilibration_sweeps=_SWEEPS, seed=2
    )
    return np.array([np.bincount(state_index(c), minlength=512) for c in samples.configurations])


def _target(temperature: float) -> np.ndarray:
    """Exact p on 3 x 3 conditioned on the class an ordered start lives in (504 states)."""
    labels, ergodic = _classes(3)
    p = exact_ising(3, temperature).p * (labels == ergodic)
    return p / p.sum()


@pytest.mark.parametrize(("index", "temperature"), [(0, 1.5), (1, 2.27), (2, 3.5)])
def test_3x3_sampler_matches_the_exact_distribution_state_by_state(sampled_3x3, index, temperature):
    target = _target(temperature)
    # the chains start ordered (sign ±1 at random): after _SWEEPS sweeps the exact
    # distribution of a chain is within 1e-6 (total variation) of the target
    start = np.zeros(512)
    start[[0, 511]] = 0.5
    after = start @ np.linalg.matrix_power(_sweep_matrix(3, temperature), _SWEEPS)
    assert 0.5 * np.abs(after - target).sum() < 1e-6
    counts = sampled_3x3[index]
    assert counts[target == 0].sum() == 0  # the 8 trapped states are never visited
    expected = target * _N_CHAINS
    # a state-level test: 68 / 404 / 504 single-state bins at T = 1.5 / 2.27 / 3.5, the pooled
    # bin of states with expected count < 5 holds < 0.5 % of p
    assert target[expected < 5].sum() < 0.005
    assert _chi_square_p_value(counts[target > 0], expected[target > 0]) > 1e-3


def test_3x3_chi_square_rejects_a_wrong_temperature(sampled_3x3):
    counts = sampled_3x3[1]  # drawn at T = 2.27
    target = _target(2.5)
    assert _chi_square_p_value(counts[target > 0], target[target > 0] * _N_CHAINS) < 1e-6


def test_the_sampler_itself_keeps_a_trapped_3x3_pair_with_delta_e_zero_at_each_turn():
    labels, ergodic = _classes(3)
    for index in np.flatnonzero(labels != ergodic):
        spins = lattice_states(3)[index].copy()
        for mask in sublattices(3):  # ΔE = 2 s h = 0 at each site when its turn comes
            assert np.all((spins * _neighbour_sum(spins))[mask] == 0)
            spins[mask] *= -1
        assert state_index(spins[None]).item() == 511 - index
    pair = lattice_states(3)[labels != ergodic][:1].copy()
    start = state_index(pair).item()
    rng = np.random.default_rng(0)
    for sweep in range(1, 21):  # the real sweep, at a finite temperature
        metropolis_sweep(pair, 1.0 / 2.27, rng)
        assert state_index(pair).item() == (511 - start if sweep % 2 else start)


def test_heat_bath_probability_matches_its_closed_form():
    s_h = np.arange(-4, 5, 2, dtype=np.int8)
    for beta in (0.0, 0.4, 2.0):
        expected = [1.0 / (1.0 + np.exp(2.0 * beta * x)) for x in s_h]
        assert np.allclose(heat_bath_probability(np.array(beta), s_h), expected, atol=1e-15)
    assert heat_bath_probability(np.array(np.inf), s_h).tolist() == [1.0, 1.0, 0.5, 0.0, 0.0]


@pytest.mark.parametrize("side", [2, 3])
def test_heat_bath_sweep_has_no_closed_set_and_keeps_p(side):
    sweep = _sweep_matrix(side, 2.0, heat_bath=True)
    assert connected_components(sweep > 0, connection="strong")[0] == 1  # irreducible
    p = exact_ising(side, 2.0).p
    assert np.allclose(p @ sweep, p, atol=1e-14)


@pytest.mark.parametrize("temperature", [1.5, 3.5])
def test_heat_bath_samples_all_16_states_of_2x2_from_a_random_start(temperature):
    samples = sample_ising(
        2,
        [temperature],
        n_chains=20_000,
        equilibration_sweeps=60,
        start="random",
        acceptance="heat-bath",
        seed=4,
    )
    counts = np.bincount(state_index(samples.configurations[0]), minlength=16)
    p = exact_ising(2, temperature).p
    after = np.full(16, 1 / 16) @ np.linalg.matrix_power(_sweep_matrix(2, temperature, True), 60)
    assert 0.5 * np.abs(after - p).sum() < 1e-6  # 60 sweeps from a random start suffice
    expected = p * counts.sum()
    assert counts[[3, 5, 10, 12]].sum() > 0  # the stripes, closed under Metropolis
    assert _chi_square_p_value(counts, expected) > 1e-3
    metropolis = sample_ising(2, [temperature], n_chains=20_000, equilibration_sweeps=60, seed=4)
    assert (
        _chi_square_p_value(
            np.bincount(state_index(metropolis.configurations[0]), minlength=16), expected
        )
        < 1e-6
    )  # Metropolis from an ordered start never visits the stripes: the test can fail
    with pytest.raises(ValueError, match="acceptance"):
        sample_ising(2, [1.0], n_chains=1, equilibration_sweeps=1, acceptance="glauber", seed=0)
