"""scikit-learn's input rules, for every estimator of labcoat.classic (one check_array).

- an object array of numbers is converted; None is a missing value (ValueError naming X or y);
- complex numbers, strings and other non-numeric entries are a TypeError naming the array;
- scipy.sparse input is a TypeError "sparse input is not supported";
- a bool array is 0/1, as in scikit-learn;
- class labels may be numbers or strings, not a mix, not None, not NaN.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.sparse

from labcoat import classic

RNG = np.random.default_rng(1)
X = RNG.normal(size=(30, 3))
Y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * RNG.normal(size=30)
LABELS = np.where(Y > np.median(Y), "high", "low")

REGRESSORS: dict[str, Callable[[], Any]] = {
    "LinearRegression": classic.LinearRegression,
    "Ridge": classic.Ridge,
    "Lasso": lambda: classic.Lasso(alpha=0.01),
    "BestSubsetRegression": lambda: classic.BestSubsetRegression(2),
}
CLASSIFIERS: dict[str, Callable[[], Any]] = {
    "LeastSquaresClassifier": classic.LeastSquaresClassifier,
    "LogisticRegression": classic.LogisticRegression,
    "SVC": classic.SVC,
}
UNSUPERVISED: dict[str, Callable[[], Any]] = {
    "PCA": lambda: classic.PCA(2),
    "KernelPCA": lambda: classic.KernelPCA(2),
    "KMeans": lambda: classic.KMeans(2, random_state=0),
    "TSNE": lambda: classic.TSNE(perplexity=5.0, max_iter=60, random_state=0),
}
ESTIMATORS = {**REGRESSORS, **CLASSIFIERS, **UNSUPERVISED}
SUPERVISED = {**REGRESSORS, **CLASSIFIERS}


def _target(name: str) -> np.ndarray | None:
    if name in REGRESSORS:
        return Y
    return LABELS if name in CLASSIFIERS else None


def _fit(name: str, x: Any, y: Any = None) -> Any:
    estimator = ESTIMATORS[name]()
    if name in UNSUPERVISED:
        return estimator.fit(x)
    return estimator.fit(x, _target(name) if y is None else y)


def _output(estimator: Any) -> np.ndarray:
    """What a fitted estimator learned, as one array."""
    for attribute in ("embedding_", "labels_", "eigenvalues_", "components_"):
        if hasattr(estimator, attribute):
            return np.asarray(getattr(estimator, attribute), dtype=float)
    if hasattr(estimator, "decision_function"):
        return np.asarray(estimator.decision_function(X), dtype=float)
    return np.asarray(estimator.predict(X), dtype=float)


def _with(array: np.ndarray, index: tuple[int, ...], value: Any) -> np.ndarray:
    copy = array.astype(object)
    copy[index] = value
    return copy


@pytest.mark.parametrize("name", ESTIMATORS)
def test_an_object_array_of_numbers_is_converted(name):
    reference = _output(_fit(name, X))
    converted = _output(_fit(name, X.astype(object)))
    np.testing.assert_allclose(converted, reference, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", REGRESSORS)
def test_an_object_target_of_numbers_is_converted(name):
    reference = _output(_fit(name, X, Y))
    converted = _output(_fit(name, X, Y.astype(object)))
    np.testing.assert_allclose(converted, reference, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_a_bool_array_is_zero_one(name):
    # TSNE and KMeans need no distinct points; a bool design only needs its 0/1 values.
    binary = np.column_stack([X[:, 0] > 0, X[:, 1] > 0.5, X[:, 2] > -0.5])
    reference = _output(_fit(name, binary.astype(float)))
    np.testing.assert_allclose(_output(_fit(name, binary)), reference, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_none_in_X_is_a_value_error_naming_X(name):
    with pytest.raises(ValueError, match=r"^X must contain only finite numbers.*None"):
        _fit(name, _with(X, (4, 1), None))


@pytest.mark.parametrize("name", SUPERVISED)
def test_none_in_y_is_a_value_error_naming_y(name):
    # Before: LinearRegression returned NaN coefficients, the classifiers a bare
    # "'<' not supported between instances".
    target = _target(name)
    with pytest.raises(ValueError, match=r"^y must .*None"):
        _fit(name, X, _with(target, (7,), None))


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("value", ["1.5", "a", b"2", 1 + 2j, [1.0], {}])
def test_a_non_number_in_X_is_a_type_error_naming_X(name, value):
    with pytest.raises(TypeError, match=r"^X must hold real numbers"):
        _fit(name, _with(X, (2, 0), value))


@pytest.mark.parametrize("name", ESTIMATORS)
def test_a_complex_or_string_X_is_a_type_error_naming_X(name):
    with pytest.raises(TypeError, match=r"^X must hold real numbers, got complex"):
        _fit(name, X + 0j)
    with pytest.raises(TypeError, match=r"^X must hold real numbers, got dtype <U"):
        _fit(name, X.astype(str))


@pytest.mark.parametrize("name", REGRESSORS)
def test_a_complex_or_string_target_is_a_type_error_naming_y(name):
    with pytest.raises(TypeError, match=r"^y must hold real numbers, got complex"):
        _fit(name, X, Y + 1j)
    with pytest.raises(TypeError, match=r"^y must hold real numbers"):
        _fit(name, X, Y.astype(str))


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_labels_of_two_kinds_or_complex_labels_are_a_type_error_naming_y(name):
    with pytest.raises(TypeError, match=r"^y must hold labels of one kind"):
        _fit(name, X, _with(LABELS, (3,), 1))
    with pytest.raises(TypeError, match=r"^y must hold .*complex"):
        _fit(name, X, (LABELS == "high") + 1j)
    numbers = _output(_fit(name, X, (LABELS == "high").astype(int).astype(object)))
    np.testing.assert_allclose(numbers, _output(_fit(name, X, (LABELS == "high").astype(int))))


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("layout", [scipy.sparse.csr_array, scipy.sparse.coo_matrix])
def test_sparse_X_is_a_type_error_saying_so(name, layout):
    with pytest.raises(TypeError, match=r"^X: sparse input is not supported"):
        _fit(name, layout(X))


@pytest.mark.parametrize("name", SUPERVISED)
def test_sparse_y_is_a_type_error_saying_so(name):
    target = _target(name)
    column = (target == "high").astype(float) if target.dtype.kind == "U" else target
    with pytest.raises(TypeError, match=r"^y: sparse input is not supported"):
        _fit(name, X, scipy.sparse.csr_array(column[:, None]))


@pytest.mark.parametrize("name", ESTIMATORS)
def test_a_ragged_X_is_a_value_error_naming_X(name):
    ragged = [list(row) for row in X]
    ragged[5] = ragged[5][:2]
    with pytest.raises(ValueError, match=r"^X must be a rectangular array"):
        _fit(name, ragged)


@pytest.mark.parametrize("name", [n for n in ESTIMATORS if n != "TSNE"])
def test_predict_and_transform_follow_the_same_rules(name):
    fitted = _fit(name, X)
    method = getattr(fitted, "predict", None) or fitted.transform
    converted, reference = method(X.astype(object)), method(X)
    if reference.dtype.kind == "U":
        np.testing.assert_array_equal(converted, reference)
    else:
        np.testing.assert_allclose(converted, reference, rtol=1e-12, atol=1e-12)
    with pytest.raises(TypeError, match=r"^X: sparse input is not supported"):
        method(scipy.sparse.csr_array(X))
    with pytest.raises(TypeError, match=r"^X must hold real numbers, got complex"):
        method(X + 0j)
    with pytest.raises(ValueError, match=r"^X must contain only finite numbers.*None"):
        method(_with(X, (0, 0), None))


@pytest.mark.parametrize("name", SUPERVISED)
def test_score_refuses_a_missing_target(name):
    fitted = _fit(name, X)
    with pytest.raises(ValueError, match=r"^y must .*None"):
        fitted.score(X, _with(_target(name), (1,), None))


@pytest.mark.parametrize(
    "call",
    [
        lambda x, y: classic.lasso_path(x, y, n_alphas=3),
        lambda x, y: classic.best_subsets(x, y),
        lambda x, y: classic.cross_val_score(classic.Ridge(), x, y, cv=3),
    ],
)
def test_the_functions_follow_the_same_rules(call):
    with pytest.raises(TypeError, match=r"^X: sparse input is not supported"):
        call(scipy.sparse.csr_array(X), Y)
    with pytest.raises(TypeError, match=r"^y: sparse input is not supported"):
        call(X, scipy.sparse.csr_array(Y[:, None]))


@pytest.mark.parametrize("metric", [classic.mean_squared_error, classic.r2_score])
def test_metrics_refuse_a_missing_value(metric):
    with pytest.raises(ValueError, match=r"^y_true must .*None"):
        metric(_with(Y, (2,), None), Y)
    with pytest.raises(ValueError, match=r"^y_pred must .*None"):
        metric(Y, _with(Y, (2,), None))
    assert metric(Y.astype(object), Y) == pytest.approx(metric(Y, Y))


def test_trustworthiness_names_the_embedding():
    with pytest.raises(TypeError, match=r"^X_embedded: sparse input is not supported"):
        classic.trustworthiness(X, scipy.sparse.csr_array(X), n_neighbors=3)


def test_the_split_names_the_sparse_array():
    with pytest.raises(TypeError, match=r"^arrays\[1\]: sparse input is not supported"):
        classic.train_validation_test_split(X, scipy.sparse.csr_array(X))


# Overflow: entries of 1e200 are finite, but their squares (X^T X, |x_i - x_j|^2, the logits of
# a unit weight) are not. A fit refuses to return numbers computed from inf or NaN.

HUGE = 1e200


@pytest.mark.parametrize("name", ESTIMATORS)
def test_an_overflow_in_fit_is_an_error_naming_the_estimator(name):
    # Before: Ridge, Lasso, PCA, KernelPCA and KMeans returned garbage or inf (inertia_,
    # dual_gap_), LinearRegression and SVC failed with scipy's or numpy's internal messages,
    # TSNE with an IndexError.
    with pytest.raises(FloatingPointError, match=rf"^{name}: .*overflowed.*rescale"):
        _fit(name, X * HUGE)


@pytest.mark.parametrize("name", ["LinearRegression", "Lasso"])
def test_an_overflow_of_the_target_is_an_error_naming_the_estimator(name):
    # sum_i (y_i - f(x_i))^2 (sigma2_, r2_) and y^T y (Lasso's stopping rule) overflow. Ridge
    # needs only X^T y, which stays finite: its coefficients of 1e200 are the right answer.
    with pytest.raises(FloatingPointError, match=rf"^{name}: .*overflowed.*rescale"):
        _fit(name, X, Y * HUGE)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda x, y: classic.lasso_path(x, y, n_alphas=3), "lasso_path"),
        (lambda x, y: classic.best_subsets(x, y), "best_subsets"),
        (lambda x, y: classic.BestSubsetRegression(2).fit(x, y), "BestSubsetRegression"),
    ],
)
def test_an_overflow_in_the_functions_is_an_error_naming_them(call, name):
    for x, y in ((X * HUGE, Y), (X, Y * HUGE)):
        with pytest.raises(FloatingPointError, match=rf"^{name}: .*overflowed.*rescale"):
            call(x, y)


@pytest.mark.parametrize("name", ["LinearRegression", "Ridge", "PCA", "KMeans", "SVC"])
def test_large_but_representable_data_still_fit(name):
    # 2^332 ~ 8.7e99 squares to ~7.6e199: no overflow, so no false alarm. A power of two makes
    # the scaling exact in floating point, so scale-equivariant fits agree by construction on
    # any processor (1e100 would round, and ties in labels could then break differently).
    scale = 2.0**332
    estimator, reference = ESTIMATORS[name](), ESTIMATORS[name]()
    if name == "Ridge":
        estimator, reference = classic.Ridge(alpha=1e-3 * scale**2), classic.Ridge(alpha=1e-3)
    if name == "LinearRegression":
        # With an intercept the design [1, X] has condition number ~1e100 and lstsq truncates
        # the intercept's direction (an ill-scaled problem, not an overflow): no intercept here.
        estimator, reference = classic.LinearRegression(False), classic.LinearRegression(False)
    target = _target(name)
    args = () if target is None else (target,)
    big, small = estimator.fit(X * scale, *args), reference.fit(X, *args)
    if name in ("LinearRegression", "Ridge"):
        np.testing.assert_allclose(big.coef_ * scale, small.coef_, rtol=1e-8)
    elif name == "PCA":
        np.testing.assert_allclose(big.components_, small.components_, atol=1e-10)
    elif name == "KMeans":
        np.testing.assert_array_equal(big.labels_, small.labels_)
    else:  # SVC with gamma="scale" is invariant to a common scale of X
        np.testing.assert_array_equal(big.predict(X * scale), small.predict(X))


def test_a_logistic_regression_that_cannot_take_a_step_says_so():
    # Features of 1e100: no overflow, but L-BFGS's first trial step overshoots and it stops at
    # the start, w = 0. Before: coef_ = 0 was returned as if fitted.
    with pytest.raises(ValueError, match=r"^LogisticRegression: .*standardize"):
        classic.LogisticRegression().fit(X * 1e100, LABELS)


def test_ridge_of_a_huge_target_is_the_scaled_answer():
    big = classic.Ridge(alpha=0.5).fit(X, Y * HUGE)
    small = classic.Ridge(alpha=0.5).fit(X, Y)
    np.testing.assert_allclose(big.coef_ / HUGE, small.coef_, rtol=1e-10)
    assert big.intercept_ / HUGE == pytest.approx(small.intercept_, rel=1e-8, abs=1e-12)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("KMeans", lambda: classic.KMeans(2, random_state=0)),
        ("TSNE", lambda: classic.TSNE(perplexity=5.0, max_iter=60, random_state=0)),
        ("SVC", lambda: classic.SVC(kernel="rbf", gamma=1.0)),
        ("KernelPCA", lambda: classic.KernelPCA(2, kernel="rbf", gamma=1.0)),
    ],
)
def test_distances_that_overflow_are_refused(name, make):
    # |x|^2 = 1e308 is finite, |x_i - x_j|^2 by the expansion |x_i|^2 - 2 x_i.x_j + |x_j|^2 is
    # not. Found by tests/test_classic_fuzz.py: KMeans fitted, then transform returned inf;
    # an rbf kernel clipped -inf to a distance of 0 (kernel 1) between points 1e147 apart.
    x = X.copy()
    x[0, 0], x[1, 0] = 1e154, 1.0000001e154
    target = () if name in ("KMeans", "TSNE", "KernelPCA") else (LABELS,)
    with pytest.raises(FloatingPointError, match=rf"^{name}: the squared distances"):
        make().fit(x, *target)


def test_tsne_of_identical_large_points_starts_at_random():
    # Found by tests/test_classic_fuzz.py: identical points of 1e16 have PCA scores of
    # rounding noise (the mean is off by an ulp), whose spread 4e-16 the PCA start divided by;
    # the float32 repulsion then divided by zero and the embedding was NaN.
    x = np.full((6, 3), 9.964984854009524e15)
    model = classic.TSNE(perplexity=2.0, max_iter=20, random_state=0).fit(x)
    assert np.all(np.isfinite(model.embedding_))
    start = classic.TSNE(perplexity=2.0, max_iter=20, init="random", random_state=0).fit(x)
    np.testing.assert_allclose(model.embedding_, start.embedding_, rtol=1e-6)
