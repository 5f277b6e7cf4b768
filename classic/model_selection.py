"""Model selection following the notes' workflow (seed 000 Box 1; seed 001 "Cross-validation").

Box 1: split the data into training, validation and test sets (70:15:15 is common); for each
hyperparameter value train on the training set and measure the validation error (eq. 3.24);
keep the value of smallest validation error; report the test error (eq. 3.25) once.
:func:`train_validation_test_split` and :func:`validation_curve` implement it; :class:`KFold`
and :func:`cross_val_score` are the k-fold version, which uses every point for validation once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

import numpy as np

from labcoat.classic._base import Estimator, check_array, clone, make_rng, refuse_sparse
from labcoat.classic._checks import check_bool, check_choice, check_float, check_int


def mean_squared_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """MSE = (1/|V|) sum_{j in V} (y_j - f(x_j))^2 (eqs. 3.24-3.25)."""
    true, pred = check_array(y_true, "y_true", (1, 2)), check_array(y_pred, "y_pred", (1, 2))
    if true.shape != pred.shape:
        raise ValueError(f"y_true and y_pred must have one shape, got {true.shape}, {pred.shape}")
    return float(np.mean((true - pred) ** 2))


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination R^2 = 1 - RSS / sum_j (y_j - mean y)^2."""
    true = check_array(y_true, "y_true", (1, 2))
    rss = mean_squared_error(true, y_pred) * true.size
    return float(1.0 - rss / np.sum((true - true.mean()) ** 2))


def accuracy_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The fraction of predictions equal to the labels."""
    true, pred = np.asarray(y_true), np.asarray(y_pred)
    if true.shape != pred.shape:
        raise ValueError(f"y_true and y_pred must have one shape, got {true.shape}, {pred.shape}")
    return float(np.mean(true == pred))


_METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "mse": mean_squared_error,
    "r2": r2_score,
    "accuracy": accuracy_score,
}


def _metric(name: str) -> Callable[[np.ndarray, np.ndarray], float]:
    return _METRICS[check_choice("metric", name, tuple(_METRICS))]


def train_validation_test_split(
    *arrays: np.ndarray,
    validation_size: float = 0.15,
    test_size: float = 0.15,
    shuffle: bool = True,
    random_state: int | np.random.Generator | None = None,
) -> list[np.ndarray]:
    """Split arrays (same first dimension) into training, validation and test parts (Box 1 step 1).

    The validation and test parts get ``round(size * m)`` rows each, the training part the rest.

    Returns:
        ``[a_train, a_validation, a_test, b_train, ...]`` for the arrays ``a, b, ...``.
    """
    if not arrays:
        raise ValueError("at least one array is required")
    for index, array in enumerate(arrays):
        refuse_sparse(f"arrays[{index}]", array)
    m = len(arrays[0])
    if any(len(a) != m for a in arrays):
        raise ValueError(f"all arrays must have {m} rows, got {[len(a) for a in arrays]}")
    validation_size = check_float("validation_size", validation_size, 0.0, 1.0, high_open=True)
    test_size = check_float("test_size", test_size, 0.0, 1.0, high_open=True)
    check_bool("shuffle", shuffle)
    n_validation, n_test = round(validation_size * m), round(test_size * m)
    if n_validation + n_test >= m:
        raise ValueError(f"validation_size + test_size leave no training rows out of {m}")
    order = make_rng(random_state).permutation(m) if shuffle else np.arange(m)
    parts = np.split(order, [m - n_validation - n_test, m - n_test])
    return [np.asarray(a)[p] for a in arrays for p in parts]


class KFold:
    """k-fold cross-validation indices: the data in k consecutive folds, each the test set once.

    The first ``m % k`` folds have ``m // k + 1`` rows, the others ``m // k`` (scikit-learn's
    split). ``shuffle`` permutes the rows first with ``random_state``.
    """

    def __init__(
        self,
        n_splits: int = 5,
        shuffle: bool = False,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_splits = check_int("n_splits", n_splits, 2)
        self.shuffle = check_bool("shuffle", shuffle)
        self.random_state = random_state

    def split(self, X: Sequence[Any] | np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (train_indices, test_indices) for each fold."""
        m = len(X)
        if self.n_splits > m:
            raise ValueError(f"n_splits must be <= n_samples = {m}, got {self.n_splits}")
        order = make_rng(self.random_state).permutation(m) if self.shuffle else np.arange(m)
        sizes = np.full(self.n_splits, m // self.n_splits)
        sizes[: m % self.n_splits] += 1
        start = 0
        for size in sizes:
            test = order[start : start + size]
            train = np.concatenate([order[:start], order[start + size :]])
            start += size
            yield train, test


def cross_val_score(
    estimator: Estimator,
    X: np.ndarray,
    y: np.ndarray,
    cv: int | KFold = 5,
    metric: Literal["mse", "r2", "accuracy"] = "mse",
) -> np.ndarray:
    """Fit a fresh copy of ``estimator`` on each k-fold training part and score its test fold.

    Returns:
        (k,) the metric on each held-out fold (for "mse" lower is better).
    """
    folds = cv if isinstance(cv, KFold) else KFold(check_int("cv", cv, 2))
    score = _metric(metric)
    refuse_sparse("X", X)
    refuse_sparse("y", y)
    x, target = np.asarray(X), np.asarray(y)
    results = []
    for train, test in folds.split(x):
        model = clone(estimator).fit(x[train], target[train])  # type: ignore[attr-defined]
        results.append(score(target[test], model.predict(x[test])))
    return np.array(results)


def validation_curve(
    estimator: Estimator,
    parameter: str,
    values: Sequence[Any],
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_validation: np.ndarray,
    y_validation: np.ndarray,
    metric: Literal["mse", "r2", "accuracy"] = "mse",
) -> tuple[np.ndarray, np.ndarray]:
    """Box 1 steps 2-5: for each hyperparameter value, train and measure both errors.

    Returns:
        the training and the validation metric (eq. 3.24) for each value, (len(values),) each.
    """
    score = _metric(metric)
    train_scores, validation_scores = [], []
    for value in values:
        model = clone(estimator).set_params(**{parameter: value})
        model.fit(X_train, y_train)  # type: ignore[attr-defined]
        train_scores.append(score(y_train, model.predict(X_train)))  # type: ignore[attr-defined]
        validation_scores.append(score(y_validation, model.predict(X_validation)))  # type: ignore[attr-defined]
    return np.array(train_scores), np.array(validation_scores)
