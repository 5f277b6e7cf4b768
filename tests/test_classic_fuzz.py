"""Property-based fuzzing of every classic estimator with strange arrays (hypothesis).

Inputs (300 per run; 4,000 tried once, none failing): 1-14 rows, 1-4 columns, entries anywhere
in float64 (0, subnormals, 1e300, NaN, inf), as float, int, bool or object arrays (with None),
the targets likewise. The property: a fit
either returns fitted attributes that are all finite, or refuses with a ValueError, TypeError
or FloatingPointError whose message starts with what it refuses (X, y, an argument, or the
estimator for an overflow). Anything else (an IndexError, a LinAlgError, a NaN coefficient)
is a failure.
"""

import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from labcoat import classic

ESTIMATORS: dict[str, tuple[Callable[[], Any], str]] = {
    "LinearRegression": (classic.LinearRegression, "regressor"),
    "Ridge": (classic.Ridge, "regressor"),
    "Lasso": (lambda: classic.Lasso(alpha=0.1, max_iter=50), "regressor"),
    "BestSubsetRegression": (lambda: classic.BestSubsetRegression(1), "regressor"),
    "LeastSquaresClassifier": (classic.LeastSquaresClassifier, "classifier"),
    "LogisticRegression": (lambda: classic.LogisticRegression(max_iter=50), "classifier"),
    "SVC": (lambda: classic.SVC(max_iter=2000), "classifier"),
    "PCA": (classic.PCA, "unsupervised"),
    "KernelPCA": (lambda: classic.KernelPCA(kernel="rbf"), "unsupervised"),
    "KMeans": (lambda: classic.KMeans(2, max_iter=20, random_state=0), "unsupervised"),
    "TSNE": (lambda: classic.TSNE(perplexity=2.0, max_iter=20, random_state=0), "unsupervised"),
}
# What a refusal may name first: the arrays, the estimator, or an argument whose range depends
# on the data (n_clusters <= n_samples, perplexity < n_samples, ...).
REFUSAL = re.compile(
    r"^(X|y|X_embedded|" + "|".join(ESTIMATORS) + r"|n_clusters|n_components|n_features|"
    r"perplexity|n_neighbors)( must |: | has )"
)
# Attributes that are NaN by definition in a degenerate fit (documented): no residual degrees
# of freedom for sigma^2, no variance of y for R^2.
MAY_BE_NAN = {"sigma2_", "covariance_", "standard_errors_", "r2_"}

ENTRIES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, -1.0, 1e300, -1e300, 1e-310, 1e154, 1e200]),
)


@st.composite
def arrays(draw: st.DrawFn, shape: tuple[int, ...]) -> Any:
    """An array of the given shape in one of the dtypes a user may pass."""
    values = draw(hnp.arrays(np.float64, shape, elements=ENTRIES))
    kind = draw(st.sampled_from(["float", "float", "int", "bool", "object", "object_none"]))
    if kind == "int":
        return np.nan_to_num(values, posinf=7, neginf=-7).clip(-1e6, 1e6).astype(np.int64)
    if kind == "bool":
        return values > 0
    if kind.startswith("object"):
        array = values.astype(object)
        if kind == "object_none":
            array.flat[draw(st.integers(0, array.size - 1))] = None
        return array
    return values


@st.composite
def problems(draw: st.DrawFn) -> tuple[str, Any, Any]:
    """An estimator name, X and y (None for unsupervised estimators)."""
    name = draw(st.sampled_from(sorted(ESTIMATORS)))
    m, n = draw(st.integers(1, 14)), draw(st.integers(1, 4))
    x = draw(arrays((m, n)))
    kind = ESTIMATORS[name][1]
    if kind == "regressor":
        return name, x, draw(arrays((m,)))
    if kind == "classifier":
        return name, x, draw(hnp.arrays(np.int64, (m,), elements=st.integers(0, 2)))
    return name, x, None


def _fitted_arrays(estimator: Any) -> dict[str, np.ndarray]:
    found = {}
    for key, value in vars(estimator).items():
        if key.endswith("_") and not key.startswith("_") and key not in MAY_BE_NAN:
            array = np.asarray(value)
            if array.dtype.kind in "fc":
                found[key] = array
    return found


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(problems())
def test_a_fit_is_finite_or_a_clear_refusal(problem):
    name, x, y = problem
    estimator = ESTIMATORS[name][0]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's overflow notes; we raise
        try:
            estimator.fit(x) if y is None else estimator.fit(x, y)
        except (ValueError, TypeError, FloatingPointError) as error:
            assert REFUSAL.match(str(error)), f"{name}: unclear refusal {error!r}"
            return
    for key, value in _fitted_arrays(estimator).items():
        assert np.all(np.isfinite(value)), f"{name}.{key} is not finite: {value}"
    kind = ESTIMATORS[name][1]
    method_name = {"regressor": "predict", "classifier": "decision_function"}.get(kind, "transform")
    method = getattr(estimator, method_name, None)
    if method is not None:  # TSNE has no transform
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            output = np.asarray(method(x), dtype=float)
        assert np.all(np.isfinite(output)), f"{name}: {method.__name__} of the training X: {output}"


@pytest.mark.parametrize("name", ESTIMATORS)
def test_the_fuzzer_reaches_every_estimator_with_valid_data(name):
    # The property above must not pass by refusing everything: plain data fits.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(14, 3))
    y = (x[:, 0] > 0).astype(int) if ESTIMATORS[name][1] == "classifier" else x[:, 1]
    estimator = ESTIMATORS[name][0]()
    estimator.fit(x) if ESTIMATORS[name][1] == "unsupervised" else estimator.fit(x, y)
    assert _fitted_arrays(estimator)
    assert all(np.all(np.isfinite(v)) for v in _fitted_arrays(estimator).values())
