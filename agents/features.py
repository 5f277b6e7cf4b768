"""Feature maps for linear function approximation: x(s), so that v̂(s, w) = wᵀ x(s).

Every feature map is a callable ``observation -> 1-D float array`` of length ``n_features``;
given a batch (one more leading axis than a single observation) it returns a
``(batch, n_features)`` array. Constructors take the observation space, from which the bounds
used for scaling are read (Sutton & Barto, *Reinforcement Learning*, 2nd ed., chapter 9).

With a linear approximator the gradient in the semi-gradient update (eq. 7.25 of the notes) is
the feature vector itself: ∇v̂(s, w) = x(s).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Protocol, TypedDict, Unpack, runtime_checkable

import numpy as np
from gymnasium import spaces

from labcoat.agents._observations import state_index, state_indices
from labcoat.agents._settings import resolve
from labcoat.classic._checks import check_int

__all__ = [
    "BinaryFeatures",
    "Bounds",
    "Features",
    "Fourier",
    "OneHot",
    "Polynomial",
    "StateAggregation",
    "TileCoding",
]

_MAX_DENSE_FEATURES = 10_000_000
_GOLDEN = 0x9E3779B97F4A7C15  # Fibonacci hashing multiplier (2^64 / golden ratio)
_MASK64 = (1 << 64) - 1


@runtime_checkable
class Features(Protocol):
    """What the semi-gradient agents need of a feature map: x(s) and its length."""

    n_features: int

    def __call__(self, observation: np.ndarray | int | float) -> np.ndarray:
        """Return x(s) (shape ``(n_features,)``) or a batch of them (``(batch, n_features)``)."""
        ...


@runtime_checkable
class BinaryFeatures(Features, Protocol):
    """A feature map whose features are 0 or 1, listed by the indices of the ones.

    Linear agents use ``active_features`` for a sparse update: v̂(s) = Σ_{i active} w_i and
    w_i ← w_i + α δ for the active i (the gradient x(s) is 1 there, 0 elsewhere).
    """

    def active_features(self, observation: Any) -> list[int]:
        """Indices i with x_i(s) = 1 for one observation (a list of Python ints)."""
        ...


class _FeatureMap:
    """Shared batching: subclasses implement ``_batch`` on a ``(batch, *obs_shape)`` array."""

    n_features: int
    observation_space: spaces.Space

    def __call__(self, observation: np.ndarray | int | float) -> np.ndarray:
        """Return x(s) for one observation, or the rows x(s_b) for a batch of observations."""
        obs = np.asarray(observation)
        single_ndim = len(self.observation_space.shape or ())
        if obs.ndim == single_ndim:
            return self._batch(obs[None])[0]
        if obs.ndim == single_ndim + 1:
            return self._batch(obs)
        raise ValueError(
            f"observation has shape {obs.shape}; expected {self.observation_space.shape} "
            f"or a batch of shape (batch, *{self.observation_space.shape})"
        )

    def _batch(self, obs: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise TypeError(f"{type(self).__name__} does not define _batch")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_features={self.n_features})"


def _discrete_states(space: spaces.Space, name: str) -> spaces.Discrete:
    if not isinstance(space, spaces.Discrete):
        raise TypeError(
            f"{name} needs a Discrete observation space, got {space}; for Box observations "
            "use TileCoding, Fourier or Polynomial"
        )
    return space


def _state_index(space: spaces.Discrete, obs: np.ndarray) -> np.ndarray:
    return state_indices(obs, int(space.n), int(space.start))


def _single_state(space: spaces.Discrete, observation: Any) -> int:
    return state_index(observation, int(space.n), int(space.start))


class Bounds(TypedDict, total=False):
    """The keyword arguments ``low=`` and ``high=`` of the maps that scale by the space's bounds.

    ``Polynomial``, ``Fourier`` and ``TileCoding`` scale each observation dimension with
    finite bounds; these replace the space's (required where the space's are infinite).
    """

    low: Sequence[float] | None
    """Finite lower bounds, a scalar or one per dimension."""
    high: Sequence[float] | None
    """Finite upper bounds, a scalar or one per dimension."""


def _bounds(space: spaces.Space, bounds: Bounds, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Finite per-dimension bounds of a Box (or Discrete, as one dimension) space."""
    checked = resolve(name, bounds, Bounds)
    low, high = checked.get("low"), checked.get("high")
    if isinstance(space, spaces.Discrete):
        space_low = np.array([space.start], dtype=float)
        space_high = np.array([space.start + space.n - 1], dtype=float)
    elif isinstance(space, spaces.Box) and len(space.shape) <= 1:
        space_low = np.atleast_1d(space.low).astype(float)
        space_high = np.atleast_1d(space.high).astype(float)
    else:
        raise TypeError(f"{name} needs a 1-D Box or a Discrete observation space, got {space}")
    lo = space_low if low is None else _per_dimension(low, len(space_low), "low", float)
    hi = space_high if high is None else _per_dimension(high, len(space_low), "high", float)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise ValueError(
            f"{name}: the observation space has infinite bounds (low={lo}, high={hi}); "
            "pass finite low= and high= for every dimension"
        )
    if np.any(hi <= lo):
        raise ValueError(f"{name}: need high > low in every dimension, got low={lo}, high={hi}")
    return lo.copy(), hi.copy()


def _per_dimension(value: Any, k: int, name: str, dtype: Any) -> np.ndarray:
    """``value`` (a scalar or one entry per dimension) as an array of shape (k,)."""
    array = np.asarray(value, dtype=dtype)
    if array.ndim > 1 or array.size not in (1, k):
        raise ValueError(f"{name} must have 1 or {k} entries (one per dimension), got {value!r}")
    return np.broadcast_to(array.reshape(-1), (k,))


def _unit_cube(obs: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Observations scaled to [0, 1] per dimension (clipped), shape ``(batch, k)``."""
    s = np.asarray(obs, dtype=float).reshape(len(obs), -1)
    if np.isnan(s).any():  # clip keeps NaN, and a NaN tile coordinate is an arbitrary index
        raise ValueError(f"observation contains NaN: {obs}")
    return np.clip((s - low) / (high - low), 0.0, 1.0)


class OneHot(_FeatureMap):
    """One-hot (tabular) features of a Discrete space: x_i(s) = 1 if i = s else 0.

    With these features, linear semi-gradient TD (eq. 7.25) is exactly tabular TD(0)
    (eq. 7.21): the update w ← w + α δ x(s) changes the single weight w_s = v̂(s).

    Args:
        observation_space: a ``Discrete(n, start)`` space; ``n_features = n``.
    """

    def __init__(self, observation_space: spaces.Space) -> None:
        self._states = _discrete_states(observation_space, "OneHot")
        self.observation_space = self._states
        self.n_features = int(self._states.n)

    def _batch(self, obs: np.ndarray) -> np.ndarray:
        x = np.zeros((len(obs), self.n_features))
        x[np.arange(len(obs)), _state_index(self._states, obs)] = 1.0
        return x

    def active_features(self, observation: Any) -> list[int]:
        """The one active feature: [s − start]."""
        return [_single_state(self._states, observation)]


class StateAggregation(_FeatureMap):
    """State aggregation (Sutton & Barto §9.3): one indicator feature per group of states.

    The states ``first, …, last`` of a Discrete space are split into ``n_groups`` contiguous
    groups of (nearly) equal size; x_g(s) = 1 if s belongs to group g. States outside
    ``[first, last]`` (e.g. the terminal states of a random walk) get the zero vector, so
    v̂(s) = 0 there. Every state of a group shares one value, the group's weight.

    Args:
        observation_space: a ``Discrete`` space.
        n_groups: number of groups, 1 ≤ n_groups ≤ last − first + 1.
        first: first aggregated state (default: the first state of the space).
        last: last aggregated state, inclusive (default: the last state of the space).

    Example:
        The 1000-state random walk of S&B Example 9.1 (states 1…1000, terminals 0 and 1001)
        in 10 groups of 100: ``StateAggregation(space, n_groups=10, first=1, last=1000)``.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        n_groups: int,
        *,
        first: int | None = None,
        last: int | None = None,
    ) -> None:
        space = _discrete_states(observation_space, "StateAggregation")
        lo, hi = int(space.start), int(space.start + space.n - 1)
        first = lo if first is None else check_int("first", first, lo, hi)
        last = hi if last is None else check_int("last", last, lo, hi)
        if not lo <= first <= last <= hi:
            raise ValueError(f"need {lo} <= first <= last <= {hi}, got first={first}, last={last}")
        n_groups = check_int("n_groups", n_groups, 1, last - first + 1)
        self._states = space
        self.observation_space = space
        self.n_features = n_groups
        self.first, self.last = first, last
        group = np.full(space.n, -1, dtype=np.int64)
        for g, block in enumerate(np.array_split(np.arange(first, last + 1) - lo, n_groups)):
            group[block] = g
        self.group = group
        self._group_list = group.tolist()
        """Group index of every state (index ``s − start``); −1 outside ``[first, last]``."""

    def _batch(self, obs: np.ndarray) -> np.ndarray:
        g = self.group[_state_index(self._states, obs)]
        x = np.zeros((len(obs), self.n_features))
        inside = g >= 0
        x[np.flatnonzero(inside), g[inside]] = 1.0
        return x

    def active_features(self, observation: Any) -> list[int]:
        """[group of s], or [] outside ``[first, last]``."""
        g = self._group_list[_single_state(self._states, observation)]
        return [g] if g >= 0 else []


class Polynomial(_FeatureMap):
    """Polynomial features (Sutton & Barto eq. 9.17): x_i(s) = ∏_j s_j^{c_ij}, c_ij ∈ {0,…,n}.

    Each observation dimension is first scaled to s_j ∈ [0, 1] with the space's bounds (clipped),
    then every product of powers up to ``degree`` in each dimension is a feature:
    ``n_features = (degree + 1)^k`` for a k-dimensional observation. The exponent vectors
    c_i are the rows of ``exponents`` (c_0 = 0 gives the constant feature 1).

    Args:
        observation_space: a 1-D ``Box`` or a ``Discrete`` space (treated as one dimension).
        degree: the largest power n ≥ 0 of each dimension.
        **bounds: ``low=``, ``high=``: finite bounds replacing the space's (:class:`Bounds`).
    """

    def __init__(
        self, observation_space: spaces.Space, degree: int, **bounds: Unpack[Bounds]
    ) -> None:
        self.low, self.high, self.degree, self.exponents = _grid(
            self, observation_space, "degree", degree, bounds
        )

    def _batch(self, obs: np.ndarray) -> np.ndarray:
        s = _unit_cube(obs, self.low, self.high)  # (batch, k)
        return np.prod(s[:, None, :] ** self.exponents[None], axis=-1)  # (batch, n_features)


class Fourier(_FeatureMap):
    """Fourier cosine features (Sutton & Barto §9.5.2, eq. 9.18): x_i(s) = cos(π sᵀc^i).

    Each observation dimension is scaled to s_j ∈ [0, 1] with the space's bounds (clipped); the
    coefficient vectors c^i ∈ {0,…,n}^k (rows of ``coefficients``) give
    ``n_features = (order + 1)^k`` features. S&B suggest the per-feature step size
    α_i = α / ‖c^i‖ (α for c^i = 0), available as ``step_size_scale``.

    Args:
        observation_space: a 1-D ``Box`` or a ``Discrete`` space (treated as one dimension).
        order: the largest integer frequency n ≥ 0 in each dimension.
        **bounds: ``low=``, ``high=``: finite bounds replacing the space's (:class:`Bounds`).
    """

    def __init__(
        self, observation_space: spaces.Space, order: int, **bounds: Unpack[Bounds]
    ) -> None:
        self.low, self.high, self.order, self.coefficients = _grid(
            self, observation_space, "order", order, bounds
        )
        norms = np.linalg.norm(self.coefficients, axis=1)
        self.step_size_scale = 1.0 / np.maximum(norms, 1.0)
        """1/‖c^i‖ per feature (1 for the constant feature), S&B's step-size suggestion."""

    def _batch(self, obs: np.ndarray) -> np.ndarray:
        s = _unit_cube(obs, self.low, self.high)  # (batch, k)
        return np.cos(np.pi * s @ self.coefficients.T)  # (batch, n_features)


def _grid(
    feature_map: _FeatureMap,
    observation_space: spaces.Space,
    order_name: str,
    order: Any,
    bounds: Bounds,
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """The set-up of a Polynomial or Fourier map: its bounds, n and all c ∈ {0,…,n}^k.

    Sets the map's ``observation_space`` and ``n_features = (n + 1)^k``; returns the
    per-dimension bounds (low, high), the checked n (argument ``order_name``) and the grid of
    shape ((n + 1)^k, k), one exponent/coefficient vector a row, in lexicographic order.
    """
    name = type(feature_map).__name__
    lo, hi = _bounds(observation_space, bounds, name)
    n = check_int(order_name, order, 0)
    k = len(lo)
    if (n + 1) ** k > _MAX_DENSE_FEATURES:
        raise ValueError(f"{name}: ({order_name} + 1)^k = {(n + 1) ** k} features is too many")
    feature_map.observation_space = observation_space
    feature_map.n_features = (n + 1) ** k
    return lo, hi, n, np.array(list(itertools.product(range(n + 1), repeat=k)), dtype=float)


class TileCoding(_FeatureMap):
    """Tile coding with offset tilings (Sutton & Barto §9.5.4): binary features, one per tile.

    Each dimension j is scaled to tile units u_j = tiles_j (s_j − low_j)/(high_j − low_j) ∈
    [0, tiles_j] (clipped). Tiling t ∈ {0,…,T−1} is displaced by the asymmetric offset
    o_tj = frac(t (2j + 1) / T) tile widths (S&B's displacement vector (1, 3, 5, …), as in
    Sutton's ``tiles3``), and the active tile of tiling t has integer coordinates
    ⌊u_j + o_tj⌋ ∈ {0,…,tiles_j}: every tiling has ∏_j (tiles_j + 1) tiles covering the
    space, and exactly T features are 1 for each observation.

    Without hashing, tile (t, c) has index t ∏_j (tiles_j + 1) + ravel(c). With ``hash_size``
    the index is a deterministic hash of (t, c) modulo ``hash_size``: colliding tiles share a
    weight and x_i counts the active tiles hashed to feature i.

    Args:
        observation_space: a 1-D ``Box`` or a ``Discrete`` space (treated as one dimension).
        n_tilings: number of tilings T ≥ 1 (S&B suggest a power of 2, at least 4k).
        tiles_per_dim: tiles per dimension in one tiling, an int or one int per dimension ≥ 1.
        hash_size: if given, hash tiles into this many features.
        **bounds: ``low=``, ``high=``: finite bounds replacing the space's (:class:`Bounds`).
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        n_tilings: int = 8,
        tiles_per_dim: int | Sequence[int] = 8,
        *,
        hash_size: int | None = None,
        **bounds: Unpack[Bounds],
    ) -> None:
        self.observation_space = observation_space
        self.low, self.high = _bounds(observation_space, bounds, "TileCoding")
        k = len(self.low)
        n_tilings = check_int("n_tilings", n_tilings, 1)
        tiles = _per_dimension(tiles_per_dim, k, "tiles_per_dim", None)
        if not np.issubdtype(tiles.dtype, np.integer) or np.any(tiles < 1):
            raise ValueError(f"tiles_per_dim must be integers >= 1, got {tiles_per_dim!r}")
        self.n_tilings = int(n_tilings)
        self.tiles_per_dim = tiles.astype(np.int64)
        self.grid = self.tiles_per_dim + 1
        """Tiles per dimension in one tiling (one extra to cover the displaced edge)."""
        self.tiles_per_tiling = int(np.prod(self.grid.astype(float)))
        t, j = np.arange(self.n_tilings)[:, None], np.arange(k)[None, :]
        self.offsets = np.mod(t * (2 * j + 1), self.n_tilings) / self.n_tilings
        """Displacement o_tj of tiling t along dimension j, in tile widths, shape (T, k)."""
        if hash_size is None:
            if self.n_tilings * self.tiles_per_tiling > _MAX_DENSE_FEATURES:
                raise ValueError(
                    f"TileCoding: {self.n_tilings * self.tiles_per_tiling} tiles are too many "
                    "for dense indexing; pass hash_size (e.g. 4096)"
                )
            self.n_features = self.n_tilings * self.tiles_per_tiling
        else:
            hash_size = check_int("hash_size", hash_size, 1)
            self.n_features = hash_size
        self.hash_size = hash_size
        self._low_list = self.low.tolist()
        self._width_list = (self.high - self.low).tolist()
        self._tile_list = self.tiles_per_dim.tolist()
        self._grid_list = self.grid.tolist()
        self._offset_columns = self.offsets.T.tolist()
        self._tiling_base = [t * self.tiles_per_tiling for t in range(self.n_tilings)]

    def active_tiles(self, observation: np.ndarray | float) -> np.ndarray:
        """Indices of the T active tiles: shape ``(T,)``, or ``(batch, T)`` for a batch."""
        obs = np.asarray(observation, dtype=float)
        single = obs.ndim == len(self.observation_space.shape or ())
        u = _unit_cube(obs[None] if single else obs, self.low, self.high) * self.tiles_per_dim
        coords = np.floor(u[:, None, :] + self.offsets[None]).astype(np.int64)  # (batch, T, k)
        index = np.zeros(coords.shape[:2], dtype=np.uint64)
        for j, size in enumerate(self.grid):  # Horner's scheme: ravel (wraps only when hashed)
            index = index * np.uint64(size) + coords[..., j].astype(np.uint64)
        tiling = np.arange(self.n_tilings, dtype=np.uint64)
        if self.hash_size is None:
            index = index + tiling * np.uint64(self.tiles_per_tiling)
        else:
            index = (
                (index * np.uint64(self.n_tilings) + tiling) * np.uint64(_GOLDEN)
            ) >> np.uint64(16)
            index = index % np.uint64(self.hash_size)
        out = index.astype(np.int64)
        return out[0] if single else out

    def active_features(self, observation: Any) -> list[int]:
        """The T active tiles of one observation (as :meth:`active_tiles`, in pure Python)."""
        values = np.asarray(observation, dtype=float).ravel().tolist()
        if len(values) != len(self._low_list):
            raise ValueError(f"observation must have {len(self._low_list)} entries, got {values}")
        index: list[int] = [0] * self.n_tilings
        for s, lo, width, n, size, offsets in zip(
            values,
            self._low_list,
            self._width_list,
            self._tile_list,
            self._grid_list,
            self._offset_columns,
            strict=True,
        ):
            if s != s:
                raise ValueError(f"observation contains NaN: {observation}")
            u = min(max((s - lo) / width, 0.0), 1.0) * n
            coords = [int(u + o) for o in offsets]  # floor, as u + o >= 0; <= n as o < 1
            index = [i * size + c for i, c in zip(index, coords, strict=True)]
        if self.hash_size is None:
            return [i + base for i, base in zip(index, self._tiling_base, strict=True)]
        # the numpy version wraps modulo 2^64 at each step: the same residues
        n_tilings, hash_size = self.n_tilings, self.hash_size
        return [
            ((((i * n_tilings + t) & _MASK64) * _GOLDEN & _MASK64) >> 16) % hash_size
            for t, i in enumerate(index)
        ]

    def _batch(self, obs: np.ndarray) -> np.ndarray:
        x = np.zeros((len(obs), self.n_features))
        rows = np.repeat(np.arange(len(obs)), self.n_tilings)
        np.add.at(x, (rows, self.active_tiles(obs).ravel()), 1.0)  # hashed collisions add up
        return x
