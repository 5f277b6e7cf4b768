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
