"""Soft-margin support vector classification (seed 000 §3.2.1): the dual problem by SMO.

The dual (eq. 3.36) is ``min_alpha 1/2 sum_ii' alpha_i alpha_i' y_i y_i' K(x_i, x_i') -
sum_i alpha_i`` subject to ``sum_i alpha_i y_i = 0`` and ``0 <= alpha_i <= C``; the classifier
is ``f(x) = sum_i alpha_i y_i K(x_i, x) + beta_0`` (eq. 3.40). The support vectors are all
points with ``alpha_i > 0`` (margin and inside-margin points alike; eqs. 3.29/3.30/3.39 write
">" where the constraints are ">=", see ERRATA). Solver: sequential minimal optimization with
the second-order working-set selection of Fan, Chen & Lin (2005), as in LIBSVM.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from labcoat.classic._base import (
    KERNELS,
    Estimator,
    check_array,
    check_features,
    check_labels,
    check_xy,
    kernel_matrix,
    resolve_gamma,
)
from labcoat.classic._checks import check_choice, check_float, check_int

_TAU = 1e-12


@dataclass(frozen=True)
class _Machine:
    """One binary machine of the one-versus-one scheme: class ``second`` is y = +1."""

    first: int
    second: int
    rows: np.ndarray
    weights: np.ndarray  # alpha_i y_i of its support vectors
    intercept: float
    n_iter: int


@dataclass(frozen=True)
class DualSolution:
    """The solution of one binary dual problem (eq. 3.36)."""

    alpha: np.ndarray
    """(m,) Lagrange multipliers, 0 <= alpha_i <= C."""
    intercept: float
    """beta_0 of eq. 3.40."""
    n_iter: int
    """SMO steps taken."""


def smo(kernel: np.ndarray, y: np.ndarray, C: float, tol: float, max_iter: int) -> DualSolution:
    """Solve the soft-margin dual (eq. 3.36) for labels y in {-1, +1} by SMO.

    Each step picks the most violating pair (i, j) and minimizes the dual exactly along
    ``alpha_i += y_i t, alpha_j -= y_j t`` (which keeps sum_i alpha_i y_i = 0), clipped to the
    box [0, C]. It stops when the KKT violation ``max_{I_up} -y G - min_{I_low} -y G`` is below
    ``tol``, G being the dual gradient.

    Args:
        kernel: (m, m) kernel matrix K(x_i, x_j).
        y: (m,) labels in {-1, +1}.
        C: the box bound (eq. 3.31's C).
        tol: stopping tolerance on the KKT violation.
        max_iter: maximum SMO steps.
    """
    y = check_array(y, "y", 1)
    m = y.shape[0]
    kernel = check_array(kernel, "kernel")
    if kernel.shape != (m, m):
        raise ValueError(
            f"kernel must be a ({m}, {m}) matrix (a row and a column per label), "
            f"got shape {kernel.shape}"
        )
    if not np.all(np.abs(y) == 1.0):
        raise ValueError(f"y must hold only -1 and +1, got {np.unique(y)}")
    C = check_float("C", C, 0.0, low_open=True)
    tol = check_float("tol", tol, 0.0, low_open=True)
    max_iter = check_int("max_iter", max_iter, 1)
    alpha = np.zeros(m)
    gradient = -np.ones(m)  # G = Q alpha - e with Q_ij = y_i y_j K_ij
    diagonal = np.diag(kernel).copy()
    positive = y > 0
    step = 0
    while step < max_iter:
        step += 1
        score = -y * gradient
        up = np.where(positive, alpha < C, alpha > 0)
        low = np.where(positive, alpha > 0, alpha < C)
        i = int(np.flatnonzero(up)[np.argmax(score[up])])
        low_scores = np.where(low, score, np.inf)
        if score[i] - low_scores.min() < tol:
            break
        b = score[i] - score  # > 0 for the candidates
        a = diagonal[i] + diagonal - 2.0 * kernel[i]
        candidates = low & (b > 0)
        gain = np.where(candidates, -(b * b) / np.maximum(a, _TAU), np.inf)
        j = int(np.argmin(gain))
        t = b[j] / max(a[j], _TAU)
        t = min(t, C - alpha[i] if y[i] > 0 else alpha[i])
        t = min(t, alpha[j] if y[j] > 0 else C - alpha[j])
        alpha[i] += y[i] * t
        alpha[j] -= y[j] * t
        gradient += t * y * (kernel[i] - kernel[j])
    return DualSolution(np.clip(alpha, 0.0, C), _intercept(alpha, y, gradient, C), step)


def _intercept(alpha: np.ndarray, y: np.ndarray, gradient: np.ndarray, C: float) -> float:
    """beta_0 from the KKT conditions (eq. 3.37): -y_i G_i on the free vectors (0 < alpha < C)."""
    score = -y * gradient
    free = (alpha > 0) & (alpha < C)
    if np.any(free):
        return float(score[free].mean())
    positive = y > 0
    up = np.where(positive, alpha < C, alpha > 0)
    low = np.where(positive, alpha > 0, alpha < C)
    upper = score[low].min() if np.any(low) else score.max()
    lower = score[up].max() if np.any(up) else score.min()
    return float((upper + lower) / 2.0)


class SVC(Estimator):
    """Soft-margin support vector classifier with linear, polynomial and RBF kernels.

    Binary problems solve the dual (eq. 3.36) once, with y = +1 for ``classes_[1]``; more
    classes are handled one-versus-one (a binary machine per pair, majority vote), as LIBSVM.

    Args:
        C: penalty on the slacks (eq. 3.31), > 0.
        kernel: "linear" x.x', "poly" (gamma x.x' + coef0)^degree, "rbf" exp(-gamma |x - x'|^2).
        degree: polynomial degree.
        gamma: kernel coefficient; "scale" = 1 / (n_features Var X), "auto" (or None) =
            1 / n_features.
        coef0: the polynomial kernel's constant.
        tol: SMO stopping tolerance on the KKT violation.
        max_iter: maximum SMO steps per binary problem.

    Attributes:
        classes_: the sorted labels.
        support_: indices of the support vectors (alpha_i > 0 in any binary machine).
        support_vectors_: those training points.
        n_support_: number of support vectors per class.
        dual_coef_: (1, n_SV) alpha_i y_i of the binary machine (two classes only).
        intercept_: beta_0 per binary machine.
        coef_: (1, n) beta_j = sum_i alpha_i y_i x_ij (eq. 3.33) for a linear kernel, two classes.
    """

    def __init__(
        self,
        C: float = 1.0,
        kernel: Literal["linear", "poly", "rbf"] = "rbf",
        degree: int = 3,
        gamma: float | Literal["scale", "auto"] = "scale",
        coef0: float = 0.0,
        tol: float = 1e-3,
        max_iter: int = 1_000_000,
    ) -> None:
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.tol = tol
        self.max_iter = max_iter

    def _kernel(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return kernel_matrix(a, b, self.kernel, self.gamma_, self.degree, self.coef0)

    def fit(self, X: np.ndarray, y: np.ndarray) -> SVC:
        """Solve the dual problem(s) on (X, y); returns self."""
        x, target = check_xy(X, y, labels=True)
        c = check_float("C", self.C, 0.0, low_open=True)
        check_choice("kernel", self.kernel, KERNELS)
        check_int("degree", self.degree, 1)
        check_float("coef0", self.coef0)
        tol = check_float("tol", self.tol, 0.0, low_open=True)
        max_iter = check_int("max_iter", self.max_iter, 1)
        self.classes_, labels = np.unique(target, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError("y must contain at least 2 classes")
        self.gamma_ = resolve_gamma(self.gamma, x)
        if self.kernel == "rbf":
            self._check_distances(x)
        kernel = self._kernel(x, x)
        self._check_overflow("the kernel matrix", kernel)
        machines: list[_Machine] = []
        used = np.zeros(x.shape[0], dtype=bool)
        for first in range(self.classes_.size):
            for second in range(first + 1, self.classes_.size):
                rows = np.flatnonzero((labels == first) | (labels == second))
                signs = np.where(labels[rows] == second, 1.0, -1.0)
                sub = kernel[np.ix_(rows, rows)]
                solution = smo(sub, signs, c, tol, max_iter)
                keep = solution.alpha > 0
                used[rows[keep]] = True
                weights = solution.alpha[keep] * signs[keep]
                machines.append(
                    _Machine(
                        first, second, rows[keep], weights, solution.intercept, solution.n_iter
                    )
                )
        self._machines = machines
        self.support_ = np.flatnonzero(used)
        self.support_vectors_ = x[self.support_]
        self.n_support_ = np.bincount(labels[self.support_], minlength=self.classes_.size)
        self.intercept_ = np.array([machine.intercept for machine in machines])
        self.n_iter_ = np.array([machine.n_iter for machine in machines])
        self._x = x
        self.n_features_in_ = x.shape[1]
        if self.classes_.size == 2:
            self.dual_coef_ = np.zeros((1, self.support_.size))
            position = np.searchsorted(self.support_, machines[0].rows)
            self.dual_coef_[0, position] = machines[0].weights
            if self.kernel == "linear":
                self.coef_ = self.dual_coef_ @ self.support_vectors_
        return self

    def _decisions(self, x: np.ndarray) -> np.ndarray:
        """(m', n_machines) values f(x) = sum_i alpha_i y_i K(x_i, x) + beta_0 (eq. 3.40)."""
        kernel = self._kernel(x, self._x[self.support_])
        out = np.empty((x.shape[0], len(self._machines)))
        for k, machine in enumerate(self._machines):
            columns = np.searchsorted(self.support_, machine.rows)
            out[:, k] = kernel[:, columns] @ machine.weights + machine.intercept
        return out

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """f(x) (eq. 3.40): (m,) for two classes (> 0 means classes_[1]), else (m, n_pairs)."""
        self._check_fitted("support_")
        values = self._decisions(check_features(X, self.n_features_in_))
        return values[:, 0] if self.classes_.size == 2 else values

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The class F(x) = sign f(x) (eq. 3.28), by majority vote over the pairs."""
        self._check_fitted("support_")
        values = self._decisions(check_features(X, self.n_features_in_))
        votes = np.zeros((values.shape[0], self.classes_.size), dtype=int)
        for k, machine in enumerate(self._machines):
            winner = np.where(values[:, k] > 0, machine.second, machine.first)
            votes[np.arange(values.shape[0]), winner] += 1
        return self.classes_[np.argmax(votes, axis=1)]

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy on (X, y)."""
        return float(np.mean(self.predict(X) == check_labels(y)))
