"""labcoat.exercises.stats against hand computations and rliable's published definitions."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from labcoat.exercises import stats


def test_iqm_keeps_the_middle_half_by_hand():
    assert stats.iqm(np.arange(1.0, 9.0)[:, None]) == pytest.approx(4.5)  # mean of 3, 4, 5, 6
    matrix = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]])
    assert stats.iqm(matrix) == pytest.approx((3 + 4 + 10 + 20) / 4)
    # 10 scores: int(2.5) = 2 cut at each end, so an outlier does not move it
    outlier = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 1000.0])[:, None]
    assert stats.iqm(outlier) == pytest.approx(4.5)
    assert stats.median(outlier) == pytest.approx(4.5)
    assert stats.mean(outlier) == pytest.approx(103.6)


def test_interval_estimates_and_exact_percentiles_of_a_two_point_bootstrap():
    # runs [0, 1]: the resampled mean is 0, 1/2, 1 with probabilities 1/4, 1/2, 1/4
    wide = stats.interval([0.0, 1.0], stats.mean, stats.Bootstrap(0.95, 4000))
    assert (wide.estimate, wide.low, wide.high) == pytest.approx((0.5, 0.0, 1.0))
    narrow = stats.interval([0.0, 1.0], stats.mean, stats.Bootstrap(0.4, 4000))
    assert (narrow.low, narrow.high) == pytest.approx((0.5, 0.5))


def _hand_stratified_percentile(matrix, aggregate, rng, n_resamples, confidence):
    runs, tasks = matrix.shape
    values = []
    for _ in range(n_resamples):
        picks = rng.integers(runs, size=(runs, tasks))
        values.append(aggregate(np.take_along_axis(matrix, picks, axis=0)))
    tail = 100 * (1 - confidence) / 2
    return np.percentile(values, [tail, 100 - tail])


@pytest.mark.parametrize("aggregate", [stats.mean, stats.iqm, stats.median])
def test_interval_matches_a_hand_written_stratified_bootstrap(aggregate):
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(10, 3)) + np.array([0.0, 5.0, 50.0])
    ours = stats.interval(matrix, aggregate, stats.Bootstrap(n_resamples=4000, seed=1))
    low, high = _hand_stratified_percentile(matrix, aggregate, rng, 4000, 0.95)
    width = high - low
    assert ours.estimate == pytest.approx(float(aggregate(matrix)))
    assert ours.low == pytest.approx(low, abs=0.15 * width)
    assert ours.high == pytest.approx(high, abs=0.15 * width)


def test_interval_is_stratified_by_task():
    # two tasks at 0 and 100: resampling runs per task keeps the mean near 50; a pooled
    # bootstrap would mix the tasks and give an interval about 20 wide
    rng = np.random.default_rng(0)
    matrix = np.column_stack([rng.normal(0, 1, 10), rng.normal(100, 1, 10)])
    result = stats.interval(matrix, stats.mean)
    assert result.high - result.low < 1.5
    assert result.low < result.estimate < result.high


def test_interval_same_seed_same_numbers_and_one_run_has_no_interval():
    scores = np.random.default_rng(1).normal(size=7)
    assert stats.interval(scores, settings=stats.Bootstrap(seed=4)) == stats.interval(
        scores, settings=stats.Bootstrap(seed=4)
    )
    assert stats.interval(scores, settings=stats.Bootstrap(seed=4)) != stats.interval(
        scores, settings=stats.Bootstrap(seed=5)
    )
    single = stats.interval([2.0])
    assert single.estimate == pytest.approx(2.0)
    assert np.isnan(single.low) and np.isnan(single.high)


def test_probability_of_improvement_by_hand_and_against_mann_whitney():
    assert stats.probability_of_improvement([1.0, 3.0], [2.0, 2.0]).estimate == pytest.approx(0.5)
    # pairs (2,2) tie, (2,1), (3,2), (3,1) wins: 3.5 / 4
    assert stats.probability_of_improvement([2.0, 3.0], [2.0, 1.0]).estimate == pytest.approx(0.875)
    rng = np.random.default_rng(2)
    x, y = rng.normal(0.5, 1, size=(8, 2)), rng.normal(0, 1, size=(6, 2))
    # rliable: per task U / (n m) with scipy's mannwhitneyu, averaged over tasks
    expected = np.mean(
        [scipy_stats.mannwhitneyu(x[:, t], y[:, t]).statistic / (8 * 6) for t in range(2)]
    )
    result = stats.probability_of_improvement(x, y)
    assert result.estimate == pytest.approx(expected)
    assert 0.0 <= result.low <= result.estimate <= result.high <= 1.0


def test_performance_profile_by_hand():
    x = np.arange(1.0, 9.0)
    profile = stats.performance_profile(np.column_stack([x, 2 * x]), [0.0, 3.0, 7.0, 20.0])
    # task 1 above 3: 5 of 8, task 2 (2..16) above 3: 7 of 8 -> 0.75; above 7: 1/8 and 5/8
    assert profile.fraction == pytest.approx([1.0, 0.75, 0.375, 0.0])
    assert np.all(profile.low <= profile.fraction) and np.all(profile.fraction <= profile.high)
    assert profile.low[0] == pytest.approx(1.0) and profile.high[-1] == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: stats.interval([1.0, np.nan]), ValueError, "scores"),
        (lambda: stats.interval([]), ValueError, "scores"),
        (lambda: stats.interval(np.ones((2, 2, 2))), ValueError, "scores"),
        (lambda: stats.interval(["a", "b"]), TypeError, "scores"),
        (lambda: stats.Bootstrap(confidence=1.0), ValueError, "confidence"),
        (lambda: stats.Bootstrap(n_resamples=0), ValueError, "n_resamples"),
        (lambda: stats.Bootstrap(seed=-1), ValueError, "seed"),
        (
            lambda: stats.probability_of_improvement(np.ones((3, 2)), np.ones((3, 1))),
            ValueError,
            "tasks",
        ),
        (lambda: stats.performance_profile([1.0, 2.0], 0.5), ValueError, "taus"),
    ],
)
def test_bad_input_names_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_pointwise_bands_are_the_per_point_intervals_of_whole_resampled_curves():
    curves = np.random.default_rng(0).normal(size=(6, 4)) + np.arange(4)
    estimate, low, high = stats.pointwise(curves, stats.iqm)
    for j in range(4):  # the same seed draws the same run indices for every point
        point = stats.interval(curves[:, j], stats.iqm)
        assert (estimate[j], low[j], high[j]) == pytest.approx(
            (point.estimate, point.low, point.high)
        )
    one = stats.pointwise(curves[:1])
    assert one[0] == pytest.approx(curves[0]) and np.all(np.isnan(one[1]))
