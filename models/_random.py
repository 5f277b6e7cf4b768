"""Seeded random generators, with the seed checked where it enters (no global random state)."""

from __future__ import annotations

import numpy as np
import torch

from labcoat.classic._checks import check_int


def check_seed(seed: object, name: str = "seed") -> int:
    """Return ``seed`` as an int, or raise naming ``name`` and the allowed range (>= 0).

    :func:`labcoat.classic._checks.check_int` with ``low=0`` (its rule: numpy integers are
    accepted, bools and floats are not).

    Raises:
        TypeError: if ``seed`` is not an integer (bools are refused too).
        ValueError: if ``seed`` is negative.
    """
    return check_int(name, seed, 0)


def torch_generator(seed: object, offset: int = 0, name: str = "seed") -> torch.Generator:
    """A ``torch.Generator`` seeded with ``seed + offset`` after checking ``seed``."""
    return torch.Generator().manual_seed(check_seed(seed, name) + offset)


def numpy_generator(seed: object, offset: int = 0, name: str = "seed") -> np.random.Generator:
    """A ``np.random.Generator`` (PCG64) seeded with ``seed + offset`` after checking ``seed``."""
    return np.random.default_rng(check_seed(seed, name) + offset)
