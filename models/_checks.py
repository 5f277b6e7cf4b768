"""Checks of labcoat.models built on the layer's helper set, :mod:`labcoat.classic._checks`.

Scalars are checked with ``check_int``/``check_float``/``check_choice`` from there; this module
adds what models needs beyond scalars: a sequence of sizes, and the one divergence check of
every training loop.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from torch import Tensor

from labcoat.classic._checks import check_int


def check_sizes(name: str, values: object, min_length: int = 0) -> tuple[int, ...]:
    """Return ``values`` as a tuple of ints >= 1 holding at least ``min_length`` of them.

    Raises:
        TypeError: ``values`` is not an iterable of integers (each checked by ``check_int``,
            named ``name[i]``).
        ValueError: an entry is < 1, or there are fewer than ``min_length`` entries.
    """
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a sequence of integers >= 1, got {values!r}")
    sizes = tuple(check_int(f"{name}[{i}]", value, 1) for i, value in enumerate(values))
    if len(sizes) < min_length:
        raise ValueError(
            f"{name} must hold at least {min_length} integers >= 1, got {len(sizes)}: {sizes}"
        )
    return sizes


def check_finite(value: Tensor | float, what: str, **position: int) -> float:
    """Return the scalar ``value`` as a float; a FloatingPointError if it is NaN or ±inf.

    ``value`` is a batch loss (a one-element tensor or a float) or a sum that is non-finite
    exactly when one of its terms is; ``position`` names where training stands, e.g.
    ``epoch=3, batch=7`` (counted from 1) gives "... at epoch 3, batch 7". ``Tensor.item``
    is the one host sync (a few times cheaper than ``torch.isfinite`` on a 0-d tensor).

    Raises:
        FloatingPointError: ``value`` is not finite, naming ``what`` and ``position``.
    """
    number = value.item() if isinstance(value, Tensor) else float(value)
    if math.isfinite(number):
        return number
    where = ", ".join(f"{key} {count}" for key, count in position.items())
    raise FloatingPointError(
        f"training diverged: {what} is {number} at {where} (NaN or inf in the data, or a "
        "learning_rate too large; lower it or clip gradients)"
    )
