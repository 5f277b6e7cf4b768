"""The qec exercise: sampled rates against exact polynomials, agent episodes against the env."""

from __future__ import annotations

import dataclasses
import itertools
import math

import gymnasium as gym
import numpy as np
import pytest

import labcoat.envs  # noqa: F401  (registers the ids)
from labcoat.agents.decoders import mwpm_correction
from labcoat.envs.toric_code import is_logical_error, star_matrix, syndrome
from labcoat.exercises import qec
from labcoat.exercises.qec import EXERCISE, Config, run

QUICK = dataclasses.replace(Config(), **EXERCISE.quick)


@pytest.fixture(scope="module")
def quick_result():
    return run(QUICK)


def all_errors(n: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.uint8)


def polynomial(counts: np.ndarray, n: int, p: float) -> float:
    """sum_w counts[w] p^w (1 - p)^(n - w): the probability of a set given its weight counts."""
    return float(sum(c * p**w * (1 - p) ** (n - w) for w, c in enumerate(counts)))


def exact_d3_rates(p_values) -> dict[str, list[float]]:
    """Exact failure probabilities of d = 3 from all 2^18 errors, by weight enumeration."""
    errors = all_errors(18)
    weights = errors.sum(axis=1)
    even = np.array([k for k in range(512) if bin(k).count("1") % 2 == 0])
    bits = (even[:, None] >> np.arange(9)) & 1  # bit p of the key: plaquette p
    table = mwpm_correction(bits.astype(np.uint8).reshape(-1, 3, 3))
    index = np.full(512, -1)
    index[even] = np.arange(len(even))
    keys = syndrome(errors).reshape(len(errors), 9) @ (1 << np.arange(9))
    failed_mwpm = is_logical_error(errors ^ table[index[keys]])
    stabilizers = np.unique(all_errors(9) @ star_matrix(3).astype(int) % 2, axis=0)
    assert len(stabilizers) == 2**8
    harmless = np.bincount(stabilizers.sum(axis=1), minlength=19)
    all_counts = np.array([math.comb(18, w) for w in range(19)])
    mwpm_counts = np.bincount(weights[failed_mwpm], minlength=19)
    return {
        "MWPM": [polynomial(mwpm_counts, 18, p) for p in p_values],
        "no correction": [1 - polynomial(harmless, 18, p) for p in p_values],
        "all": [polynomial(all_counts, 18, p) for p in p_values],
    }


def test_sampled_d3_rates_match_the_exact_polynomials(quick_result):
    exact = exact_d3_rates(QUICK.p_values)
    np.testing.assert_allclose(exact["all"], 1.0)
    rates = quick_result.metrics["rates"]["d=3"]
    n = QUICK.n_errors
    for name in ("MWPM", "no correction"):
        for sampled, truth in zip(rates[name], exact[name], strict=True):
            assert abs(sampled - truth) <= 4 * math.sqrt(truth * (1 - truth) / n) + 1e-12
    # the Wilson interval holds the estimate
    low, high = quick_result.metrics["ci95_low"]["d=3"], quick_result.metrics["ci95_high"]["d=3"]
    bounds = zip(low["MWPM"], rates["MWPM"], high["MWPM"], strict=True)
    assert all(lo <= r <= hi for lo, r, hi in bounds)


def test_larger_codes_win_below_threshold(quick_result):
    rates = quick_result.metrics["rates"]
    assert rates["d=5"]["MWPM"][0] < rates["d=3"]["MWPM"][0] < QUICK.p_values[0]
    assert rates["d=5"]["MWPM"][-1] > rates["d=3"]["MWPM"][-1]  # p = 0.14: above threshold
    threshold = quick_result.metrics["mwpm_threshold_estimate"]
    assert 0.06 < threshold < 0.14
    assert set(rates["d=3"]) == {"no correction", "MWPM", "agent"}
    assert set(rates["d=5"]) == {"no correction", "MWPM"}  # agent_timesteps 0 for d = 5
    assert quick_result.tables["logical_error_rates"].rows[-1][-1] == "not trained"


def test_wilson_interval_is_the_closed_form():
    z = 1.959963984540054
    for k, n in ((0, 50), (3, 50), (27, 40), (500, 1000)):
        rate, low, high = qec.wilson(np.arange(n) < k)
        centre = (k + z * z / 2) / (n + z * z)
        half = z / (n + z * z) * math.sqrt(k * (n - k) / n + z * z / 4)
        assert rate == k / n
        assert low == pytest.approx(centre - half, abs=1e-9)
        assert high == pytest.approx(centre + half, abs=1e-9)


def test_crossing_interpolates_the_sign_change():
    p = np.array([0.05, 0.1, 0.15])
    assert qec.crossing(p, np.array([0.1, 0.2, 0.3]), np.array([0.05, 0.22, 0.5])) == (
        pytest.approx(0.05 + 0.05 * 0.05 / 0.07)
    )
    assert qec.crossing(p, np.array([0.1, 0.2, 0.3]), np.array([0.0, 0.1, 0.2])) is None


class FirstFlipOfMatching:
    """A policy for tests: flip the lowest qubit of the MWPM correction of each syndrome."""

    def predict(self, observation, deterministic=True):
        corrections = mwpm_correction(np.asarray(observation))
        return corrections.argmax(axis=-1), None


class AlwaysQubitZero:
    """A policy that never clears most syndromes (exercises the flip limit)."""

    def predict(self, observation, deterministic=True):
        return np.zeros(len(observation), dtype=np.int64), None


@pytest.mark.parametrize("agent", [FirstFlipOfMatching(), AlwaysQubitZero()])
def test_batched_agent_episodes_are_the_env_episodes(agent):
    d, limit = 3, 9
    errors = qec.draw_errors(np.random.default_rng(0), 300, d, 0.12)
    batched = qec.agent_failures(agent, errors, limit)
    env = gym.make("labcoat/ToricCode-v0", d=d, max_episode_steps=limit)
    for error, failed in zip(errors, batched, strict=True):
        if not syndrome(error).any():
            assert failed == is_logical_error(error)
            continue
        obs, _ = env.reset(seed=0, options={"error": error})
        terminated = truncated = False
        while not (terminated or truncated):
            obs, _, terminated, truncated, info = env.step(int(agent.predict(obs[None])[0][0]))
        assert failed == (truncated or info["logical_error"])


def test_same_seed_same_rates_and_the_config_checks():
    config = dataclasses.replace(
        QUICK, agent="none", n_errors=500, distances=(3,), agent_timesteps=(0,)
    )
    first, second = run(config).metrics, run(config).metrics
    assert first["rates"] == second["rates"] and "agent" not in first["rates"]["d=3"]
    for bad, error in (
        ({"distances": (1,)}, ValueError),
        ({"distances": (3, 3)}, ValueError),
        ({"distances": 3}, TypeError),
        ({"p_values": (0.6,)}, ValueError),
        ({"agent": "ppo"}, ValueError),
        ({"agent_timesteps": (1, 2, 3)}, ValueError),
        ({"n_errors": 0}, ValueError),
    ):
        with pytest.raises(error, match=next(iter(bad))):
            dataclasses.replace(QUICK, **bad)
