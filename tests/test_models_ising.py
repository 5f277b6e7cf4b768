"""The Metropolis Ising sampler against exact enumeration and Onsager's solution."""

import itertools
import math

import numpy as np
import pytest
from scipy.integrate import quad

from labcoat.models.ising import (
    CRITICAL_TEMPERATURE,
    ising_energy,
    magnetization,
    metropolis_sweep,
    onsager_energy,
    onsager_magnetization,
    sample_ising,
)


def _onsager_minus_beta_f(beta: float) -> float:
    """-βf of Onsager in the one-integral form (Huang, Statistical Mechanics, eq. 17.51)."""
    k = 2 * math.sinh(2 * beta) / math.cosh(2 * beta) ** 2

    def integrand(theta: float) -> float:
        return math.log(0.5 * (1 + math.sqrt(1 - k**2 * math.sin(theta) ** 2)))

    return math.log(2 * math.cosh(2 * beta)) + quad(integrand, 0, math.pi)[0] / (2 * math.pi)


@pytest.mark.parametrize("temperature", [1.0, 1.5, 2.0, 2.6, 3.5, 5.0])
def test_onsager_energy_is_the_derivative_of_the_free_energy(temperature):
    beta, h = 1 / temperature, 1e-5
    u = -(_onsager_minus_beta_f(beta + h) - _onsager_minus_beta_f(beta - h)) / (2 * h)
    assert onsager_energy(temperature) == pytest.approx(u, abs=1e-6)


def test_onsager_published_values():
    assert onsager_energy(CRITICAL_TEMPERATURE) == pytest.approx(-math.sqrt(2), abs=1e-9)
    assert CRITICAL_TEMPERATURE == pytest.approx(2.269185314, abs=1e-9)
    assert onsager_energy(1e-3) == pytest.approx(-2.0)
    # high-temperature series ln Z / N = ln 2 + 2 ln cosh β + t^4 + 2 t^6 + O(t^8), t = tanh β
    t = math.tanh(1 / 50)
    u_series = -2 * t - (4 * t**3 + 12 * t**5) / math.cosh(1 / 50) ** 2
    assert onsager_energy(50.0) == pytest.approx(u_series, abs=1e-9)
    m = onsager_magnetization([1.0, 2.0, 2.3, 3.0])
    assert m[0] == pytest.approx((1 - math.sinh(2.0) ** -4) ** 0.125)
    assert m[2] == 0.0 and m[3] == 0.0 and 0.9 < m[1] < 0.92


def test_energy_and_magnetization_match_a_bond_loop():
    rng = np.random.default_rng(3)
    spins = rng.choice(np.array([-1, 1], dtype=np.int8), size=(3, 6, 6))
    for s, e, m in zip(spins, ising_energy(spins), magnetization(spins), strict=True):
        total = 0
        for i, j in itertools.product(range(6), range(6)):
            total -= s[i, j] * (s[(i + 1) % 6, j] + s[i, (j + 1) % 6])
        assert e == pytest.approx(total / 36) and m == pytest.approx(s.mean())


def _exact_4x4(temperature: float) -> tuple[float, float]:
    """<E>/N and <|m|> on the 4 x 4 periodic lattice by summing all 2^16 states."""
    bits = (np.arange(2**16)[:, None] >> np.arange(16)) & 1
    spins = (2 * bits - 1).reshape(-1, 4, 4)
    e, m = ising_energy(spins), np.abs(magnetization(spins))
    weight = np.exp(-(e - e.min()) * 16 / temperature)
    return float(e @ weight / weight.sum()), float(m @ weight / weight.sum())


def test_sampler_matches_exact_enumeration_on_4x4_including_near_tc():
    temperatures = [1.8, CRITICAL_TEMPERATURE, 3.0]
    samples = sample_ising(
        4,
        temperatures,
        n_chains=200,
        equilibration_sweeps=100,
        n_samples_per_chain=40,
        sweeps_between_samples=3,
        start="random",
        seed=0,
    )
    for i, temperature in enumerate(temperatures):
        e_exact, m_exact = _exact_4x4(temperature)
        # chain means are independent: standard error from their spread
        e_chain = samples.energies[i].reshape(40, 200).mean(0)
        m_chain = np.abs(samples.magnetizations[i]).reshape(40, 200).mean(0)
        for chain, exact in ((e_chain, e_exact), (m_chain, m_exact)):
            standard_error = chain.std(ddof=1) / math.sqrt(len(chain))
            assert abs(chain.mean() - exact) < 5 * standard_error + 1e-3


@pytest.mark.parametrize("temperature", [1.5, 3.5])
def test_32x32_matches_onsager_away_from_tc(temperature):
    n_chains, n_samples = 24, 20
    samples = sample_ising(
        32,
        [temperature],
        n_chains=n_chains,
        equilibration_sweeps=150,
        n_samples_per_chain=n_samples,
        sweeps_between_samples=5,
        seed=1,
    )
    e_chain = samples.energies[0].reshape(n_samples, n_chains).mean(0)
    m_chain = np.abs(samples.magnetizations[0]).reshape(n_samples, n_chains).mean(0)
    # Finite-size corrections decay like exp(-L/ξ) with ξ ≈ 1 lattice spacing at these T, so
    # 32 x 32 reproduces the infinite lattice up to the statistical error (5 standard errors
    # of the independent chain means) plus a 2e-3 allowance.
    se = e_chain.std(ddof=1) / math.sqrt(n_chains)
    assert abs(e_chain.mean() - onsager_energy(temperature)) < 5 * se + 2e-3
    if temperature < CRITICAL_TEMPERATURE:
        se = m_chain.std(ddof=1) / math.sqrt(n_chains)
        assert abs(m_chain.mean() - onsager_magnetization(temperature)) < 5 * se + 2e-3
    else:
        # m = 0 in the thermodynamic limit; on N spins <|m|> ≈ sqrt(2 χ T / (π N)) with
        # χ T ≈ 6 at T = 3.5 (high-temperature series), i.e. ≈ 0.06 for N = 1024.
        assert m_chain.mean() < 0.12


def test_same_seed_same_configurations_and_bad_input():
    kwargs = dict(n_chains=3, equilibration_sweeps=5, n_samples_per_chain=2, start="random")
    a = sample_ising(8, [2.0, 3.0], seed=7, **kwargs)
    b = sample_ising(8, [2.0, 3.0], seed=7, **kwargs)
    c = sample_ising(8, [2.0, 3.0], seed=8, **kwargs)
    assert np.array_equal(a.configurations, b.configurations)
    assert not np.array_equal(a.configurations, c.configurations)
    assert a.configurations.shape == (2, 6, 8, 8) and a.configurations.dtype == np.int8
    with pytest.raises(ValueError, match="side"):
        sample_ising(1, [2.0], seed=0, **kwargs)
    with pytest.raises(ValueError, match="temperatures"):
        sample_ising(8, [0.0], seed=0, **kwargs)
    with pytest.raises(ValueError, match="n_chains"):
        sample_ising(8, [2.0], n_chains=0, equilibration_sweeps=1, seed=0)
    with pytest.raises(ValueError, match="start"):
        sample_ising(8, [2.0], n_chains=1, equilibration_sweeps=1, start="hot", seed=0)


def test_zero_temperature_limit_never_raises_the_energy():
    rng = np.random.default_rng(0)
    spins = rng.choice(np.array([-1, 1], dtype=np.int8), size=(5, 8, 8))
    before = ising_energy(spins)
    metropolis_sweep(spins, np.full(5, 1e4), rng)
    assert np.all(ising_energy(spins) <= before)


def _literal_metropolis_sweep(spins: np.ndarray, beta: np.ndarray, rng: np.random.Generator):
    """The rule as written, site by site: flip with probability min(1, e^(-β ΔE)).

    One float32 uniform per site per sweep (drawn up front, the documented stream); the sites
    of the even colour first, then the odd ones; ΔE = 2 s_i h_i and e^(-β ΔE) in float32.
    """
    beta = np.asarray(beta, dtype=np.float32)
    uniform = rng.random(spins.shape, dtype=np.float32)
    side = spins.shape[-1]
    for parity in (0, 1):
        for i, j in itertools.product(range(side), range(side)):
            if (i + j) % 2 != parity:
                continue
            h = (
                spins[..., (i + 1) % side, j].astype(np.int32)
                + spins[..., i - 1, j]
                + spins[..., i, (j + 1) % side]
                + spins[..., i, j - 1]
            )
            delta_e = (2 * spins[..., i, j] * h).astype(np.float32)
            # ΔE < 0 overflows at large β, β = ∞ with ΔE = 0 gives NaN: min(1, ·) is 1 there
            with np.errstate(over="ignore", invalid="ignore"):
                flip = (delta_e <= 0) | (uniform[..., i, j] < np.exp(-beta * delta_e))
            spins[..., i, j] = np.where(flip, -spins[..., i, j], spins[..., i, j])
    return spins


def test_sweep_is_the_literal_metropolis_rule_draw_for_draw():
    # the sweep decides with two exponentials per lattice and integer comparisons; the chain
    # must be the one of min(1, e^(-βΔE)) evaluated site by site from the same uniforms
    beta = np.array([[0.0], [0.3], [1 / CRITICAL_TEMPERATURE], [0.8], [1e4], [np.inf]])
    start = np.random.default_rng(5).choice(np.array([-1, 1], dtype=np.int8), size=(6, 2, 6, 6))
    ours, literal = start.copy(), start.copy()
    rng_ours, rng_literal = np.random.default_rng(9), np.random.default_rng(9)
    for _ in range(25):
        metropolis_sweep(ours, beta, rng_ours)
        _literal_metropolis_sweep(literal, beta, rng_literal)
        assert np.array_equal(ours, literal)
    assert not np.array_equal(ours[1:4], start[1:4])  # the finite-temperature chains moved


@pytest.mark.parametrize("bad", [-0.1, np.nan])
def test_sweep_refuses_a_negative_or_nan_beta_before_touching_the_spins(bad):
    spins = np.ones((2, 4, 4), dtype=np.int8)
    with pytest.raises(ValueError, match="beta must be >= 0"):
        metropolis_sweep(spins, np.array([0.1, bad]), np.random.default_rng(0))
    assert np.all(spins == 1)
