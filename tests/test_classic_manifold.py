import numpy as np
import pytest
import scipy.sparse
from sklearn.manifold import trustworthiness as sk_trustworthiness

from labcoat.classic.datasets import load_digits
from labcoat.classic.manifold import (
    FFT_ABOVE,
    TSNE,
    _FFTRepulsion,
    _Gradient,
    _repulsion_exact,
    conditional_probabilities,
    joint_probabilities,
    trustworthiness,
)


def test_bisection_hits_the_perplexity():
    rng = np.random.default_rng(0)
    distances = np.sort(rng.gamma(2.0, 3.0, size=(50, 40)), axis=1)
    for perplexity in (5.0, 20.0):
        p = conditional_probabilities(distances, perplexity)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
        entropy_bits = -np.sum(p * np.log2(np.maximum(p, 1e-300)), axis=1)  # eq. 2.21
        np.testing.assert_allclose(2.0**entropy_bits, perplexity, rtol=1e-4)  # eq. 2.22


def test_joint_probabilities_are_symmetric_and_normalized():
    x = np.random.default_rng(1).normal(size=(80, 5))
    p = joint_probabilities(x, 10.0, 30).toarray()
    np.testing.assert_allclose(p, p.T, atol=1e-15)
    assert p.sum() == pytest.approx(1.0)
    assert np.all(np.diag(p) == 0.0)
    assert np.all(p.sum(axis=1) > 1.0 / (2 * 80) - 1e-12)  # eq. 2.17's remark


def test_gradient_is_the_derivative_of_the_kl_divergence():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(30, 4))
    gradient = _Gradient(joint_probabilities(x, 5.0, 29), np.float64)
    y = rng.normal(size=(30, 2))
    analytic, _ = gradient(y, 1.0)
    numeric = np.zeros_like(y)
    h = 1e-6
    for index in np.ndindex(*y.shape):
        shift = np.zeros_like(y)
        shift[index] = h
        numeric[index] = (gradient.kl_divergence(y + shift) - gradient.kl_divergence(y - shift)) / (
            2 * h
        )
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_dense_repulsion_blocks_agree_with_a_direct_sum():
    rng = np.random.default_rng(3)
    y = rng.normal(size=(300, 2))
    repulsion, z = _repulsion_exact(y)
    diff = y[:, None, :] - y[None, :, :]
    w = 1.0 / (1.0 + np.sum(diff**2, axis=2))
    np.fill_diagonal(w, 0.0)
    np.testing.assert_allclose(repulsion, np.einsum("ij,ijk->ik", w**2, diff), rtol=1e-10)
    assert z == pytest.approx(w.sum(), rel=1e-12)
    assert scipy.sparse.issparse(joint_probabilities(y, 5.0, 20))


def test_trustworthiness_matches_scikit_learn():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(200, 6))
    embedded = x[:, :2] + 0.3 * rng.normal(size=(200, 2))
    for k in (1, 5, 12):
        assert trustworthiness(x, embedded, k) == pytest.approx(
            sk_trustworthiness(x, embedded, n_neighbors=k), abs=1e-12
        )


def _knn_accuracy(embedding, labels, k=5):
    d = np.sum((embedding[:, None, :] - embedding[None, :, :]) ** 2, axis=2)
    np.fill_diagonal(d, np.inf)
    neighbours = np.argsort(d, axis=1)[:, :k]
    votes = np.array([np.bincount(labels[row], minlength=10) for row in neighbours])
    return np.mean(votes.argmax(axis=1) == labels)


def test_tsne_of_500_digits_clusters_the_classes():
    x, labels = load_digits()
    x, labels = x[:500], labels[:500]
    model = TSNE(random_state=0, max_iter=400)
    embedding = model.fit_transform(x)
    assert embedding.shape == (500, 2)
    assert _knn_accuracy(embedding, labels) >= 0.9
    kl = [value for _, value in model.kl_history_]
    assert kl[-1] <= kl[len(kl) // 2] and model.kl_divergence_ == pytest.approx(kl[-1], rel=1e-3)


def test_tsne_same_seed_same_embedding():
    x = np.random.default_rng(5).normal(size=(60, 5))
    a = TSNE(init="random", random_state=3, max_iter=60, perplexity=10.0).fit_transform(x)
    b = TSNE(init="random", random_state=3, max_iter=60, perplexity=10.0).fit_transform(x)
    c = TSNE(init="random", random_state=4, max_iter=60, perplexity=10.0).fit_transform(x)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_tsne_bad_arguments():
    x = np.zeros((20, 3))
    with pytest.raises(ValueError, match="perplexity"):
        TSNE(perplexity=30.0).fit(x)
    with pytest.raises(ValueError, match="init"):
        TSNE(init="spectral", perplexity=5.0).fit(x)
    with pytest.raises(ValueError, match="dtype"):
        TSNE(dtype="float16", perplexity=5.0).fit(x)


@pytest.mark.parametrize("method", ["exact", "fft"])
def test_tsne_of_identical_points_is_finite(method):
    # All points equal: the first principal component has variance 0, so the PCA start cannot
    # be scaled to standard deviation 1e-4; the random start is used instead. (fft: the span
    # starts at about 1e-4, the grid's intervals shrink with it.)
    kwargs = {"perplexity": 5.0, "max_iter": 100, "random_state": 0, "method": method}
    model = TSNE(**kwargs).fit(np.ones((20, 3)))
    assert np.all(np.isfinite(model.embedding_))
    assert np.isfinite(model.kl_divergence_)
    again = TSNE(**kwargs).fit(np.ones((20, 3)))
    np.testing.assert_array_equal(model.embedding_, again.embedding_)


def test_auto_method_sums_on_the_grid_above_the_threshold_in_one_or_two_dimensions():
    assert TSNE()._repulsion(FFT_ABOVE) is _repulsion_exact
    assert isinstance(TSNE()._repulsion(FFT_ABOVE + 1), _FFTRepulsion)
    assert isinstance(TSNE(n_components=1)._repulsion(FFT_ABOVE + 1), _FFTRepulsion)
    assert TSNE(n_components=3)._repulsion(FFT_ABOVE + 1) is _repulsion_exact
    assert isinstance(TSNE(method="fft")._repulsion(10), _FFTRepulsion)


def test_tsne_perplexity_must_be_reachable_with_the_neighbours():
    # Over k neighbours the perplexity is at most k (uniform p_{j|i}): larger targets would
    # silently be missed by the bisection.
    x = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="perplexity"):
        TSNE(perplexity=10.0, n_neighbors=5).fit(x)
    with pytest.raises(ValueError, match="perplexity"):
        TSNE(perplexity=19.5).fit(x)


def _two_clusters(m, spread, d=2, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(m, d)) * spread
    y[: m // 2] += 3.0 * spread
    return y


def _relative_error(y, n_points):
    exact, z_exact = _repulsion_exact(y)
    approximate, z = _FFTRepulsion(n_points, 50)(y)
    error = np.linalg.norm(exact / z_exact - approximate / z) / np.linalg.norm(exact / z_exact)
    return error, abs(z / z_exact - 1.0)


def test_fft_repulsion_converges_to_the_exact_sum():
    # spread 10: the grid's intervals are one unit wide, the coarsest case. The error of the
    # normalized repulsion sum_j q_ij w_ij (y_i - y_j) falls geometrically with the nodes per
    # interval (measured: 3.5e-2, 3.4e-3, 4.1e-4, 4.6e-5 for 3, 5, 7, 9 nodes).
    y = _two_clusters(2000, 10.0)
    errors = [_relative_error(y, n_points) for n_points in (3, 5, 7, 9)]
    assert errors[0][0] < 0.05 and errors[0][1] < 3e-3  # the default
    assert errors[-1][0] < 1e-4 and errors[-1][1] < 2e-6
    assert all(b[0] < a[0] / 4 for a, b in zip(errors, errors[1:], strict=False))


def test_fft_repulsion_is_nearly_exact_on_a_fine_grid_and_works_in_one_dimension():
    # a small embedding (early exaggeration): 50 intervals over a span of about 1, far below
    # the kernel's scale, so 3 nodes per interval interpolate it closely (measured 3e-7, 2e-9)
    small = _two_clusters(500, 0.1)
    error, z_error = _relative_error(small, 3)
    assert error < 1e-6 and z_error < 1e-8
    line = _two_clusters(800, 10.0, d=1)
    assert _relative_error(line, 5)[0] < 0.01
    assert _relative_error(line, 9)[0] < 2e-4  # measured 1.1e-4


def test_fft_gradient_is_the_exact_gradient_up_to_the_grid_error():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(400, 5))
    p = joint_probabilities(x, 10.0, 30)
    y = _two_clusters(400, 5.0)
    exact, kl_exact = _Gradient(p, np.float64)(y, 1.0, with_kl=True)
    fine, kl_fine = _Gradient(p, np.float64, _FFTRepulsion(9, 50))(y, 1.0, with_kl=True)
    # measured: 3.8e-5 relative in norm, 1.6e-4 of the largest component at worst
    assert np.linalg.norm(fine - exact) < 1e-4 * np.linalg.norm(exact)
    np.testing.assert_allclose(fine, exact, atol=5e-4 * np.abs(exact).max())
    assert kl_fine == pytest.approx(kl_exact, rel=1e-6)


def test_kl_of_the_gradient_pass_is_the_kl_divergence():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(120, 4))
    gradient = _Gradient(joint_probabilities(x, 8.0, 24), np.float64)
    y = rng.normal(size=(120, 2)) * 3.0
    _, kl = gradient(y, 12.0, with_kl=True)  # of the plain P, whatever the exaggeration
    assert kl == pytest.approx(gradient.kl_divergence(y), rel=1e-12)
    assert np.isnan(gradient(y, 1.0)[1])


def test_knn_affinities_match_scikit_learn_on_the_same_neighbour_graph():
    from sklearn.manifold._t_sne import _joint_probabilities_nn

    from labcoat.classic.manifold import _nearest_neighbours

    x, _ = load_digits()
    x = x[:600]
    indices, distances = _nearest_neighbours(x, 90)
    graph = scipy.sparse.csr_matrix(  # copies: scikit-learn sorts the graph in place
        (distances.ravel().copy(), indices.ravel().copy(), np.arange(0, 600 * 90 + 1, 90)),
        shape=(600, 600),
    )
    theirs = _joint_probabilities_nn(graph, 30.0, 0).toarray()
    ours = joint_probabilities(x, 30.0, 90).toarray()
    np.testing.assert_allclose(ours, theirs, atol=1e-5 * theirs.max())
    # brute-force neighbours: the same sets as sorting full distance rows
    full = np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=2)
    np.fill_diagonal(full, np.inf)
    np.testing.assert_allclose(np.sort(full, axis=1)[:, :90], distances, rtol=1e-9, atol=1e-9)


def test_knn_affinities_approach_the_exact_p_as_neighbours_grow():
    # P from k = 3 perplexity neighbours against P over all pairs (k = m - 1, eq. 2.17): the
    # mass P puts outside the neighbours (2.1% on digits at perplexity 30) and the L1 distance
    # fall as k grows.
    x, _ = load_digits()
    x = x[:600]
    exact = joint_probabilities(x, 30.0, 599).toarray()
    distances = []
    for k in (90, 180, 360):
        approximate = joint_probabilities(x, 30.0, k).toarray()
        outside = exact[approximate == 0].sum()
        distances.append((outside, np.abs(approximate - exact).sum()))
    assert distances[0][0] < 0.03 and distances[0][1] < 0.15
    assert all(
        b[0] < a[0] / 2 and b[1] < a[1] / 2 for a, b in zip(distances, distances[1:], strict=False)
    )


def test_fft_tsne_of_digits_is_as_trustworthy_as_the_exact_one():
    x, _ = load_digits()
    x = x[:1000]
    exact = TSNE(method="exact", max_iter=400, random_state=0).fit_transform(x)
    fft = TSNE(method="fft", max_iter=400, random_state=0).fit_transform(x)
    t_exact = trustworthiness(x, exact, 5)
    t_fft = trustworthiness(x, fft, 5)
    assert t_fft >= 0.98
    assert abs(t_fft - t_exact) < 0.005


def test_fft_tsne_same_seed_same_embedding():
    x = np.random.default_rng(8).normal(size=(300, 6))
    kwargs = {"method": "fft", "init": "random", "max_iter": 80, "perplexity": 10.0}
    a = TSNE(random_state=1, **kwargs).fit_transform(x)
    b = TSNE(random_state=1, **kwargs).fit_transform(x)
    c = TSNE(random_state=2, **kwargs).fit_transform(x)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_tsne_method_arguments_are_checked():
    x = np.random.default_rng(9).normal(size=(40, 3))
    with pytest.raises(ValueError, match="method"):
        TSNE(method="barnes_hut", perplexity=5.0).fit(x)
    with pytest.raises(ValueError, match=r"n_components in \[1, 2\]"):
        TSNE(method="fft", n_components=3, perplexity=5.0).fit(x)
    with pytest.raises(ValueError, match=r"n_interpolation_points must be an integer >= 1"):
        TSNE(method="fft", n_interpolation_points=0, perplexity=5.0).fit(x)
    with pytest.raises(TypeError, match="min_num_intervals"):
        TSNE(method="fft", min_num_intervals=2.5, perplexity=5.0).fit(x)
    with pytest.raises(TypeError, match="max_iter"):
        TSNE(max_iter=10.0, perplexity=5.0).fit(x)


@pytest.mark.parametrize(
    "kind", ["gaussian", "offset", "huge", "tiny", "duplicates", "all_neighbours"]
)
def test_screened_neighbours_are_the_brute_force_ones(kind):
    # the float32 screen (every 8th column bounds the k-th distance) keeps the float64 answer:
    # a large offset (cancellation), extreme scales, ties, and k = m - 1
    rng = np.random.default_rng(7)
    x = rng.normal(size=(900, 12))
    k = 20
    if kind == "offset":
        x = 1e4 + 1e-3 * x
    elif kind == "huge":
        x = x * 1e150
    elif kind == "tiny":
        x = x * 1e-150
    elif kind == "duplicates":
        x = np.repeat(x[:60], 15, axis=0)
    elif kind == "all_neighbours":
        x, k = x[:60], 59
    from labcoat.classic.manifold import _nearest_neighbours

    indices, distances = _nearest_neighbours(x, k, block=64)
    full = np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=2)
    np.fill_diagonal(full, np.inf)
    np.testing.assert_allclose(distances, np.sort(full, axis=1)[:, :k], rtol=1e-9, atol=0)
    np.testing.assert_allclose(np.take_along_axis(full, indices, axis=1), distances, rtol=1e-12)
    assert np.all(indices != np.arange(x.shape[0])[:, None])
    assert all(len(set(row)) == k for row in indices.tolist())
