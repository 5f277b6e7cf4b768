import numpy as np
import pytest
from sklearn import datasets as skdatasets
from sklearn import svm as sksvm

from labcoat.classic.datasets import load_iris
from labcoat.classic.svm import SVC, smo


def _breast_cancer():
    data = skdatasets.load_breast_cancer()
    return (data.data - data.data.mean(axis=0)) / data.data.std(axis=0), data.target


def _iris_pair():
    x, labels = load_iris()
    return x[50:], labels[50:]  # versicolor vs virginica: not linearly separable


@pytest.mark.parametrize("data", [_iris_pair, _breast_cancer])
@pytest.mark.parametrize(
    ("kernel", "options"),
    [("linear", {"C": 0.5}), ("poly", {"degree": 2, "coef0": 1.0}), ("rbf", {"C": 2.0})],
)
def test_binary_svc_matches_libsvm(data, kernel, options):
    x, labels = data()
    ours = SVC(kernel=kernel, tol=1e-6, **options).fit(x, labels)
    theirs = sksvm.SVC(kernel=kernel, tol=1e-6, **options).fit(x, labels)
    np.testing.assert_array_equal(ours.support_, np.sort(theirs.support_))
    order = np.argsort(theirs.support_)
    np.testing.assert_allclose(
        ours.dual_coef_, theirs.dual_coef_[:, order], atol=1e-4 * options.get("C", 1.0)
    )
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-4)
    np.testing.assert_allclose(ours.decision_function(x), theirs.decision_function(x), atol=1e-4)
    np.testing.assert_array_equal(ours.predict(x), theirs.predict(x))
    if kernel == "linear":
        np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)


def test_multiclass_one_versus_one_matches_libsvm():
    x, labels = load_iris()
    ours = SVC(kernel="rbf", tol=1e-6).fit(x, labels)
    theirs = sksvm.SVC(kernel="rbf", tol=1e-6).fit(x, labels)
    np.testing.assert_array_equal(ours.support_, np.sort(theirs.support_))
    np.testing.assert_array_equal(ours.n_support_, theirs.n_support_)
    np.testing.assert_array_equal(ours.predict(x), theirs.predict(x))
    new = x[::5] + 0.05
    np.testing.assert_array_equal(ours.predict(new), theirs.predict(new))


def test_dual_solution_satisfies_the_kkt_conditions():
    x, labels = _iris_pair()
    y = np.where(labels == 2, 1.0, -1.0)
    kernel = x @ x.T
    C = 1.0
    solution = smo(kernel, y, C, tol=1e-8, max_iter=100_000)
    alpha = solution.alpha
    assert abs(alpha @ y) < 1e-9  # eq. 3.34
    assert np.all((alpha >= 0) & (alpha <= C))
    f = kernel @ (alpha * y) + solution.intercept  # eq. 3.40
    margin = y * f
    # alpha = 0 -> margin >= 1; 0 < alpha < C -> margin = 1; alpha = C -> margin <= 1
    assert np.all(margin[alpha == 0] >= 1 - 1e-6)
    free = (alpha > 0) & (alpha < C)
    np.testing.assert_allclose(margin[free], 1.0, atol=1e-6)
    assert np.all(margin[alpha == C] <= 1 + 1e-6)


def test_bad_arguments():
    x, labels = _iris_pair()
    with pytest.raises(ValueError, match="C"):
        SVC(C=0.0).fit(x, labels)
    with pytest.raises(ValueError, match="kernel"):
        SVC(kernel="sigmoid").fit(x, labels)
    with pytest.raises(ValueError, match="gamma"):
        SVC(gamma=-1.0).fit(x, labels)
