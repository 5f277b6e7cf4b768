import numpy as np
import pytest
from sklearn import datasets as skdatasets
from sklearn import decomposition as skd

from labcoat.classic._base import NotFittedError
from labcoat.classic.datasets import load_digits, load_iris
from labcoat.classic.decomposition import PCA, KernelPCA


def assert_equal_up_to_sign(a, b, axis, **tolerance):
    """Columns (axis=0) or rows (axis=1) of a equal those of b up to a sign each."""
    signs = np.sign(np.sum(a * b, axis=axis, keepdims=True))
    np.testing.assert_allclose(a * signs, b, **tolerance)


@pytest.mark.parametrize("loader", [load_iris, load_digits])
def test_pca_matches_scikit_learn(loader):
    x, _ = loader()
    ours = PCA(n_components=4).fit(x)
    theirs = skd.PCA(n_components=4, svd_solver="full").fit(x)
    assert_equal_up_to_sign(ours.components_, theirs.components_, axis=1, atol=1e-9)
    np.testing.assert_allclose(ours.explained_variance_, theirs.explained_variance_, rtol=1e-10)
    np.testing.assert_allclose(
        ours.explained_variance_ratio_, theirs.explained_variance_ratio_, rtol=1e-10
    )
    np.testing.assert_allclose(ours.mean_, theirs.mean_, rtol=1e-12)
    assert_equal_up_to_sign(ours.transform(x), theirs.transform(x), axis=0, atol=1e-8)


def test_pca_reproduces_the_notes_iris_rotation():
    # Seed 000 eq. 2.4: petal length and width rotate to w1 = 0.922 l + 0.388 w.
    x, _ = load_iris()
    pca = PCA().fit(x[:, 2:])
    np.testing.assert_allclose(np.abs(pca.components_[0]), [0.922, 0.388], atol=5e-4)
    np.testing.assert_allclose(np.abs(pca.components_[1]), [0.388, 0.922], atol=5e-4)


def test_pca_full_rank_round_trip_and_eigen_equation():
    x, _ = load_iris()
    pca = PCA().fit(x)
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(x)), x, atol=1e-12)
    centred = x - x.mean(axis=0)
    covariance = centred.T @ centred  # eq. 2.2
    eigenvalues = pca.explained_variance_ * (x.shape[0] - 1)
    for value, vector in zip(eigenvalues, pca.components_, strict=True):
        np.testing.assert_allclose(covariance @ vector, value * vector, atol=1e-9)
    assert np.isclose(pca.explained_variance_ratio_.sum(), 1.0)


@pytest.mark.parametrize(
    ("kernel", "options"),
    [("rbf", {"gamma": 0.5}), ("poly", {"degree": 2, "coef0": 1.0}), ("linear", {})],
)
def test_kernel_pca_matches_scikit_learn(kernel, options):
    x, _ = load_iris()
    ours = KernelPCA(n_components=3, kernel=kernel, **options).fit(x)
    theirs = skd.KernelPCA(n_components=3, kernel=kernel, **options).fit(x)
    np.testing.assert_allclose(ours.eigenvalues_, theirs.eigenvalues_, rtol=1e-9)
    assert_equal_up_to_sign(ours.fit_transform(x), theirs.fit_transform(x), axis=0, atol=1e-8)
    new = x[::7] + 0.1
    assert_equal_up_to_sign(ours.transform(new), theirs.transform(new), axis=0, atol=1e-8)


def test_kernel_pca_separates_circles_where_pca_fails():
    # Seed 000 Fig. 5: RBF kernel PCA separates two concentric rings along its first axis.
    x, labels = skdatasets.make_circles(n_samples=300, factor=0.3, noise=0.05, random_state=0)
    first = KernelPCA(n_components=1, kernel="rbf", gamma=2.0).fit_transform(x)[:, 0]
    linear = PCA(n_components=1).fit_transform(x)[:, 0]

    def separation(score):
        a, b = score[labels == 0], score[labels == 1]
        return abs(a.mean() - b.mean()) / np.sqrt(0.5 * (a.var() + b.var()))

    assert separation(first) > 10.0
    assert separation(linear) < 0.5


def test_linear_kernel_pca_equals_pca():
    x, _ = load_iris()
    kernel = KernelPCA(n_components=2, kernel="linear").fit_transform(x)
    linear = PCA(n_components=2).fit_transform(x)
    assert_equal_up_to_sign(kernel, linear, axis=0, atol=1e-9)


def test_unfitted_and_bad_arguments():
    with pytest.raises(NotFittedError, match="fit"):
        PCA().transform(np.ones((3, 2)))
    with pytest.raises(ValueError, match="n_components"):
        PCA(n_components=5).fit(np.random.default_rng(0).normal(size=(10, 3)))
    with pytest.raises(ValueError, match="kernel"):
        KernelPCA(kernel="sigmoid").fit(np.ones((4, 2)))
    with pytest.raises(ValueError, match="features"):
        PCA(1).fit(np.eye(3)).transform(np.ones((2, 4)))
    with pytest.raises(ValueError, match="finite"):
        PCA().fit(np.array([[1.0, np.nan], [0.0, 1.0]]))
