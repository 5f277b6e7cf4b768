"""Toric-code decoders: PyMatching's MWPM against exhaustive search and the torus distance."""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest

from labcoat.agents import decoders
from labcoat.agents.decoders import minimum_weight_correction, mwpm_correction
from labcoat.envs.toric_code import is_logical_error, syndrome


def all_even_syndromes(d: int) -> np.ndarray:
    """Every syndrome with an even number of defects, shape (2^(d²-1), d, d)."""
    bits = np.array(list(itertools.product((0, 1), repeat=d * d)), dtype=np.uint8)
    return bits[bits.sum(axis=1) % 2 == 0].reshape(-1, d, d)


def errors_of_weight(d: int, weight: int) -> np.ndarray:
    """Every X error of the given weight, shape (C(2d², weight), 2d²)."""
    n = 2 * d * d
    combos = np.array(list(itertools.combinations(range(n), weight)))
    errors = np.zeros((len(combos), n), dtype=np.uint8)
    np.put_along_axis(errors, combos, 1, axis=1)
    return errors


def torus_distance(d: int, a: tuple[int, int], b: tuple[int, int]) -> int:
    """Manhattan distance of two plaquettes on the d x d torus (the dual lattice)."""
    dr, dc = abs(a[0] - b[0]), abs(a[1] - b[1])
    return min(dr, d - dr) + min(dc, d - dc)


def test_mwpm_and_exhaustive_search_agree_on_every_d3_syndrome():
    syndromes = all_even_syndromes(3)
    exact = minimum_weight_correction(syndromes)
    matched = mwpm_correction(syndromes)
    assert exact.shape == matched.shape == (256, 18)
    np.testing.assert_array_equal(syndrome(exact), syndromes)
    np.testing.assert_array_equal(syndrome(matched), syndromes)
    np.testing.assert_array_equal(matched.sum(axis=1), exact.sum(axis=1))
    assert np.bincount(exact.sum(axis=1)).tolist() == [1, 18, 108, 120, 9]


@pytest.mark.parametrize("d", [3, 5, 7])
def test_two_defects_are_joined_by_a_shortest_path(d):
    plaquettes = list(itertools.product(range(d), repeat=2))
    pairs = list(itertools.combinations(plaquettes, 2))
    syndromes = np.zeros((len(pairs), d, d), dtype=np.uint8)
    for k, (a, b) in enumerate(pairs):
        syndromes[k][a] = syndromes[k][b] = 1
    corrections = mwpm_correction(syndromes)
    np.testing.assert_array_equal(syndrome(corrections), syndromes)
    expected = [torus_distance(d, a, b) for a, b in pairs]
    np.testing.assert_array_equal(corrections.sum(axis=1), expected)
    if d == 3:
        np.testing.assert_array_equal(minimum_weight_correction(syndromes).sum(axis=1), expected)


@pytest.mark.parametrize("d", [3, 5])
def test_every_error_of_weight_up_to_half_the_distance_is_corrected(d):
    for weight in range(1, (d - 1) // 2 + 1):
        errors = errors_of_weight(d, weight)
        residual = errors ^ mwpm_correction(syndrome(errors))
        assert not syndrome(residual).any() and not is_logical_error(residual).any()
        if d == 3:
            residual = errors ^ minimum_weight_correction(syndrome(errors))
            assert not is_logical_error(residual).any()


def test_random_weight_three_errors_of_d7_are_corrected():
    rng = np.random.default_rng(0)
    n = 98
    errors = np.zeros((3000, n), dtype=np.uint8)
    for error in errors:
        error[rng.choice(n, size=3, replace=False)] = 1
    residual = errors ^ mwpm_correction(syndrome(errors))
    assert not is_logical_error(residual).any()


def test_a_weight_two_error_defeats_the_d3_code():
    """d = 3 corrects one flip, not two: v(0, 0) + v(0, 1) is completed into the logical X̄1."""
    error = np.zeros(18, dtype=np.uint8)
    error[[9, 10]] = 1  # defects at plaquettes (0, 1) and (0, 2), one edge v(0, 2) apart
    for decode in (mwpm_correction, minimum_weight_correction):
        correction = decode(syndrome(error))
        assert np.flatnonzero(correction).tolist() == [11]
        assert is_logical_error(error ^ correction)


def test_flat_syndromes_with_d_and_bad_syndromes():
    s = syndrome(np.eye(18, dtype=np.uint8)[0])
    np.testing.assert_array_equal(mwpm_correction(s.ravel(), d=3), mwpm_correction(s))
    with pytest.raises(ValueError, match="even number of defects"):
        mwpm_correction(np.eye(3, dtype=np.uint8)[:, :1].repeat(3, axis=1))
    with pytest.raises(ValueError, match="0/1 entries"):
        mwpm_correction(np.full((3, 3), 0.5))
    with pytest.raises(ValueError, match=r"shape \(\.\.\., d, d\)"):
        mwpm_correction(np.zeros(9, dtype=np.uint8))
    with pytest.raises(ValueError, match="d must be at most 3"):
        minimum_weight_correction(np.zeros((4, 4), dtype=np.uint8))


def test_missing_pymatching_gives_an_actionable_error(monkeypatch):
    decoders._matching.cache_clear()
    monkeypatch.setitem(sys.modules, "pymatching", None)
    with pytest.raises(ImportError, match=r"pip install labcoat\[qec\]"):
        mwpm_correction(np.zeros((3, 3), dtype=np.uint8))
    decoders._matching.cache_clear()
