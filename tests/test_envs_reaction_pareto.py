"""Multi-objective reaction optimization: Pareto filter, hypervolume, the exact yield-cost front."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from labcoat.envs.reaction import (
    HIGH,
    LOW,
    ReactionLandscape,
    ReactionOptimizationEnv,
    hypervolume,
    objectives,
    pareto_front,
    pareto_mask,
)


def brute_force_mask(points):
    """O(n^2) definition: a point is kept unless another is <= everywhere and < somewhere."""
    points = np.asarray(points, dtype=float)
    keep = []
    for p in points:
        dominated = any(np.all(q <= p) and np.any(q < p) for q in points)
        keep.append(not dominated)
    return np.array(keep, dtype=bool)


# small integers make ties and duplicates frequent
coordinates = st.integers(-4, 4).map(float) | st.floats(-10, 10, allow_nan=False)


@given(
    st.integers(1, 3).flatmap(
        lambda d: arrays(float, st.tuples(st.integers(0, 25), st.just(d)), elements=coordinates)
    )
)
def test_pareto_mask_matches_brute_force(points):
    np.testing.assert_array_equal(pareto_mask(points), brute_force_mask(points))


def test_pareto_mask_keeps_duplicates_and_drops_weak_domination():
    points = [[0.0, 1.0], [0.0, 1.0], [0.0, 2.0], [1.0, 0.0], [2.0, 2.0]]
    np.testing.assert_array_equal(pareto_mask(points), [True, True, False, True, False])


def test_hypervolume_of_hand_computed_rectangles():
    reference = (4.0, 5.0)
    assert hypervolume([[1.0, 2.0]], reference) == pytest.approx(3.0 * 3.0)
    # union of [1,4]x[3,5] and [2,4]x[1,5]: 3*2 + 2*4 - overlap 2*2
    assert hypervolume([[1.0, 3.0], [2.0, 1.0]], reference) == pytest.approx(6 + 8 - 4)
    # a dominated point, a duplicate and a point outside the reference box add nothing
    points = [[1.0, 3.0], [2.0, 1.0], [3.0, 4.0], [2.0, 1.0], [5.0, 0.0]]
    assert hypervolume(points, reference) == pytest.approx(10.0)
    assert hypervolume(np.zeros((0, 2)), reference) == 0.0


def test_hypervolume_matches_monte_carlo():
    rng = np.random.default_rng(0)
    points = rng.uniform(0.0, 1.0, (30, 2))
    samples = rng.uniform(0.0, 1.0, (400_000, 2))
    covered = np.zeros(len(samples), dtype=bool)
    for p in points:
        covered |= np.all(samples >= p, axis=1)
    # the box is the unit square, so the covered fraction is the area; 4 standard errors
    estimate = covered.mean()
    assert hypervolume(points, (1.0, 1.0)) == pytest.approx(estimate, abs=4 * 0.5 / math.sqrt(4e5))


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: pareto_mask([1.0, 2.0]), ValueError),
        (lambda: pareto_mask([[1.0, math.nan]]), ValueError),
        (lambda: pareto_mask([["a", "b"]]), TypeError),
        (lambda: hypervolume([[1.0, 2.0, 3.0]], (1.0, 1.0)), ValueError),
        (lambda: hypervolume([[1.0, 2.0]], (1.0, math.inf)), ValueError),
        (lambda: hypervolume([[1.0, 2.0]], (1.0,)), ValueError),
        (
            lambda: pareto_front(ReactionLandscape.sample(np.random.default_rng(0)), levels=1),
            ValueError,
        ),
    ],
)
def test_bad_input_is_refused(call, error):
    with pytest.raises(error, match="points|reference|levels"):
        call()


def test_objectives_match_the_env_info():
    env = ReactionOptimizationEnv(landscape_seed=4, noise=0.0)
    _, info = env.reset(seed=0, options={"conditions": (330.0, 6.0, 0.4)})
    y, purity, cost = objectives(env.landscape, 330.0, 6.0, 0.4)
    assert (y, purity, cost) == pytest.approx(
        (info["true_yield"], info["purity"], info["cost"]), abs=1e-12
    )
    assert cost == pytest.approx(0.5 * (36.85 / 80.0 + 0.6))


@pytest.mark.parametrize("seed", [2, 7])
def test_exact_front_against_a_brute_force_grid_front(seed):
    landscape = ReactionLandscape.sample(np.random.default_rng(seed))
    front = pareto_front(landscape, levels=101)
    axes = [np.linspace(lo, hi, n) for lo, hi, n in zip(LOW, HIGH, (81, 81, 81), strict=True)]
    temperature, ph, water = (a.ravel() for a in np.meshgrid(*axes, indexing="ij"))
    y, _, cost = objectives(landscape, temperature, ph, water)
    grid_points = np.column_stack((-y, cost))
    grid_front = grid_points[pareto_mask(grid_points)]
    # every grid front point is dominated or equalled by an exact front point at most one cost
    # level dearer (the front is sampled at 101 levels; Y(c) increases with c)
    spacing = front.costs[-1] / 100
    for minus_yield, grid_cost in grid_front:
        near = front.yields[front.costs <= grid_cost + spacing + 1e-12]
        assert near.max() >= -minus_yield - 1e-9
    exact_hv = hypervolume(front.points(), (0.0, 1.0))
    grid_hv = hypervolume(grid_front, (0.0, 1.0))
    assert exact_hv >= grid_hv
    assert exact_hv - grid_hv < 0.01
    assert front.gap < 0.005
    # the front's own numbers are the landscape's
    y_front, _, cost_front = objectives(landscape, *front.conditions.T)
    np.testing.assert_allclose(y_front, front.yields, atol=1e-12)
    np.testing.assert_allclose(cost_front, front.costs, atol=1e-12)
    assert np.all(np.diff(front.yields) > 0) and np.all(np.diff(front.costs) > 0)


def test_front_is_reproducible():
    landscape = ReactionLandscape.sample(np.random.default_rng(5))
    first, second = pareto_front(landscape, levels=21), pareto_front(landscape, levels=21)
    np.testing.assert_array_equal(first.conditions, second.conditions)
    assert first.gap == second.gap
