import itertools

import numpy as np
import pytest
import scipy.stats
from sklearn import datasets as skdatasets
from sklearn import linear_model as sklm

from labcoat.classic._base import NotFittedError
from labcoat.classic.datasets import load_diabetes, load_iris
from labcoat.classic.linear_model import (
    BestSubsetRegression,
    Lasso,
    LeastSquaresClassifier,
    LinearRegression,
    LogisticRegression,
    Ridge,
    best_subsets,
    lasso_path,
)

X, Y = load_diabetes()
M = X.shape[0]
TIGHT = {"tol": 1e-12, "max_iter": 100_000}


def test_ols_matches_scikit_learn_and_its_statistics():
    ours = LinearRegression().fit(X, Y)
    theirs = sklm.LinearRegression().fit(X, Y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-12)
    assert ours.r2_ == pytest.approx(theirs.score(X, Y), rel=1e-12)
    residual = Y - theirs.predict(X)
    assert ours.sigma2_ == pytest.approx(residual @ residual / (M - 10 - 1), rel=1e-10)  # 3.17


def test_ols_standard_errors_match_scipy_linregress():
    x = X[:, 2]
    ours = LinearRegression().fit(x[:, None], Y)
    reference = scipy.stats.linregress(x, Y)
    assert ours.coef_[0] == pytest.approx(reference.slope, rel=1e-10)
    np.testing.assert_allclose(
        ours.standard_errors_, [reference.intercept_stderr, reference.stderr], rtol=1e-9
    )


def test_ols_is_unbiased_with_the_predicted_covariance():
    # eqs. 3.12 and 3.15 by simulation: E beta = beta_true, Var beta = sigma^2 (X~^T X~)^-1.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    beta = np.array([1.0, -2.0, 0.5])
    draws = np.array(
        [
            np.r_[f.intercept_, f.coef_]
            for f in (
                LinearRegression().fit(x, beta[0] + x @ beta[1:] + rng.normal(0, 0.3, 40))
                for _ in range(1000)
            )
        ]
    )
    design = np.hstack([np.ones((40, 1)), x])
    predicted = 0.09 * np.linalg.inv(design.T @ design)
    assert np.all(np.abs(draws.mean(axis=0) - beta) < 4 * np.sqrt(np.diag(predicted) / 1000))
    np.testing.assert_allclose(np.cov(draws.T), predicted, rtol=0.2, atol=3e-4)


@pytest.mark.parametrize("alpha", [0.01, 1.0, 30.0])
def test_ridge_scalings_match_scikit_learn(alpha):
    ours = Ridge(alpha).fit(X, Y)
    theirs = sklm.Ridge(alpha).fit(X, Y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-12)
    mean = Ridge(alpha, loss="mean").fit(X, Y)  # seed 001: RSS / n + lambda |theta|^2
    np.testing.assert_allclose(mean.coef_, sklm.Ridge(alpha * M).fit(X, Y).coef_, rtol=1e-9)


def test_ridge_with_penalized_intercept_is_eq_3_22():
    lam = 0.5
    design = np.hstack([np.ones((M, 1)), X])
    beta = np.linalg.solve(design.T @ design + lam * np.eye(11), design.T @ Y)
    ours = Ridge(lam, penalize_intercept=True).fit(X, Y)
    np.testing.assert_allclose(np.r_[ours.intercept_, ours.coef_], beta, rtol=1e-10)
    assert ours.predict(X[:3]) == pytest.approx(design[:3] @ beta)


@pytest.mark.parametrize("alpha", [0.05, 0.5])
def test_lasso_scalings_match_scikit_learn(alpha):
    theirs = sklm.Lasso(alpha, **TIGHT).fit(X, Y)
    ours = Lasso(alpha, **TIGHT).fit(X, Y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, abs=1e-6)
    # seed 001's (1/n) RSS + lambda |w|_1 is scikit-learn's alpha = lambda / 2 (ERRATA)
    mean = Lasso(2 * alpha, loss="mean", **TIGHT).fit(X, Y)
    np.testing.assert_allclose(mean.coef_, theirs.coef_, atol=1e-6)
    # eq. 3.26 (RSS + alpha |beta|_1) is scikit-learn's alpha / (2n)
    total = Lasso(2 * M * alpha, loss="sum", **TIGHT).fit(X, Y)
    np.testing.assert_allclose(total.coef_, theirs.coef_, atol=1e-6)


def test_lasso_with_penalized_intercept_matches_an_explicit_ones_column():
    design = np.hstack([np.ones((M, 1)), X])
    theirs = sklm.Lasso(0.3, fit_intercept=False, **TIGHT).fit(design, Y)
    ours = Lasso(0.3, penalize_intercept=True, **TIGHT).fit(X, Y)
    np.testing.assert_allclose(np.r_[ours.intercept_, ours.coef_], theirs.coef_, atol=1e-6)


def test_lasso_path_matches_scikit_learn():
    xc, yc = X - X.mean(axis=0), Y - Y.mean()
    alphas, coefs = lasso_path(xc, yc, tol=1e-12, max_iter=100_000)
    their_alphas, their_coefs, _ = sklm.lasso_path(xc, yc, tol=1e-12, max_iter=100_000)
    np.testing.assert_allclose(alphas, their_alphas, rtol=1e-12)
    np.testing.assert_allclose(coefs, their_coefs, atol=1e-5)
    # Exact zeros at alpha_max by construction (mu = |X^T y|_inf), whatever the BLAS kernel.
    assert np.all(coefs[:, 0] == 0.0) and np.all(coefs[:, -1] != 0.0)


def test_best_subsets_agree_with_brute_force():
    best = best_subsets(X, Y)
    for k in (1, 2, 3, 9):
        rss = {
            subset: np.sum(
                (Y - sklm.LinearRegression().fit(X[:, subset], Y).predict(X[:, subset])) ** 2
            )
            for subset in itertools.combinations(range(10), k)
        }
        winner = min(rss, key=rss.get)
        assert best[k].features == winner
        assert best[k].rss == pytest.approx(rss[winner], rel=1e-9)
    model = BestSubsetRegression(n_features=2).fit(X, Y)
    assert set(np.flatnonzero(model.coef_)) == set(best[2].features)


def test_one_hot_least_squares_classifier():
    x, labels = load_iris()
    ours = LeastSquaresClassifier().fit(x, labels)
    reference = sklm.LinearRegression().fit(x, np.eye(3)[labels])
    np.testing.assert_allclose(ours.decision_function(x), reference.predict(x), atol=1e-10)
    np.testing.assert_array_equal(ours.predict(x), reference.predict(x).argmax(axis=1))


def test_logistic_regression_softmax_matches_scikit_learn():
    x, labels = load_iris()
    ours = LogisticRegression(C=0.7).fit(x, labels)
    theirs = sklm.LogisticRegression(C=0.7, tol=1e-12, max_iter=10_000).fit(x, labels)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.predict_proba(x), theirs.predict_proba(x), atol=1e-5)
    np.testing.assert_array_equal(ours.predict(x), theirs.predict(x))


def test_logistic_regression_binary_matches_scikit_learn():
    data = skdatasets.load_breast_cancer()
    x = (data.data - data.data.mean(axis=0)) / data.data.std(axis=0)
    labels = np.where(data.target == 1, "benign", "malignant")
    ours = LogisticRegression().fit(x, labels)
    theirs = sklm.LogisticRegression(tol=1e-12, max_iter=10_000).fit(x, labels)
    assert ours.coef_.shape == (1, 30)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-4)
    np.testing.assert_allclose(ours.predict_proba(x), theirs.predict_proba(x), atol=1e-6)
    np.testing.assert_array_equal(ours.predict(x), theirs.predict(x))


def test_unfitted_and_bad_arguments():
    with pytest.raises(NotFittedError):
        Ridge().predict(X)
    with pytest.raises(ValueError, match="loss"):
        Ridge(loss="median").fit(X, Y)
    with pytest.raises(ValueError, match="alpha"):
        Lasso(alpha=-1.0).fit(X, Y)
    with pytest.raises(ValueError, match="rows"):
        LinearRegression().fit(X, Y[:-1])
    with pytest.raises(ValueError, match="classes"):
        LogisticRegression().fit(X, np.zeros(M))
    with pytest.raises(ValueError, match="alpha"):
        Ridge().set_params(alpha=-2.0).fit(X, Y)
    with pytest.raises(ValueError, match="not a parameter"):
        Ridge().set_params(lam=1.0)
    assert repr(Ridge(alpha=2.0)) == "Ridge(alpha=2.0)"


def test_ols_noise_variance_of_a_rank_deficient_design_uses_its_rank():
    # A repeated column adds no direction: the fitted values, the RSS and the unbiased
    # sigma^2 = RSS / (m - rank X~) (eq. 3.17 with the rank in place of n + 1) are unchanged.
    full = LinearRegression().fit(X, Y)
    repeated = LinearRegression().fit(np.hstack([X, X[:, :2]]), Y)
    assert repeated.rank_ == 11
    np.testing.assert_allclose(repeated.predict(np.hstack([X, X[:, :2]])), full.predict(X))
    assert repeated.sigma2_ == pytest.approx(full.sigma2_, rel=1e-10)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_targets_are_refused(bad):
    y = Y.copy()
    y[3] = bad
    for model in (LinearRegression(), Ridge(), Lasso(), LogisticRegression()):
        with pytest.raises(ValueError, match="y must contain only finite"):
            model.fit(X, y)
    labels = np.array(["a", "b"] * (M // 2) + ["a"] * (M % 2))
    assert LeastSquaresClassifier().fit(X, labels).classes_.tolist() == ["a", "b"]


def test_ridge_with_alpha_zero_is_least_squares_even_when_singular():
    repeated = np.hstack([X, X[:, :2]])
    ridge = Ridge(alpha=0.0).fit(repeated, Y)
    ols = LinearRegression().fit(repeated, Y)
    np.testing.assert_allclose(ridge.predict(repeated), ols.predict(repeated), rtol=1e-9)
    np.testing.assert_allclose(ridge.coef_, ols.coef_, rtol=1e-7, atol=1e-6)


def test_lasso_path_and_logistic_regression_refuse_bad_numbers():
    for alphas in ([np.nan], [1.0, np.inf], [-1.0]):
        with pytest.raises(ValueError, match="alphas"):
            lasso_path(X, Y, alphas=alphas)
    with pytest.raises(ValueError, match="tol"):
        lasso_path(X, Y, tol=-1.0)
    with pytest.raises(ValueError, match="tol"):
        LogisticRegression(tol=-1.0).fit(X, Y > Y.mean())


def test_ridge_whose_penalized_gram_is_singular_in_float64_still_solves():
    # Found by tests/test_classic_fuzz.py: a centred X with rows +r and -r, |r| ~ 2e14, has
    # X^T X of rank 1 with entries ~1e29; adding alpha = 1 to its diagonal is lost to rounding
    # and the Cholesky solve failed with LinAlgError. Closed form through the dual,
    # beta = X^T (X X^T + alpha I)^-1 y: y = (1, -1) is an eigenvector of X X^T + I with
    # eigenvalue 2|r|^2 + 1, so beta = 2 r / (2 |r|^2 + 1).
    x = np.array([[9.46201960e07, 3.85746044e14], [0.0, 0.0]])
    r = (x[0] - x[1]) / 2.0
    model = Ridge(alpha=1.0).fit(x, np.array([2.0, 0.0]))
    expected = 2.0 * r / (2.0 * r @ r + 1.0)  # (1.3e-21, 5.2e-15)
    np.testing.assert_allclose(model.coef_, expected, rtol=1e-9, atol=1e-8 * expected.max())
    np.testing.assert_allclose(model.predict(x), [2.0, 0.0], rtol=1e-9, atol=1e-9)
