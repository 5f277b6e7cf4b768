"""Feature maps against hand-computed active tiles and the closed forms of S&B chapter 9."""

from __future__ import annotations

import itertools

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import given, settings
from hypothesis import strategies as st

from labcoat.agents.features import (
    Features,
    Fourier,
    OneHot,
    Polynomial,
    StateAggregation,
    TileCoding,
)

UNIT = spaces.Box(0.0, 1.0, (1,), dtype=np.float64)
SQUARE = spaces.Box(np.array([-1.0, 0.0]), np.array([1.0, 4.0]), dtype=np.float64)


def test_one_hot_is_the_identity_on_every_state():
    space = spaces.Discrete(5, start=2)
    features = OneHot(space)
    assert features.n_features == 5
    np.testing.assert_array_equal(features(np.arange(2, 7)), np.eye(5))
    np.testing.assert_array_equal(features(4), np.eye(5)[2])
    with pytest.raises(ValueError, match=r"\[2, 6\]"):
        features(7)
    with pytest.raises(TypeError, match="Discrete"):
        OneHot(UNIT)


def test_state_aggregation_of_the_1000_state_walk():
    space = spaces.Discrete(1002)
    features = StateAggregation(space, n_groups=10, first=1, last=1000)
    x = features(np.arange(1002))
    assert x.shape == (1002, 10)
    np.testing.assert_array_equal(x[0], 0.0)  # terminals: v̂ = 0
    np.testing.assert_array_equal(x[1001], 0.0)
    s = np.arange(1, 1001)
    np.testing.assert_array_equal(np.argmax(x[s], axis=1), (s - 1) // 100)
    np.testing.assert_array_equal(x[s].sum(axis=1), 1.0)
    uneven = StateAggregation(spaces.Discrete(7), n_groups=3)
    np.testing.assert_array_equal(uneven.group, [0, 0, 0, 1, 1, 2, 2])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_groups": 0}, ValueError, r"n_groups must be an integer in \[1, 10\]"),
        ({"n_groups": 11}, ValueError, r"n_groups must be an integer in \[1, 10\]"),
        ({"n_groups": 2, "first": 5, "last": 3}, ValueError, "first"),
        ({"n_groups": 2, "first": 2.5}, TypeError, r"first must be an integer in \[0, 9\]"),
        ({"n_groups": 2.5}, TypeError, r"n_groups must be an integer in \[1, 10\]"),
        ({"n_groups": "3"}, TypeError, "n_groups"),
        ({"n_groups": True}, TypeError, "n_groups"),
    ],
)
def test_state_aggregation_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        StateAggregation(spaces.Discrete(10), **kwargs)


def test_polynomial_features_are_the_products_of_powers():
    features = Polynomial(SQUARE, degree=2)
    assert features.n_features == 9
    obs = np.array([0.0, 1.0])  # scaled: s1 = 0.5, s2 = 0.25
    s1, s2 = 0.5, 0.25
    expected = [s1**i * s2**j for i, j in itertools.product(range(3), repeat=2)]
    np.testing.assert_allclose(features(obs), expected)
    # S&B's four-feature example (order 1 in two dimensions): (1, s2, s1, s1 s2)
    np.testing.assert_allclose(Polynomial(SQUARE, 1)(obs), [1, s2, s1, s1 * s2])


def test_fourier_features_match_the_closed_form_and_are_orthogonal():
    features = Fourier(SQUARE, order=2)
    obs = np.array([0.5, 3.0])  # scaled: (0.75, 0.75)
    expected = [np.cos(np.pi * 0.75 * (i + j)) for i, j in itertools.product(range(3), repeat=2)]
    np.testing.assert_allclose(features(obs), expected, atol=1e-12)
    one_dim = Fourier(UNIT, order=5)
    n = 4000
    grid = ((np.arange(n) + 0.5) / n)[:, None]  # midpoint rule on [0, 1]
    x = one_dim(grid)
    gram = x.T @ x / n  # ∫ cos(iπs) cos(jπs) ds = δ_ij / 2, and 1 for i = j = 0
    np.testing.assert_allclose(gram, np.diag([1.0] + [0.5] * 5), atol=1e-6)
    np.testing.assert_allclose(features.step_size_scale[:3], [1.0, 1.0, 0.5])


def test_tile_coding_active_tiles_by_hand_in_one_dimension():
    # 4 tiles of width 0.25; tiling 1 displaced by half a tile; 5 tiles per tiling.
    features = TileCoding(UNIT, n_tilings=2, tiles_per_dim=4)
    assert features.n_features == 10
    # s = 0.3 -> u = 1.2: tiling 0 tile 1; tiling 1: floor(1.2 + 0.5) = 1 -> 5 + 1
    np.testing.assert_array_equal(features.active_tiles(np.array([0.3])), [1, 6])
    # s = 0.45 -> u = 1.8: tiling 0 tile 1; tiling 1: floor(2.3) = 2 -> 7
    np.testing.assert_array_equal(features.active_tiles(np.array([0.45])), [1, 7])
    np.testing.assert_array_equal(features.active_tiles(np.array([1.0])), [4, 9])
    np.testing.assert_array_equal(features.active_tiles(np.array([-3.0])), [0, 5])  # clipped
    x = features(np.array([0.3]))
    np.testing.assert_array_equal(np.flatnonzero(x), [1, 6])


def test_tile_coding_active_tiles_by_hand_in_two_dimensions():
    # Offsets of tiling t along dimension j: frac(t (2j + 1) / 4) -> t=1: (1/4, 3/4).
    features = TileCoding(SQUARE, n_tilings=4, tiles_per_dim=(2, 4))
    np.testing.assert_allclose(features.offsets, [[0, 0], [0.25, 0.75], [0.5, 0.5], [0.75, 0.25]])
    assert features.tiles_per_tiling == 3 * 5
    obs = np.array([0.2, 1.1])  # u = (1.2, 1.1)
    # tiling 0: (1, 1); tiling 1: (floor 1.45, floor 1.85) = (1, 1); tiling 2: (1, 1);
    # tiling 3: (floor 1.95, floor 1.35) = (1, 1); index t*15 + 5*c1 + c2 = t*15 + 6
    np.testing.assert_array_equal(features.active_tiles(obs), [6, 21, 36, 51])
    obs = np.array([0.9, 3.9])  # u = (1.9, 3.9)
    # tiling 0: (1, 3) -> 8; tiling 1: (2, 4) -> 15+14; tiling 2: (2, 4) -> 30+14;
    # tiling 3: (2, 4) -> 45+14
    np.testing.assert_array_equal(features.active_tiles(obs), [8, 29, 44, 59])


@settings(max_examples=50, deadline=None)
@given(
    s=st.floats(0.0, 1.0),
    d=st.floats(0.0, 0.25),
)
def test_tile_coding_overlap_falls_linearly_with_distance(s, d):
    """1-D tilings are displaced by w/T: s and s + d share T - (boundaries crossed) tiles."""
    features = TileCoding(UNIT, n_tilings=8, tiles_per_dim=4)
    t = min(s + d, 1.0)
    shared = len(
        set(features.active_tiles(np.array([s]))) & set(features.active_tiles(np.array([t])))
    )
    boundaries = np.floor(t * 32) - np.floor(s * 32)  # tiling edges every 1/32 in [0, 1]
    assert shared == 8 - boundaries


def test_tile_coding_batches_hashing_and_bounds():
    env = gym.make("MountainCar-v0")
    features = TileCoding(env.observation_space, n_tilings=8, tiles_per_dim=8)
    assert features.n_features == 8 * 9 * 9
    rng = np.random.default_rng(0)
    obs = rng.uniform(env.observation_space.low, env.observation_space.high, size=(20, 2))
    batch = features(obs)
    np.testing.assert_array_equal(batch, np.stack([features(o) for o in obs]))
    np.testing.assert_array_equal(batch.sum(axis=1), 8.0)
    hashed = TileCoding(env.observation_space, 8, 8, hash_size=256)
    tiles = hashed.active_tiles(obs)
    assert tiles.shape == (20, 8) and tiles.min() >= 0 and tiles.max() < 256
    np.testing.assert_array_equal(tiles, hashed.active_tiles(obs))
    # same tile <=> same hashed index, for a fixed tiling
    dense = features.active_tiles(obs)
    for tiling in range(8):
        same_dense = dense[:, tiling, None] == dense[None, :, tiling]
        assert np.all(same_dense <= (tiles[:, tiling, None] == tiles[None, :, tiling]))
    with pytest.raises(ValueError, match="infinite bounds"):
        TileCoding(gym.make("CartPole-v1").observation_space)
    bounded = TileCoding(
        gym.make("CartPole-v1").observation_space,
        4,
        4,
        low=[-2.4, -3, -0.21, -3],
        high=[2.4, 3, 0.21, 3],
    )
    assert bounded.n_features == 4 * 5**4
    with pytest.raises(ValueError, match="n_tilings"):
        TileCoding(UNIT, n_tilings=0)
    with pytest.raises(ValueError, match="tiles_per_dim"):
        TileCoding(UNIT, tiles_per_dim=0)
    with pytest.raises(ValueError, match="hash_size"):
        TileCoding(UNIT, hash_size=0)
    with pytest.raises(ValueError, match="shape"):
        features(np.zeros((2, 3, 2)))


def test_every_feature_map_satisfies_the_protocol_on_discrete_states():
    space = spaces.Discrete(6)
    maps = [
        OneHot(space),
        StateAggregation(space, 2),
        Polynomial(space, 2),
        Fourier(space, 3),
        TileCoding(space, 2, 3),
    ]
    for features in maps:
        assert isinstance(features, Features)
        x = features(np.arange(6))
        assert x.shape == (6, features.n_features)
        np.testing.assert_array_equal(x[4], features(4))


def test_integer_arguments_accept_numpy_integers():
    """np.int64 sizes (e.g. read from an array) act as the equal Python int."""
    hashed = TileCoding(SQUARE, 4, 3, hash_size=np.int64(64))
    reference = TileCoding(SQUARE, 4, 3, hash_size=64)
    assert hashed.n_features == 64
    obs = np.array([[0.3, 1.7], [-1.0, 4.0], [1.0, 0.0]])
    np.testing.assert_array_equal(hashed.active_tiles(obs), reference.active_tiles(obs))
    assert [hashed.active_features(o) for o in obs] == [reference.active_features(o) for o in obs]
    assert StateAggregation(spaces.Discrete(10), np.int64(5)).n_features == 5


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: Polynomial(SQUARE, 2, low=[0.0, 0.0, 0.0]), "low"),
        (lambda: Fourier(SQUARE, 2, high=[1.0, 2.0, 3.0]), "high"),
        (lambda: TileCoding(SQUARE, 4, [2, 3, 4]), "tiles_per_dim"),
    ],
)
def test_per_dimension_arguments_of_the_wrong_length_are_named(make, name):
    with pytest.raises(ValueError, match=rf"{name} must have 1 or 2 entries"):
        make()


@pytest.mark.parametrize("feature_map", [Polynomial, Fourier, TileCoding])
def test_the_bounds_keywords_are_low_and_high_only(feature_map):
    """A misspelt bound is refused by name (the keywords come as **bounds), not ignored."""
    with pytest.raises(TypeError, match="unexpected keyword argument 'lo'"):
        feature_map(SQUARE, 2, lo=[0.0, 0.0])
    scaled = feature_map(SQUARE, 2, low=0.0, high=[2.0, 4.0])
    np.testing.assert_array_equal(scaled.low, [0.0, 0.0])
    np.testing.assert_array_equal(scaled.high, [2.0, 4.0])


@pytest.mark.parametrize(
    "features",
    [TileCoding(SQUARE, 4, 2, hash_size=64), TileCoding(SQUARE, 4, 2), Fourier(SQUARE, 2)],
    ids=["hashed tiles", "tiles", "fourier"],
)
def test_a_nan_observation_is_refused_not_mapped_to_arbitrary_features(features):
    nan = np.array([np.nan, 0.5])
    with pytest.raises(ValueError, match="observation contains NaN"):
        features(nan)
    with pytest.raises(ValueError, match="observation contains NaN"):
        features(np.stack([np.zeros(2), nan]))
    if isinstance(features, TileCoding):
        with pytest.raises(ValueError, match="observation contains NaN"):
            features.active_features(nan)
