"""Seeded random generators, with the seed checked where it enters (no global random state)."""

from __future__ import annotations

import numpy as np
import torch


def check_seed(seed: object, name: str = "seed") -> int:
    """Return ``seed`` as an int, or raise naming ``name`` and the allowed range (>= 0).

    Raises:
        TypeError: if ``seed`` is not an integer (bools are refused too).
        ValueError: if ``seed`` is negative.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"{name} must be an integer >= 0, got {seed!r}")
    if seed < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {seed!r}")
    return int(seed)


def torch_generator(seed: object, offset: int = 0, name: str = "seed") -> torch.Generator:
    """A ``torch.Generator`` seeded with ``seed + offset`` after checking ``seed``."""
    return torch.Generator().manual_seed(check_seed(seed, name) + offset)


def numpy_generator(seed: object, offset: int = 0, name: str = "seed") -> np.random.Generator:
    """A ``np.random.Generator`` (PCG64) seeded with ``seed + offset`` after checking ``seed``."""
    return np.random.default_rng(check_seed(seed, name) + offset)
