"""Classification metrics of seed 000, §4.4: accuracy, precision, recall, specificity (4.19-4.22).

Every function takes ``(y_true, y_pred)`` in scikit-learn's order, as numpy arrays or torch
tensors. ``y_true`` holds integer class labels 0..n-1; ``y_pred`` holds labels of the same
shape, or scores/probabilities of shape (n_samples, n_classes), which are reduced to labels by
argmax. The functions therefore also serve as ``metrics`` in
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
