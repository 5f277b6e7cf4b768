"""Argument checks: one signature and one rule for every layer that may import classic.

classic, models, agents and exercises validate their scalar arguments with these (envs, which
imports nothing of ours, keeps the same functions in ``labcoat.envs._checks``). The rule:

- the first argument is the argument's name, the second its value;
- a value of the wrong type is a ``TypeError``, a value out of range (NaN and ±inf included) a
  ``ValueError``; both messages name the argument and its allowed range, and show the value;
- ``bool`` is not a number; numpy integers and floats are accepted wherever Python's are;
- each check returns the value converted (``int``, ``float``), so callers store what was checked.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


def check_int(name: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int, checked to be an integer with ``low <= value <= high``.

    ``None`` bounds are open; numpy integers are accepted, floats (even ``2.0``) are not.

    Raises:
        TypeError: ``value`` is not an integer (bool, float, str, ...).
        ValueError: ``value`` is outside ``[low, high]``.
    """
    allowed = int_range(low, high)
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer{allowed}, got {value!r}")
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"{name} must be an integer{allowed}, got {value!r}")
    return number


def check_float(
    name: str,
    value: object,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float, checked to be a finite real number between low and high.

    The interval is closed unless ``low_open`` / ``high_open``; an infinite bound is no bound.

    Raises:
        TypeError: ``value`` is not a real number (bool, str, complex, None, ...).
        ValueError: ``value`` is NaN, ±inf or outside the interval.
    """
    allowed = float_range(low, high, low_open, high_open)
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite number{allowed}, got {value!r}")
    number = float(value)
    inside = (number > low if low_open else number >= low) and (
        number < high if high_open else number <= high
    )
    if not (math.isfinite(number) and inside):
        raise ValueError(f"{name} must be a finite number{allowed}, got {value!r}")
    return number


def check_probability(name: str, value: object) -> float:
    """Return ``value`` as a float in [0, 1] (:func:`check_float` with those bounds)."""
    return check_float(name, value, 0.0, 1.0)


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` as a bool; a TypeError for anything but ``True``/``False``."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(name: str, value: T, choices: Iterable[T]) -> T:
    """Return ``value`` if it is one of ``choices``, else a ValueError listing them."""
    options = tuple(choices)
    try:
        known = value in options
    except TypeError:  # an unhashable or incomparable value is simply not a choice
        known = False
    if not known:
        listed = ", ".join(map(repr, options))
        raise ValueError(f"{name} must be one of {listed}, got {value!r}")
    return value


def int_range(low: int | None, high: int | None) -> str:
    """The range of :func:`check_int` in words: "", " >= 1", " <= 9" or " in [1, 9]"."""
    if low is None and high is None:
        return ""
    if high is None:
        return f" >= {low}"
    if low is None:
        return f" <= {high}"
    return f" in [{low}, {high}]"


def float_range(low: float, high: float, low_open: bool = False, high_open: bool = False) -> str:
    """The range of :func:`check_float` in words: "", " > 0", " <= 1" or " in (0, 1]"."""
    below, above = math.isinf(low), math.isinf(high)
    if below and above:
        return ""
    if above:
        return f" {'>' if low_open else '>='} {low:g}"
    if below:
        return f" {'<' if high_open else '<='} {high:g}"
    return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def check_finite_array(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a float64 array, refusing complex, object and non-finite entries."""
    array = np.asarray(value)
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must be real, got complex dtype {array.dtype}")
    try:
        array = array.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}") from error
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or inf)")
    return array
