"""ToricCode: the code's algebra (GF(2) ranks, commutation), the noise law, the game's rules."""

from __future__ import annotations

import itertools
import math

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import labcoat.envs  # noqa: F401  (registers the ids)
from labcoat.envs.toric_code import (
    ToricCodeEnv,
    check_matrix,
    is_logical_error,
    logical_x,
    logical_z,
    star_matrix,
    syndrome,
)

DISTANCES = [2, 3, 4, 5, 6]


def gf2_rank(matrix: np.ndarray) -> int:
    """Rank over GF(2) by Gaussian elimination."""
    m = matrix.copy() % 2
    rank = 0
    for column in range(m.shape[1]):
        pivots = np.flatnonzero(m[rank:, column]) + rank
        if pivots.size == 0:
            continue
        m[[rank, pivots[0]]] = m[[pivots[0], rank]]
        others = np.flatnonzero(m[:, column])
        others = others[others != rank]
        m[others] ^= m[rank]
        rank += 1
        if rank == m.shape[0]:
            break
    return rank


def unit(d: int, *qubits: int) -> np.ndarray:
    e = np.zeros(2 * d * d, dtype=np.uint8)
    e[list(qubits)] = 1
    return e


@pytest.mark.parametrize("d", DISTANCES)
def test_checks_stars_and_logicals_commute_as_they_should(d):
    H, A, X, Z = check_matrix(d), star_matrix(d), logical_x(d), logical_z(d)
    n = 2 * d * d
    assert H.shape == (d * d, n) and A.shape == (d * d, n)
    assert np.all(H.sum(axis=0) == 2) and np.all(H.sum(axis=1) == 4)  # each qubit in 2 checks
    assert np.all(A.sum(axis=0) == 2) and np.all(A.sum(axis=1) == 4)
    for first, second in ((H, X), (A, Z), (H, A)):  # H Lᵀ = 0: logicals commute with checks
        assert not np.any(first.astype(int) @ second.T.astype(int) % 2)
    np.testing.assert_array_equal(X.astype(int) @ Z.T.astype(int) % 2, [[0, 1], [1, 0]])
    assert gf2_rank(H) == d * d - 1 and gf2_rank(A) == d * d - 1
    # the logicals are not products of stabilizers: each raises the rank by one
    assert gf2_rank(np.vstack([A, X])) == d * d + 1
    assert gf2_rank(np.vstack([H, Z])) == d * d + 1


@pytest.mark.parametrize("d", DISTANCES)
def test_every_single_qubit_error_is_detected_by_its_two_plaquettes(d):
    errors = np.eye(2 * d * d, dtype=np.uint8)
    s = syndrome(errors)
    assert s.shape == (2 * d * d, d, d)
    np.testing.assert_array_equal(s.reshape(len(errors), -1), check_matrix(d).T)
    assert np.all(s.sum(axis=(1, 2)) == 2)
    # h(0, 0) lies on plaquettes (0, 0) and (d - 1, 0); v(0, 0) on (0, 0) and (0, d - 1)
    assert set(zip(*np.nonzero(s[0]), strict=True)) == {(0, 0), (d - 1, 0)}
    assert set(zip(*np.nonzero(s[d * d]), strict=True)) == {(0, 0), (0, d - 1)}


def test_syndrome_is_h_times_e_mod_2_on_random_errors():
    rng = np.random.default_rng(0)
    for d in DISTANCES:
        errors = rng.integers(0, 2, size=(20, 2 * d * d))
        expected = errors @ check_matrix(d).T.astype(int) % 2
        np.testing.assert_array_equal(syndrome(errors).reshape(20, -1), expected)


@pytest.mark.parametrize("d", [3, 4])
def test_logical_errors_are_the_non_contractible_cycles(d):
    A, X = star_matrix(d), logical_x(d)
    rng = np.random.default_rng(d)
    for _ in range(20):
        stabilizer = rng.integers(0, 2, d * d) @ A.astype(int) % 2
        assert not is_logical_error(stabilizer)
        for logical in (X[0], X[1], X[0] ^ X[1]):
            assert is_logical_error(stabilizer ^ logical)
    batch = np.vstack([np.zeros(2 * d * d, dtype=np.uint8), X])
    np.testing.assert_array_equal(is_logical_error(batch), [False, True, True])
    with pytest.raises(ValueError, match="empty syndrome"):
        is_logical_error(unit(d, 0))
    with pytest.raises(ValueError, match="0/1 entries"):
        syndrome(np.full(2 * d * d, 2))
    with pytest.raises(ValueError, match="2 d² entries"):
        syndrome(np.zeros(7, dtype=np.uint8))


def test_reset_draws_the_noise_conditioned_on_a_non_empty_syndrome():
    """Weights of drawn errors against the exact law of all 2^8 errors of d = 2."""
    d, p, n_draws = 2, 0.3, 2000
    all_errors = np.array(list(itertools.product((0, 1), repeat=8)), dtype=np.uint8)
    seen = syndrome(all_errors).any(axis=(1, 2))
    weights = all_errors.sum(axis=1)
    probability = p**weights * (1 - p) ** (8 - weights) * seen
    law = np.bincount(weights, probability / probability.sum(), minlength=9)
    env = ToricCodeEnv(d=d, p=p)
    env.reset(seed=0)
    drawn = np.zeros(9)
    for _ in range(n_draws):
        obs, _ = env.reset()
        assert obs.any()
        drawn[env._error.sum()] += 1
    sigma = np.sqrt(law * (1 - law) / n_draws)
    assert np.all(np.abs(drawn / n_draws - law) <= 4 * sigma + 1e-12), (drawn / n_draws, law)


def test_correcting_a_single_flip_ends_with_success():
    d = 3
    env = ToricCodeEnv(d=d, step_reward=-0.1)
    obs, _ = env.reset(seed=0, options={"error": unit(d, 4)})  # h(1, 1)
    assert obs.dtype == np.int8
    assert set(zip(*np.nonzero(obs), strict=True)) == {(1, 1), (0, 1)}
    obs, reward, terminated, truncated, info = env.step(5)  # a wrong flip: 4 defects
    assert obs.sum() == 4 and reward == -0.1 and not terminated and info == {}
    env.step(5)  # undo
    obs, reward, terminated, truncated, info = env.step(4)
    assert not obs.any() and terminated and not truncated
    assert reward == pytest.approx(1.0 - 0.1) and info == {"logical_error": False}
    assert env.step(0)[1:3] == (0.0, True)  # the episode is over: absorbing


def test_completing_a_logical_loop_ends_with_failure():
    d = 3
    X1 = logical_x(d)[0]  # X on v(0, 0), v(0, 1), v(0, 2)
    error = X1.copy()
    error[d * d] = 0  # all but v(0, 0): defects on plaquettes (0, 0) and (0, d - 1)
    env = ToricCodeEnv(d=d, failure_reward=-2.0)
    obs, _ = env.reset(seed=0, options={"error": error})
    assert set(zip(*np.nonzero(obs), strict=True)) == {(0, 0), (0, d - 1)}
    obs, reward, terminated, _, info = env.step(d * d)  # the short way round: a logical X̄1
    assert terminated and reward == -2.0 and info == {"logical_error": True}
    env.reset(options={"error": error})
    for q in (d * d + 1, d * d + 2):  # the long way: undo the two flips, no logical error
        obs, reward, terminated, _, info = env.step(q)
    assert terminated and reward == 1.0 and info == {"logical_error": False}


def test_time_limit_truncates():
    env = gym.make("labcoat/ToricCode-v0", max_episode_steps=4)
    env.reset(seed=0, options={"error": unit(3, 0)})
    results = [env.step(7) for _ in range(4)]
    assert [r[3] for r in results] == [False, False, False, True]
    assert not any(r[2] for r in results)


@settings(max_examples=20, deadline=None)
@given(d=st.integers(2, 6), p=st.floats(0.001, 0.5), seed=st.integers(0, 2**32 - 1))
def test_observation_is_the_syndrome_of_the_hidden_error(d, p, seed):
    env = ToricCodeEnv(d=d, p=p)
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    assert env.observation_space.contains(obs) and obs.any()
    for _ in range(30):
        np.testing.assert_array_equal(obs, syndrome(env._error))
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs) and obs.shape == (d, d)
        if terminated:
            assert reward == (-1.0 if info["logical_error"] else 1.0)
            obs, _ = env.reset()


def test_same_seed_same_errors():
    def draws(seed):
        env = ToricCodeEnv(d=5, p=0.05)
        env.reset(seed=seed)
        return [env.reset()[0] for _ in range(50)]

    assert all(np.array_equal(a, b) for a, b in zip(draws(1), draws(1), strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(draws(1), draws(2), strict=True))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"d": 1}, ValueError, r"d must be an integer in \[2, 15\]"),
        ({"d": 3.0}, TypeError, "d must be an integer"),
        ({"p": 0.0}, ValueError, r"p must be a finite number in \(0, 0.5\]"),
        ({"p": 0.6}, ValueError, r"p must be a finite number in \(0, 0.5\]"),
        ({"success_reward": math.nan}, ValueError, "success_reward must be a finite number"),
        ({"step_reward": "0"}, TypeError, "step_reward must be a finite number"),
    ],
)
def test_bad_arguments_are_refused_naming_them(kwargs, error, message):
    with pytest.raises(error, match=message):
        ToricCodeEnv(**kwargs)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (np.zeros(18, dtype=np.uint8), "must have a non-empty syndrome"),
        (logical_x(3)[0], "must have a non-empty syndrome"),
        (np.ones(17, dtype=np.uint8), "must be 18 bits"),
        (np.full(18, 2), "must be 18 bits"),
        ("0" * 18, "must be 18 bits"),
    ],
)
def test_bad_error_options_are_refused(error, message):
    with pytest.raises(ValueError, match=rf"options\['error'\] {message}"):
        ToricCodeEnv().reset(options={"error": error})


def test_rendering_marks_flips_and_defects():
    env = ToricCodeEnv(render_mode="rgb_array")
    env.reset(seed=0, options={"error": unit(3, 4)})  # h(1, 1): rightwards from vertex (1, 1)
    picture = env.render()
    assert picture.shape == (36, 36, 3)
    red = np.argwhere(np.all(picture == (200, 40, 40), axis=2))
    assert red[:, 0].min() == 12 and red[:, 1].min() == 14 and red[:, 1].max() == 23
    yellow = np.argwhere(np.all(picture == (240, 200, 0), axis=2))
    assert {(r // 12, c // 12) for r, c in yellow} == {(0, 1), (1, 1)}
    text = ToricCodeEnv(render_mode="ansi")
    text.reset(seed=0, options={"error": unit(3, 4)})
    assert text.render() == "d=3: defects at plaquettes [(0, 1), (1, 1)], 0 flips made\n"
