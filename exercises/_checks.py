"""Checks of exercise config fields: ValueError naming the field, the allowed range, the value.

Every exercise ``Config.__post_init__`` validates its fields with these before any work.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np


def check_int(name: str, value: object, minimum: int, maximum: int | None = None) -> None:
    """Check that a config field is an integer with ``minimum <= value <= maximum``.

    ``bool`` is refused although it subclasses ``int``; ``maximum=None`` means no upper bound.

    Raises:
        ValueError: naming the field, the allowed range and the value given.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        allowed = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be an integer {allowed}, got {value!r}")


def check_ints(config: object, minimums: Mapping[str, int]) -> None:
    """:func:`check_int` on each named field of ``config`` against its minimum."""
    for name, minimum in minimums.items():
        check_int(name, getattr(config, name), minimum)


def check_float(
    name: str,
    value: object,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Check that a config field is a finite real number in the interval from low to high.

    The interval is closed unless ``low_open`` / ``high_open``; an infinite bound means no
    bound. ``bool``, NaN and ±inf are refused; ints and numpy scalars are accepted.

    Raises:
        ValueError: naming the field, the allowed range and the value given.
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
    if ok:
        x = float(value)  # type: ignore[arg-type]
        ok = math.isfinite(x) and (x > low if low_open else x >= low)
        ok = ok and (x < high if high_open else x <= high)
    if not ok:
        allowed = _interval(low, high, low_open, high_open)
        raise ValueError(f"{name} must be a finite number{allowed}, got {value!r}")


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    """The range of :func:`check_float` in words: "", " > 0", " <= 1" or " in (0, 1]"."""
    below, above = math.isinf(low), math.isinf(high)
    if below and above:
        return ""
    if above:
        return f" {'>' if low_open else '>='} {low:g}"
    if below:
        return f" {'<' if high_open else '<='} {high:g}"
    return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
