"""Checks that an observation (or a start state) is an element of an observation space.

``predict`` and the planning and batched runners take observations from users, not only from
the env: a float (2.5), a string ('1'), NaN or an out-of-range state is refused with a
ValueError naming the argument and the space, as Gymnasium's ``Space.contains`` would refuse
it, instead of being truncated by ``int()`` into some other state.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np


def _discrete_text(n: int, start: int) -> str:
    space = f"Discrete({n})" if start == 0 else f"Discrete({n}, start={start})"
    return f"{space}: an integer in [{start}, {start + n - 1}]"


def state_index(value: Any, n: int, start: int = 0, *, name: str = "observation") -> int:
    """Return ``value - start`` for an element ``value`` of Discrete(n, start).

    Python and numpy integers (also 0-d integer arrays) are elements; bool, float, str, NaN and
    integers out of range are not (ValueError naming ``name`` and the space).
    """
    if type(value) is int:  # the common case, kept cheap
        index = value - start
    elif isinstance(value, np.integer) or (
        isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iu"
    ):
        index = int(value) - start
    else:
        index = -1
    if 0 <= index < n:
        return index
    raise ValueError(f"{name} must be an element of {_discrete_text(n, start)}, got {value!r}")


def state_indices(values: Any, n: int, start: int = 0, *, name: str = "observation") -> np.ndarray:
    """Return ``values - start`` for an array of elements of Discrete(n, start) (any shape)."""
    array = np.asarray(values)
    if array.dtype.kind not in "iu" or (
        array.size and (array.min() < start or array.max() >= start + n)
    ):
        raise ValueError(f"{name} must hold elements of {_discrete_text(n, start)}, got {values!r}")
    return array.astype(np.int64) - start


def box_observations(space: gym.spaces.Box, value: Any, *, name: str = "observation") -> bool:
    """Check one element of ``space`` or a batch of them (finite, in bounds); return is_batch."""
    try:
        array = np.asarray(value)
        real = array.dtype.kind in "iuf"
    except (TypeError, ValueError):  # ragged nested sequences
        real = False
    shape = space.shape
    if real and array.shape in (shape, array.shape[:1] + shape):
        inside = np.isfinite(array) & (array >= space.low) & (array <= space.high)
        if inside.all():
            return array.shape != shape
    raise ValueError(
        f"{name} must be an element of {space} (finite, within its bounds) or a batch of "
        f"them, got {value!r}"
    )


def check_observation(space: gym.Space, value: Any, *, name: str = "observation") -> bool:
    """Check ``value`` is an element of a Discrete or Box ``space`` or a batch; is_batch."""
    if isinstance(space, gym.spaces.Discrete):
        if np.ndim(value) == 0:
            state_index(value, int(space.n), int(space.start), name=name)
            return False
        state_indices(value, int(space.n), int(space.start), name=name)
        return True
    if isinstance(space, gym.spaces.Box):
        return box_observations(space, value, name=name)
    if space.contains(value):
        return False
    raise ValueError(f"{name} must be an element of {space}, got {value!r}")
