"""Metrics: classification (seed 000, §4.4, eqs. 4.19-4.22) and the Fréchet distance.

The Fréchet distance between two sets of features measures a generative model's samples.

Every classification function takes ``(y_true, y_pred)`` in scikit-learn's order, as numpy
arrays or torch tensors. ``y_true`` holds integer class labels 0..n-1; ``y_pred`` holds labels
of the same shape, or scores/probabilities of shape (n_samples, n_classes), which are reduced
to labels by argmax. The functions therefore also serve as ``metrics`` in
:func:`labcoat.models.training.fit`, which passes ``(targets, outputs)``.

Binary measures (4.20-4.22) count one class as "positive" (``positive_label``, default 1);
``average="macro"`` averages the one-vs-rest value of every class and ``average=None`` returns
them all. A ratio whose denominator is zero is reported as 0.0 (scikit-learn's default).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch

from labcoat.classic._checks import check_choice, check_int

__all__ = [
    "accuracy",
    "confusion_matrix",
    "frechet_distance",
    "gaussian_frechet_distance",
    "precision",
    "recall",
    "specificity",
]

Average = Literal["binary", "macro"] | None


def _labels(values: Any, argument: str) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.ndim == 2:
        array = array.argmax(axis=1)
    if array.ndim != 1:
        raise ValueError(f"{argument} must be 1-D labels or 2-D scores, got shape {array.shape}")
    if array.size and (not np.issubdtype(array.dtype, np.integer) or array.min() < 0):
        raise ValueError(f"{argument} must hold integer class labels >= 0")
    return array.astype(np.int64)


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    true, pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if true.shape != pred.shape or true.size == 0:
        raise ValueError(
            f"y_true and y_pred must be non-empty and of equal length, got {true.size} "
            f"and {pred.size}"
        )
    return true, pred


def confusion_matrix(y_true: Any, y_pred: Any, n_classes: int | None = None) -> np.ndarray:
    """C[i, j] = number of samples of true class i predicted as class j (rows: truth).

    Args:
        y_true: true labels.
        y_pred: predicted labels or scores.
        n_classes: size of the matrix; default ``max(label) + 1`` over both arguments.

    Returns:
        An int64 array of shape (n_classes, n_classes).
    """
    true, pred = _pair(y_true, y_pred)
    size = int(max(true.max(), pred.max())) + 1 if n_classes is None else n_classes
    size = check_int("n_classes", size, 1)
    if max(true.max(), pred.max()) >= size:
        raise ValueError(f"n_classes must exceed every label, got {n_classes}")
    return np.bincount(true * size + pred, minlength=size * size).reshape(size, size)


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Correct predictions / total predictions (eq. 4.19)."""
    true, pred = _pair(y_true, y_pred)
    return float(np.mean(true == pred))


def _counts(y_true: Any, y_pred: Any, positive_label: int) -> dict[str, np.ndarray]:
    """One-vs-rest true/false positives/negatives of every class (and of ``positive_label``)."""
    true, pred = _pair(y_true, y_pred)
    positive_label = check_int("positive_label", positive_label, 0)
    size = max(int(true.max()), int(pred.max()), positive_label) + 1
    matrix = confusion_matrix(true, pred, n_classes=size)
    tp = np.diag(matrix)
    fp = matrix.sum(axis=0) - tp
    fn = matrix.sum(axis=1) - tp
    tn = matrix.sum() - tp - fp - fn
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn}


def _ratio(
    numerator: np.ndarray, denominator: np.ndarray, average: Average, positive_label: int
) -> float | np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(denominator > 0, numerator / np.maximum(denominator, 1), 0.0)
    if check_choice("average", average, ("binary", "macro", None)) is None:
        return values
    if average == "macro":
        return float(values.mean())
    return float(values[positive_label])


def precision(
    y_true: Any, y_pred: Any, *, average: Average = "binary", positive_label: int = 1
) -> float | np.ndarray:
    """True positives / (true positives + false positives) (eq. 4.20)."""
    c = _counts(y_true, y_pred, positive_label if average == "binary" else 0)
    return _ratio(c["tp"], c["tp"] + c["fp"], average, positive_label)


def recall(
    y_true: Any, y_pred: Any, *, average: Average = "binary", positive_label: int = 1
) -> float | np.ndarray:
    """True positives / (true positives + false negatives) (eq. 4.21; the sensitivity)."""
    c = _counts(y_true, y_pred, positive_label if average == "binary" else 0)
    return _ratio(c["tp"], c["tp"] + c["fn"], average, positive_label)


def specificity(
    y_true: Any, y_pred: Any, *, average: Average = "binary", positive_label: int = 1
) -> float | np.ndarray:
    """True negatives / (true negatives + false positives) (eq. 4.22)."""
    c = _counts(y_true, y_pred, positive_label if average == "binary" else 0)
    return _ratio(c["tn"], c["tn"] + c["fp"], average, positive_label)


def _symmetric_sqrt(matrix: np.ndarray) -> np.ndarray:
    """The PSD square root of a symmetric matrix (eigenvalues clipped at 0)."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def gaussian_frechet_distance(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any) -> float:
    """Squared Fréchet (2-Wasserstein) distance between N(μ₁, Σ₁) and N(μ₂, Σ₂).

    d² = |μ₁ - μ₂|² + tr Σ₁ + tr Σ₂ - 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½ (Dowson and Landau 1982; the
    "FID" of Heusel et al. 2017 in another feature space). The matrix root is taken of the
    symmetric PSD matrix Σ₁^½ Σ₂ Σ₁^½ by eigendecomposition, so the result is real; tiny
    negative round-off is clipped to 0.

    Args:
        mu1: μ₁, shape (d,).
        sigma1: Σ₁, symmetric positive semi-definite, shape (d, d).
        mu2: μ₂, shape (d,).
        sigma2: Σ₂, symmetric positive semi-definite, shape (d, d).
    """
    mu1, mu2 = np.asarray(mu1, dtype=float), np.asarray(mu2, dtype=float)
    sigma1, sigma2 = np.asarray(sigma1, dtype=float), np.asarray(sigma2, dtype=float)
    d = mu1.shape[0] if mu1.ndim == 1 else -1
    for name, value, shape in (
        ("mu2", mu2, (d,)),
        ("sigma1", sigma1, (d, d)),
        ("sigma2", sigma2, (d, d)),
    ):
        if d < 1 or value.shape != shape:
            raise ValueError(f"{name} must have shape {shape} to match mu1 (shape (d,))")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{name} must be finite")
    root1 = _symmetric_sqrt(sigma1)
    cross = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    trace_root = np.sqrt(np.clip(cross, 0.0, None)).sum()
    value = ((mu1 - mu2) ** 2).sum() + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_root
    return float(max(value, 0.0))


def frechet_distance(features1: Any, features2: Any) -> float:
    """Fréchet distance between two samples of feature vectors, each fitted by a Gaussian.

    The means and (unbiased, ``np.cov``) covariances of the rows of each sample go into
    :func:`gaussian_frechet_distance`. It is biased upwards for finite samples, so compare
    values computed with equal sample sizes.

    Args:
        features1: the first sample, shape (n1, d), n1 ≥ 2.
        features2: the second sample, shape (n2, d), n2 ≥ 2.
    """
    arrays = []
    for name, features in (("features1", features1), ("features2", features2)):
        if isinstance(features, torch.Tensor):
            features = features.detach().cpu().numpy()
        array = np.asarray(features, dtype=float)
        if array.ndim != 2 or len(array) < 2:
            raise ValueError(f"{name} must have shape (n >= 2, d), got {array.shape}")
        arrays.append(array)
    if arrays[0].shape[1] != arrays[1].shape[1]:
        raise ValueError(
            f"features1 and features2 must have the same width, got {arrays[0].shape[1]} "
            f"and {arrays[1].shape[1]}"
        )
    moments = [(a.mean(axis=0), np.atleast_2d(np.cov(a, rowvar=False))) for a in arrays]
    return gaussian_frechet_distance(*moments[0], *moments[1])
