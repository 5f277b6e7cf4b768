import numpy as np
import pytest
import scipy.sparse
from sklearn.manifold import trustworthiness as sk_trustworthiness

from labcoat.classic.datasets import load_digits
from labcoat.classic.manifold import (
    TSNE,
    _Gradient,
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
    repulsion, z = _Gradient._repulsion(y)
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


def test_tsne_of_identical_points_is_finite():
    # All points equal: the first principal component has variance 0, so the PCA start cannot
    # be scaled to standard deviation 1e-4; the random start is used instead.
    model = TSNE(perplexity=5.0, max_iter=100, random_state=0).fit(np.ones((20, 3)))
    assert np.all(np.isfinite(model.embedding_))
    assert np.isfinite(model.kl_divergence_)
    again = TSNE(perplexity=5.0, max_iter=100, random_state=0).fit(np.ones((20, 3)))
    np.testing.assert_array_equal(model.embedding_, again.embedding_)


def test_tsne_perplexity_must_be_reachable_with_the_neighbours():
    # Over k neighbours the perplexity is at most k (uniform p_{j|i}): larger targets would
    # silently be missed by the bisection.
    x = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="perplexity"):
        TSNE(perplexity=10.0, n_neighbors=5).fit(x)
    with pytest.raises(ValueError, match="perplexity"):
        TSNE(perplexity=19.5).fit(x)
