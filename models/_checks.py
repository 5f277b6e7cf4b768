"""Checks of labcoat.models built on the layer's helper set, :mod:`labcoat.classic._checks`.

Scalars are checked with ``check_int``/``check_float``/``check_choice`` from there; this module
adds what models needs beyond scalars: a sequence of sizes, and the one divergence check of
every training loop.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
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


def check_finite(value: Tensor | float, what: str, **position: int) -> None:
    """Raise FloatingPointError if ``value`` holds a NaN or ±inf, naming ``what`` and where.

    ``value`` is a batch loss (a 0-d tensor or a float) or a sum that is non-finite exactly
    when one of its terms is; ``position`` names where training stands, e.g.
    ``epoch=3, batch=7`` (counted from 1) gives "... at epoch 3, batch 7". One host sync per
    call: call it once per step.

    Raises:
        FloatingPointError: ``value`` is not finite.
    """
    tensor = torch.as_tensor(value)
    if bool(torch.isfinite(tensor).all()):
        return
    where = ", ".join(f"{key} {number}" for key, number in position.items())
    shown = float(tensor.detach()) if tensor.numel() == 1 else "non-finite"
    raise FloatingPointError(
        f"training diverged: {what} is {shown} at {where} (NaN or inf in the data, or a "
        "learning_rate too large; lower it or clip gradients)"
    )
