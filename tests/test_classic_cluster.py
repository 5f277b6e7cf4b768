import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import cluster as skc

from labcoat.classic.cluster import KMeans, kmeans_plusplus, lloyd
from labcoat.classic.datasets import load_iris


def test_lloyd_matches_scikit_learn_from_the_same_start():
    x, _ = load_iris()
    start = x[[0, 50, 100]]
    centres, labels, history, _ = lloyd(x, start, max_iter=300, tol=0.0)
    theirs = skc.KMeans(3, init=start, n_init=1, tol=0.0, algorithm="lloyd").fit(x)
    np.testing.assert_allclose(centres, theirs.cluster_centers_, atol=1e-10)
    np.testing.assert_array_equal(labels, theirs.labels_)
    assert history[-1] == pytest.approx(theirs.inertia_, rel=1e-10)


def test_best_of_restarts_reaches_scikit_learn_optimum():
    x, _ = load_iris()
    ours = KMeans(3, n_init=10, random_state=0).fit(x)
    theirs = skc.KMeans(3, n_init=10, random_state=0).fit(x)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-9)
    assert ours.inertia_ == pytest.approx(-ours.score(x), rel=1e-12)
    np.testing.assert_array_equal(ours.predict(x), ours.labels_)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    k=st.integers(1, 6),
    init=st.sampled_from(["k-means++", "random"]),
)
def test_objective_never_increases(seed, k, init):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(60, 3)) + rng.integers(0, 3, size=(60, 1)) * 2.0
    model = KMeans(k, init=init, random_state=seed, tol=0.0).fit(x)
    history = np.array(model.objective_history_)
    assert np.all(np.diff(history) <= 1e-9 * history[0])
    # the loss (eq. 2.24) recomputed from the final assignment
    direct = sum(
        np.sum((x[model.labels_ == j] - c) ** 2) for j, c in enumerate(model.cluster_centers_)
    )
    assert model.inertia_ == pytest.approx(direct, rel=1e-9)


def test_same_seed_same_result_and_plusplus_picks_data_points():
    x, _ = load_iris()
    a = KMeans(4, n_init=3, random_state=7).fit(x)
    b = KMeans(4, n_init=3, random_state=7).fit(x)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.objective_history_ == b.objective_history_
    centres = kmeans_plusplus(x, 5, np.random.default_rng(0))
    assert all(np.any(np.all(x == c, axis=1)) for c in centres)


def test_bad_arguments():
    x = np.zeros((5, 2))
    with pytest.raises(ValueError, match="n_clusters"):
        KMeans(6).fit(x)
    with pytest.raises(ValueError, match="init"):
        KMeans(2, init="forgy").fit(x)
    with pytest.raises(TypeError, match="n_init"):
        KMeans(2, n_init=1.5).fit(x)
    with pytest.raises(TypeError, match="random_state"):
        KMeans(2, random_state="seed").fit(x)


@pytest.mark.parametrize("tol", [0.0, 1e-4])
def test_given_centres_match_scikit_learn_labels_centres_inertia_and_iterations(tol):
    # Overlapping blobs: tens of Lloyd iterations, ending by the tolerance (tol > 0) or by
    # unchanged labels (tol = 0), the two ways the iteration counts could disagree.
    rng = np.random.default_rng(11)
    x = rng.normal(size=(3000, 8)) + rng.integers(0, 4, size=(3000, 1)) * 1.5
    start = x[rng.choice(3000, size=6, replace=False)]
    ours = KMeans(6, init=start, n_init=1, tol=tol).fit(x)
    theirs = skc.KMeans(6, init=start, n_init=1, tol=tol, algorithm="lloyd").fit(x)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, atol=1e-10)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-10)
    assert ours.n_iter_ == theirs.n_iter_ > 5
    history = np.array(ours.objective_history_)
    assert np.all(np.diff(history) <= 1e-12 * history[0])


def test_iteration_cap_matches_scikit_learn():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(1000, 5)) + rng.integers(0, 3, size=(1000, 1)) * 2.0
    start = x[:4] + 0.01  # off the data points: no exact ties between the two BLAS paths
    for max_iter in (1, 2, 5):
        ours = KMeans(4, init=start, max_iter=max_iter, tol=0.0).fit(x)
        theirs = skc.KMeans(4, init=start, n_init=1, max_iter=max_iter, tol=0.0).fit(x)
        assert ours.n_iter_ == theirs.n_iter_ == max_iter
        np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, atol=1e-10)
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)


def test_given_centres_are_checked():
    x = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match=r"init .*\(2, 3\)"):
        KMeans(2, init=np.zeros((3, 3))).fit(x)
    with pytest.raises(ValueError, match="n_init must be 1"):
        KMeans(2, init=x[:2], n_init=2).fit(x)
    with pytest.raises(ValueError, match="init"):
        KMeans(2, init=np.array([[0.0, np.nan, 0.0], [1.0, 1.0, 1.0]])).fit(x)
    start = x[:2].copy()
    KMeans(2, init=start).fit(x)
    np.testing.assert_array_equal(start, x[:2])  # the caller's array is not moved
