"""Small classic datasets shipped with labcoat: iris, digits and diabetes (offline, numpy only).

The files ``iris.npz``, ``digits.npz`` and ``diabetes.npz`` next to this module were made once
from scikit-learn's bundled copies by ``benchmarks/make_datasets.py``; labcoat reads them with
:mod:`importlib.resources` and never imports scikit-learn. Each loader returns ``(X, y)``: a
float64 design matrix of shape (n_samples, n_features) and the targets.

Sources: iris, R. A. Fisher (1936); digits, the UCI "Optical Recognition of Handwritten Digits"
test set (8 x 8 images, pixel values 0..16); diabetes, Efron, Hastie, Johnstone and Tibshirani
(2004), "Least Angle Regression".
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from labcoat.classic._checks import check_bool

IRIS_FEATURE_NAMES = (
    "sepal length (cm)",
    "sepal width (cm)",
    "petal length (cm)",
    "petal width (cm)",
)
"""Column names of :func:`load_iris`'s ``X``."""
IRIS_TARGET_NAMES = ("setosa", "versicolor", "virginica")
"""Species names of :func:`load_iris`'s labels 0, 1, 2."""
DIABETES_FEATURE_NAMES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
"""Column names of :func:`load_diabetes`'s ``X`` (s1..s6: six blood serum measurements)."""


def _load(name: str) -> dict[str, np.ndarray]:
    with resources.files("labcoat.classic").joinpath(f"{name}.npz").open("rb") as handle:
        with np.load(handle) as archive:
            return {key: archive[key] for key in ("X", "y")}


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """Fisher's iris flowers: 150 samples, 4 measurements (cm), 3 species.

    Returns:
        ``X`` of shape (150, 4), float64, and ``y`` of shape (150,), int64 labels 0..2 (see
        :data:`IRIS_TARGET_NAMES`).
    """
    data = _load("iris")
    return data["X"].astype(np.float64), data["y"].astype(np.int64)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """Handwritten digits: 1,797 grey-scale 8 x 8 images with pixel values 0..16.

    Returns:
        ``X`` of shape (1797, 64), float64 (row-major 8 x 8 images; ``X.reshape(-1, 8, 8)``
        recovers them), and ``y`` of shape (1797,), int64 digit labels 0..9.
    """
    data = _load("digits")
    return data["X"].astype(np.float64), data["y"].astype(np.int64)


def load_diabetes(scaled: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Diabetes progression: 442 patients, 10 baseline variables, a one-year progression score.

    Args:
        scaled: if True (scikit-learn's default), every column is centred and scaled so that
            its sum of squares is 1, ``x_j <- (x_j - mean) / (std * sqrt(n))``; if False, the
            raw measurements (age in years, sex coded 1/2, ...).

    Returns:
        ``X`` of shape (442, 10), float64 (columns :data:`DIABETES_FEATURE_NAMES`), and ``y``
        of shape (442,), float64 (a quantitative measure of disease progression, 25..346).
    """
    check_bool("scaled", scaled)
    data = _load("diabetes")
    x, y = data["X"].astype(np.float64), data["y"].astype(np.float64)
    if scaled:
        x = (x - x.mean(axis=0)) / (x.std(axis=0) * np.sqrt(x.shape[0]))
    return x, y
