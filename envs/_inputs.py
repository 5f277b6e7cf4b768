"""Checks of what an environment receives after construction: actions and reset options.

``step`` refuses anything that is not an action of the action space with a ValueError naming
``action`` and the space (Gymnasium's own envs would run ``int(2.5)``, ``int("1")`` or propagate
a NaN). The Discrete check is on every step's path, so its common case (a Python int in range)
costs one type test and one comparison.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray


def discrete_action(action: object, n: int) -> int:
    """``action`` as a Python int in [0, n), or a ValueError naming ``Discrete(n)``.

    Accepted: Python and numpy integers and 0-d integer arrays (what ``Discrete.sample`` and
    Stable-Baselines3 return). Refused: bools, floats (even ``2.0``), strings, arrays of another
    shape and integers out of range.
    """
    if type(action) is int and 0 <= action < n:
        return action
    value = action[()] if isinstance(action, np.ndarray) and action.shape == () else action
    if isinstance(value, int | np.integer) and not isinstance(value, bool) and 0 <= value < n:
        return int(value)
    raise ValueError(
        f"action must be an integer in [0, {n - 1}] (an action of Discrete({n})), got {action!r}"
    )


def box_action(action: object, space: spaces.Box) -> list[float]:
    """``action``'s values (flattened, as Python numbers) if it is an action of ``space``.

    Accepted: real-valued arrays or sequences of the space's shape (any float or integer dtype,
    so float64 arrays too) with every value in [low, high]. Refused with a ValueError: another
    shape, a non-real dtype (bool, str, object, complex), NaN, ±inf and values out of bounds (no
    silent clipping: Stable-Baselines3 clips its policies' actions before ``step``).
    """
    if type(action) is np.ndarray:
        array = action
    else:
        try:
            array = np.asarray(action)
        except (TypeError, ValueError):  # ragged sequences
            array = np.asarray(None)
    if array.shape == space.shape and array.dtype.kind in "iuf":
        values = array.ravel().tolist()  # Python floats compare faster than small arrays
        bounds = zip(space.low.ravel().tolist(), values, space.high.ravel().tolist(), strict=True)
        if all(low <= value <= high for low, value, high in bounds):  # False for NaN
            return values
    low, high = _bound(space.low), _bound(space.high)
    raise ValueError(
        f"action must be a real array of shape {space.shape} with values in [{low}, {high}] "
        f"(an action of {space}), got {action!r}"
    )


def _bound(bound: NDArray[Any]) -> str:
    """One number if every entry of the bound is equal, else the list."""
    flat = np.unique(bound)
    return f"{float(flat[0]):g}" if flat.size == 1 else str(bound.tolist())


def check_options(options: object, allowed: Iterable[str]) -> Mapping[str, Any]:
    """``reset``'s ``options``: None or a dict whose keys are among ``allowed``.

    Raises:
        TypeError: ``options`` is neither None nor a dict.
        ValueError: a key is not one of ``allowed`` (a typo would otherwise be ignored).
    """
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError(f"options must be None or a dict, got {options!r}")
    names = tuple(allowed)
    unknown = [key for key in options if key not in names]
    if unknown:
        known = ", ".join(map(repr, names)) if names else "none"
        raise ValueError(f"options has unknown keys {unknown} (known keys: {known})")
    return options


def real_array(name: str, values: object) -> NDArray[np.float64]:
    """``values`` as a float64 array, or a TypeError unless it holds real numbers only.

    Shape and range are the caller's to check (with a ValueError naming ``name``).
    """
    try:
        array = np.asarray(values)
    except (TypeError, ValueError):  # ragged sequences
        array = np.asarray(None)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a sequence of real numbers, got {values!r}")
    return array.astype(np.float64)
