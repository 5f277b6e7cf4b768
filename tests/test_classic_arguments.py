"""One rule for every scalar argument of labcoat.classic (labcoat.classic._checks).

The same mistake gets the same error everywhere: a wrong type (a float for an integer, a string
for a number, a bool for anything but a flag) is a TypeError, a value out of range (NaN and inf
included) a ValueError, and both messages name the argument and its allowed range. numpy
scalars are accepted wherever Python's are.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from labcoat import classic

RNG = np.random.default_rng(0)
X = RNG.normal(size=(12, 3))
Y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * RNG.normal(size=12)
LABELS = (Y > np.median(Y)).astype(int)


def _gradient(theta: np.ndarray) -> np.ndarray:
    return 2.0 * theta


@dataclass(frozen=True)
class Case:
    """One scalar argument: how to pass it, a valid value and a value out of its range."""

    name: str
    call: Callable[[Any], Any]
    kind: str  # "int", "float" or "bool"
    valid: Any
    out_of_range: Any = None
    label: str = ""
    takes_str: bool = False  # also takes a named choice ("auto", "scale")
    takes_none: bool = False  # None is a valid value

    def __str__(self) -> str:
        return f"{self.label or self.call.__name__}-{self.name}"


def _fit(estimator_type: type, name: str, *data: Any, **fixed: Any) -> Callable[[Any], Any]:
    def call(value: Any) -> Any:
        return estimator_type(**fixed, **{name: value}).fit(*data)

    call.__name__ = estimator_type.__name__
    return call


def _function(function: Callable[..., Any], name: str, *args: Any, **fixed: Any):
    def call(value: Any) -> Any:
        return function(*args, **fixed, **{name: value})

    call.__name__ = function.__name__
    return call


KERNEL = X @ X.T
SIGNS = np.where(LABELS == 1, 1.0, -1.0)
NEIGHBOUR_DISTANCES = np.sort(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2), axis=1)[:, 1:7]


def _low_level_cases() -> list[Case]:
    """The public building blocks: seeding, Lloyd, SMO, the perplexity search."""
    rng = np.random.default_rng(0)
    probabilities = classic.conditional_probabilities
    return [
        Case(
            "n_clusters", _function(classic.kmeans_plusplus, "n_clusters", X, rng=rng), "int", 2, 13
        ),
        Case(
            "n_local_trials",
            _function(classic.kmeans_plusplus, "n_local_trials", X, 2, rng),
            "int",
            2,
            0,
            takes_none=True,
        ),
        Case("max_iter", _function(classic.lloyd, "max_iter", X, X[:2], tol=0.0), "int", 0, -1),
        Case("tol", _function(classic.lloyd, "tol", X, X[:2], max_iter=3), "float", 0.0, -1.0),
        Case(
            "C",
            _function(classic.smo, "C", KERNEL, SIGNS, tol=1e-3, max_iter=100),
            "float",
            1.0,
            0.0,
        ),
        Case(
            "tol",
            _function(classic.smo, "tol", KERNEL, SIGNS, C=1.0, max_iter=100),
            "float",
            1e-3,
            0.0,
        ),
        Case(
            "max_iter",
            _function(classic.smo, "max_iter", KERNEL, SIGNS, C=1.0, tol=1e-3),
            "int",
            10,
            0,
        ),
        Case(
            "perplexity",
            _function(probabilities, "perplexity", NEIGHBOUR_DISTANCES),
            "float",
            3.0,
            0.0,
        ),
        Case("tol", _function(probabilities, "tol", NEIGHBOUR_DISTANCES, 3.0), "float", 1e-4, 0.0),
        Case(
            "max_steps",
            _function(probabilities, "max_steps", NEIGHBOUR_DISTANCES, 3.0),
            "int",
            50,
            0,
        ),
        Case(
            "perplexity",
            _function(classic.joint_probabilities, "perplexity", X, n_neighbors=5),
            "float",
            3.0,
            0.0,
        ),
        Case(
            "n_neighbors",
            _function(classic.joint_probabilities, "n_neighbors", X, 3.0),
            "int",
            5,
            12,
        ),
    ]


def _cases() -> list[Case]:
    tsne = {"perplexity": 3.0, "max_iter": 1, "random_state": 0}
    int_cases = [
        Case("n_clusters", _fit(classic.KMeans, "n_clusters", X, max_iter=2), "int", 2, 13),
        Case("n_init", _fit(classic.KMeans, "n_init", X, n_clusters=2, max_iter=2), "int", 1, 0),
        Case("max_iter", _fit(classic.KMeans, "max_iter", X, n_clusters=2), "int", 2, 0),
        Case("n_components", _fit(classic.PCA, "n_components", X), "int", 2, 4, takes_none=True),
        Case(
            "n_components",
            _fit(classic.KernelPCA, "n_components", X),
            "int",
            2,
            13,
            takes_none=True,
        ),
        Case("degree", _fit(classic.KernelPCA, "degree", X, kernel="poly"), "int", 2, 0),
        Case("n_components", _fit(classic.TSNE, "n_components", X, **tsne), "int", 2, 0),
        Case("max_iter", _fit(classic.TSNE, "max_iter", X, perplexity=3.0), "int", 1, 0),
        Case(
            "early_exaggeration_iter",
            _fit(classic.TSNE, "early_exaggeration_iter", X, **tsne),
            "int",
            0,
            -1,
        ),
        Case(
            "n_neighbors",
            _fit(classic.TSNE, "n_neighbors", X, **tsne),
            "int",
            5,
            12,
            takes_str=True,
        ),
        Case(
            "pca_components",
            _fit(classic.TSNE, "pca_components", X, **tsne),
            "int",
            2,
            0,
            takes_none=True,
        ),
        Case("max_iter", _fit(classic.Lasso, "max_iter", X, Y), "int", 5, 0),
        Case("max_iter", _fit(classic.LogisticRegression, "max_iter", X, LABELS), "int", 5, 0),
        Case("degree", _fit(classic.SVC, "degree", X, LABELS, kernel="poly"), "int", 2, 0),
        Case("max_iter", _fit(classic.SVC, "max_iter", X, LABELS), "int", 5, 0),
        Case("n_features", _fit(classic.BestSubsetRegression, "n_features", X, Y), "int", 2, 4),
        Case("n_alphas", _function(classic.lasso_path, "n_alphas", X, Y), "int", 3, 0),
        Case("max_iter", _function(classic.lasso_path, "max_iter", X, Y), "int", 3, 0),
        Case("n_splits", classic.KFold, "int", 2, 1, label="KFold"),
        Case("cv", _function(classic.cross_val_score, "cv", classic.Ridge(), X, Y), "int", 3, 1),
        Case(
            "n_iterations",
            _function(classic.minimize, "n_iterations", _gradient, [1.0], classic.Adam()),
            "int",
            3,
            0,
        ),
        Case("n_neighbors", _function(classic.trustworthiness, "n_neighbors", X, X), "int", 2, 6),
    ]
    float_cases = [
        Case("alpha", _fit(classic.Ridge, "alpha", X, Y), "float", 0.5, -1.0),
        Case("alpha", _fit(classic.Lasso, "alpha", X, Y), "float", 0.5, -1.0),
        Case("tol", _fit(classic.Lasso, "tol", X, Y), "float", 1e-3, 0.0),
        Case("eps", _function(classic.lasso_path, "eps", X, Y), "float", 1e-2, 0.0),
        Case("tol", _function(classic.lasso_path, "tol", X, Y), "float", 1e-3, -1.0),
        Case("C", _fit(classic.LogisticRegression, "C", X, LABELS), "float", 0.5, 0.0),
        Case("tol", _fit(classic.LogisticRegression, "tol", X, LABELS), "float", 1e-4, 0.0),
        Case("C", _fit(classic.SVC, "C", X, LABELS), "float", 0.5, 0.0),
        Case("tol", _fit(classic.SVC, "tol", X, LABELS), "float", 1e-2, 0.0),
        Case(
            "gamma",
            _fit(classic.SVC, "gamma", X, LABELS),
            "float",
            0.5,
            -1.0,
            takes_str=True,
            takes_none=True,
        ),
        Case("coef0", _fit(classic.SVC, "coef0", X, LABELS, kernel="poly"), "float", 1.0),
        Case(
            "gamma",
            _fit(classic.KernelPCA, "gamma", X),
            "float",
            0.5,
            0.0,
            takes_str=True,
            takes_none=True,
        ),
        Case("coef0", _fit(classic.KernelPCA, "coef0", X, kernel="poly"), "float", 1.0),
        Case("tol", _fit(classic.KMeans, "tol", X, n_clusters=2), "float", 0.0, -1.0),
        Case("perplexity", _fit(classic.TSNE, "perplexity", X, max_iter=1), "float", 3.0, 12.0),
        Case(
            "early_exaggeration",
            _fit(classic.TSNE, "early_exaggeration", X, **tsne),
            "float",
            4.0,
            0.0,
        ),
        Case(
            "learning_rate",
            _fit(classic.TSNE, "learning_rate", X, **tsne),
            "float",
            10.0,
            0.0,
            takes_str=True,
        ),
        Case("learning_rate", classic.GradientDescent, "float", 0.1, 0.0, label="GradientDescent"),
        Case("gamma", lambda v: classic.Momentum(gamma=v), "float", 0.5, 1.0, label="Momentum"),
        Case("beta", lambda v: classic.RMSprop(beta=v), "float", 0.5, 1.0, label="RMSprop"),
        Case("epsilon", lambda v: classic.RMSprop(epsilon=v), "float", 1e-6, 0.0, label="RMSprop"),
        Case("beta1", lambda v: classic.Adam(beta1=v), "float", 0.5, 1.0, label="Adam"),
        Case("beta2", lambda v: classic.Adam(beta2=v), "float", 0.5, -0.1, label="Adam"),
        Case(
            "learning_rate",
            lambda v: classic.Newton(lambda t: np.eye(1), learning_rate=v),
            "float",
            1.0,
            0.0,
            label="Newton",
        ),
        Case(
            "tolerance",
            _function(classic.minimize, "tolerance", _gradient, [1.0], classic.Adam()),
            "float",
            1e-3,
            -1.0,
        ),
        Case(
            "test_size",
            _function(classic.train_validation_test_split, "test_size", X),
            "float",
            0.2,
            1.0,
        ),
        Case(
            "validation_size",
            _function(classic.train_validation_test_split, "validation_size", X),
            "float",
            0.2,
            -0.1,
        ),
    ]
    bool_cases = [
        Case("fit_intercept", _fit(estimator, "fit_intercept", X, y), "bool", False)
        for estimator, y in (
            (classic.LinearRegression, Y),
            (classic.Ridge, Y),
            (classic.Lasso, Y),
            (classic.BestSubsetRegression, Y),
            (classic.LeastSquaresClassifier, LABELS),
            (classic.LogisticRegression, LABELS),
        )
    ] + [
        Case("penalize_intercept", _fit(classic.Ridge, "penalize_intercept", X, Y), "bool", True),
        Case("penalize_intercept", _fit(classic.Lasso, "penalize_intercept", X, Y), "bool", True),
        Case("fit_intercept", _function(classic.best_subsets, "fit_intercept", X, Y), "bool", True),
        Case("shuffle", lambda v: classic.KFold(2, shuffle=v), "bool", True, label="KFold"),
        Case(
            "shuffle",
            _function(classic.train_validation_test_split, "shuffle", X),
            "bool",
            False,
        ),
        Case("scaled", _function(classic.load_diabetes, "scaled"), "bool", False),
    ]
    return int_cases + float_cases + bool_cases + _low_level_cases()


CASES = _cases()
RANGED = [case for case in CASES if case.out_of_range is not None]


def _wrong_types(case: Case) -> list[Any]:
    values: list[Any] = {
        "int": [2.5, float(case.valid), str(case.valid), True, None],
        "float": [str(case.valid), True, None, 1j, [case.valid]],
        "bool": ["no", 1, 0.0, None],
    }[case.kind]
    # A string naming no choice is a ValueError there (see the choices test below).
    return [
        v
        for v in values
        if not (case.takes_str and isinstance(v, str)) and not (case.takes_none and v is None)
    ]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_valid_value_and_its_numpy_twin_are_accepted(case):
    case.call(case.valid)
    twin = {"int": np.int64, "float": np.float32, "bool": np.bool_}[case.kind]
    case.call(twin(case.valid))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_wrong_type_is_a_type_error_naming_the_argument(case):
    for value in _wrong_types(case):
        with pytest.raises(TypeError, match=rf"^{case.name} must be"):
            case.call(value)


@pytest.mark.parametrize("case", [case for case in CASES if case.kind == "float"], ids=str)
def test_nan_and_inf_are_value_errors_naming_the_argument(case):
    for value in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match=rf"^{case.name} must be a finite number"):
            case.call(value)


@pytest.mark.parametrize("case", RANGED, ids=str)
def test_a_value_out_of_range_is_a_value_error_stating_the_range(case):
    with pytest.raises(ValueError, match=rf"^{case.name} must be .*(>|<|\[|\()") as error:
        case.call(case.out_of_range)
    assert repr(case.out_of_range) in str(error.value)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda v: classic.Ridge(loss=v).fit(X, Y), "loss"),
        (lambda v: classic.rss_penalty(1.0, v, 10), "loss"),
        (lambda v: classic.KMeans(2, init=v).fit(X), "init"),
        (lambda v: classic.KernelPCA(kernel=v).fit(X), "kernel"),
        (lambda v: classic.SVC(kernel=v).fit(X, LABELS), "kernel"),
        (lambda v: classic.SVC(gamma=v).fit(X, LABELS), "gamma"),
        (lambda v: classic.LogisticRegression(penalty=v).fit(X, LABELS), "penalty"),
        (lambda v: classic.TSNE(init=v, perplexity=3.0).fit(X), "init"),
        (lambda v: classic.TSNE(dtype=v, perplexity=3.0).fit(X), "dtype"),
        (lambda v: classic.TSNE(learning_rate=v, perplexity=3.0).fit(X), "learning_rate"),
        (lambda v: classic.TSNE(n_neighbors=v, perplexity=3.0).fit(X), "n_neighbors"),
        (lambda v: classic.cross_val_score(classic.Ridge(), X, Y, cv=2, metric=v), "metric"),
    ],
)
def test_an_unknown_choice_is_a_value_error_listing_the_choices(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must be one of .*, got 'bogus'"):
        call("bogus")


def test_a_negative_seed_is_a_value_error_naming_random_state():
    with pytest.raises(ValueError, match="random_state must be"):
        classic.KMeans(2, random_state=-1).fit(X)
    with pytest.raises(TypeError, match="random_state must be"):
        classic.KMeans(2, random_state=1.5).fit(X)
    first = classic.KMeans(2, random_state=np.int64(3)).fit(X)
    second = classic.KMeans(2, random_state=3).fit(X)
    np.testing.assert_allclose(first.cluster_centers_, second.cluster_centers_)


def test_the_building_blocks_refuse_arrays_that_do_not_fit():
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        classic.kmeans_plusplus(X, 2, 0)
    with pytest.raises(ValueError, match=r"^centres must have shape \(k, 3\)"):
        classic.lloyd(X, X[:2, :2], 3, 0.0)
    with pytest.raises(ValueError, match=r"^kernel must be a \(12, 12\) matrix"):
        classic.smo(KERNEL[:5], SIGNS, 1.0, 1e-3, 10)
    with pytest.raises(ValueError, match=r"^y must hold only -1 and \+1"):
        classic.smo(KERNEL, LABELS.astype(float), 1.0, 1e-3, 10)
    with pytest.raises(ValueError, match=r"^distances must contain only finite"):
        classic.conditional_probabilities(np.full((3, 2), np.nan), 1.5)
    with pytest.raises(TypeError, match=r"^x0 must be real"):
        classic.minimize(_gradient, [1.0 + 1j], classic.Adam())


def test_minimize_stops_when_the_optimizer_diverges():
    # theta <- theta - 10 * 2 theta = -19 theta: |theta| overflows after about 240 steps.
    # Before: the path ran on through inf and NaN and came back as a result.
    with pytest.raises(FloatingPointError, match=r"^minimize: .* step \d+.*learning rate"):
        classic.minimize(_gradient, [1.0], classic.GradientDescent(10.0), n_iterations=1000)
    result = classic.minimize(_gradient, [1.0], classic.GradientDescent(0.1), n_iterations=50)
    assert np.all(np.isfinite(result.path))
