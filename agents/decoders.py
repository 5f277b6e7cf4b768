"""Decoders of the toric code's bit-flip syndrome: minimum-weight perfect matching and brute force.

A decoder reads the plaquette syndrome s (d x d, :func:`labcoat.envs.toric_code.syndrome`) and
returns a correction c, 2d² bits with H c = s mod 2, to be applied on top of the unknown
error e; the correction succeeds when e + c is a product of stabilizers
(:func:`labcoat.envs.toric_code.is_logical_error` is False). Both decoders here return a
correction of minimum weight; with independent bit flips of probability p < 1/2 that is the
most likely *error* consistent with the syndrome (weight w has probability ∝ (p/(1-p))^w).

- :func:`mwpm_correction`: minimum-weight perfect matching of the defects (Edmonds' blossom
  algorithm, via PyMatching, an optional dependency: ``pip install labcoat[qec]``), fast for
  any d; the standard reference decoder, threshold ≈ 10.3 % for this noise (Dennis et al.
  2002; Wang, Harrington & Preskill 2003).
- :func:`minimum_weight_correction`: exhaustive search over all 2^(2d²) errors (d <= 3), an
  independent exact oracle for the matching decoder on small codes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from labcoat.classic._checks import check_int
from labcoat.envs.toric_code import check_matrix

__all__ = ["minimum_weight_correction", "mwpm_correction"]

BRUTE_FORCE_MAX_QUBITS = 18
"""Largest code searched exhaustively (2^18 = 262,144 errors: d = 3)."""


def _syndrome_bits(syndrome: Any, d: int | None) -> tuple[np.ndarray, int]:
    """The syndrome as 0/1 uint8 with the d² plaquettes flattened on the last axis, and d."""
    array = np.asarray(syndrome)
    if array.dtype.kind not in "biu" or array.ndim < 1 or not np.isin(array, (0, 1)).all():
        raise ValueError(f"syndrome must be an array of 0/1 entries, got {syndrome!r}")
    if d is None:
        if array.ndim < 2 or array.shape[-1] != array.shape[-2]:
            raise ValueError(
                f"syndrome must have shape (..., d, d) when d is None, got {array.shape}"
            )
        d = array.shape[-1]
    d = check_int("d", d, 2)
    if array.shape[-2:] == (d, d):
        flat = array.reshape(*array.shape[:-2], d * d)
    elif array.shape[-1] == d * d:
        flat = array
    else:
        raise ValueError(
            f"syndrome must have shape (..., {d}, {d}) or (..., {d * d}), got {array.shape}"
        )
    if np.any(flat.sum(axis=-1) % 2):
        raise ValueError("syndrome must have an even number of defects (every error makes pairs)")
    return flat.astype(np.uint8), d


@lru_cache(maxsize=16)
def _matching(d: int) -> Any:
    """PyMatching's decoder of the plaquette check matrix of distance d (built once per d)."""
    try:
        import pymatching
    except ImportError as error:  # optional dependency
        raise ImportError(
            "mwpm_correction needs PyMatching: pip install labcoat[qec] (or pip install pymatching)"
        ) from error
    return pymatching.Matching(check_matrix(d))


def mwpm_correction(syndrome: Any, d: int | None = None) -> np.ndarray:
    """A minimum-weight correction c (H c = s mod 2) by minimum-weight perfect matching.

    The defects (plaquettes with s = 1) are vertices of a complete graph whose edge weights
    are their shortest distances on the torus; a minimum-weight perfect matching pairs them,
    and c flips the qubits of a shortest path between each pair. Every qubit lies on two
    plaquettes, so H is the incidence matrix of that graph and PyMatching solves it exactly.

    Args:
        syndrome: shape (d, d) or (..., d, d) (or flat d² with ``d`` given), 0/1 entries with
            an even number of defects per code.
        d: the distance (default: read from the shape).

    Returns:
        The corrections, 2d² bits (uint8) per syndrome, shape (..., 2d²).
    """
    flat, d = _syndrome_bits(syndrome, d)
    matching = _matching(d)
    batch = flat.reshape(-1, d * d)
    corrections = matching.decode_batch(batch).astype(np.uint8)
    return corrections.reshape(*flat.shape[:-1], 2 * d * d)


@lru_cache(maxsize=4)
def _lightest_errors(d: int) -> tuple[np.ndarray, np.ndarray]:
    """For every syndrome (as an integer, bit p for plaquette p): a lightest error, its weight."""
    n = 2 * d * d
    columns = [int(sum(int(b) << p for p, b in enumerate(col))) for col in check_matrix(d).T]
    errors = np.arange(1 << n, dtype=np.int64)
    syndromes = np.zeros(1 << n, dtype=np.int64)
    weights = np.zeros(1 << n, dtype=np.int64)
    for q, column in enumerate(columns):
        flipped = (errors >> q) & 1
        syndromes ^= flipped * column
        weights += flipped
    order = np.lexsort((errors, weights, syndromes))  # by syndrome, then weight, then index
    first = order[np.r_[True, syndromes[order][1:] != syndromes[order][:-1]]]
    lightest = np.full(1 << (d * d), -1, dtype=np.int64)
    weight = np.full(1 << (d * d), -1, dtype=np.int64)
    lightest[syndromes[first]], weight[syndromes[first]] = errors[first], weights[first]
    return lightest, weight


def minimum_weight_correction(syndrome: Any, d: int | None = None) -> np.ndarray:
    """A lightest correction by exhaustive search: argmin |c| over all c with H c = s mod 2.

    Every one of the 2^(2d²) bit strings is enumerated once (per d, cached) and grouped by
    syndrome; among the lightest of a syndrome the one with the smallest integer value
    (qubit q as bit q) is returned, so ties are broken deterministically. Only for
    2d² <= 18 qubits (d <= 3).

    Returns:
        The corrections, 2d² bits (uint8) per syndrome, shape (..., 2d²).
    """
    flat, d = _syndrome_bits(syndrome, d)
    n = 2 * d * d
    if n > BRUTE_FORCE_MAX_QUBITS:
        raise ValueError(f"d must be at most 3 for the exhaustive search (2^{n} errors), got {d}")
    lightest, _ = _lightest_errors(d)
    keys = flat.astype(np.int64) @ (1 << np.arange(d * d, dtype=np.int64))
    corrections = (lightest[keys][..., None] >> np.arange(n)) & 1
    return corrections.astype(np.uint8)
