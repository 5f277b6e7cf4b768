"""Principal component analysis (seed 000 §2.1, Algorithm 1) and kernel PCA (§2.2).

Solvers: an eigendecomposition of the (unnormalized) covariance matrix ``C = X^T X`` of the
centred data (eq. 2.2) for :class:`PCA`; of the centred kernel matrix (eq. 2.12) for
:class:`KernelPCA`. Signs: each component's entry of largest magnitude is made positive, so
results are deterministic (eigenvectors are only defined up to sign).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.linalg

from labcoat.classic._base import (
    KERNELS,
    Estimator,
    check_array,
    check_features,
    kernel_matrix,
    resolve_gamma,
)
from labcoat.classic._checks import check_choice, check_float, check_int


def _flip_signs(vectors: np.ndarray, axis: int) -> np.ndarray:
    """Make the entry of largest magnitude of each vector (along ``axis``) positive."""
    index = np.argmax(np.abs(vectors), axis=axis)
    largest = np.take_along_axis(vectors, np.expand_dims(index, axis), axis)
    return vectors * np.where(largest < 0, -1.0, 1.0)


def _top_eigh(matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k largest eigenvalues (descending) and eigenvectors (columns) of a symmetric matrix."""
    n = matrix.shape[0]
    subset = None if k == n else (n - k, n - 1)
    values, vectors = scipy.linalg.eigh(
        matrix, subset_by_index=subset, overwrite_a=True, check_finite=False, driver="evr"
    )
    return values[::-1], vectors[:, ::-1]


class PCA(Estimator):
    """Principal component analysis by diagonalizing ``X^T X`` (seed 000 Algorithm 1).

    1. Centre each column, ``x_i -> x_i - (1/m) sum_i x_i`` (eq. 2.1).
    2. Form ``C = X^T X`` (eq. 2.2) and diagonalize ``C = W Lambda W^T``.
    3. Keep the ``l`` largest eigenvalues and their eigenvectors ``W~`` and project,
       ``X~ = X W~`` (eq. 2.3).

    ``explained_variance_ = lambda / (m - 1)`` (the sample variance along each component, as in
    scikit-learn) and ``explained_variance_ratio_ = lambda / sum(all lambda)``.

    Args:
        n_components: number of components ``l`` to keep (default: all ``n`` features).

    Attributes:
        components_: (l, n) array, the principal axes ``W~^T`` (rows are unit vectors).
        explained_variance_: (l,) variance of the data along each component.
        explained_variance_ratio_: (l,) fraction of the total variance per component.
        mean_: (n,) column means removed in step 1.
        n_components_: ``l``.
    """

    def __init__(self, n_components: int | None = None) -> None:
        self.n_components = n_components

    def fit(self, X: np.ndarray, y: None = None) -> PCA:
        """Diagonalize the covariance matrix of ``X`` (m samples x n features); returns self."""
        x = check_array(X)
        m, n = x.shape
        if m < 2:
            raise ValueError(f"X must have at least 2 samples, got {m}")
        k = n if self.n_components is None else check_int("n_components", self.n_components, 1, n)
        self.mean_ = x.mean(axis=0)
        centred = x - self.mean_
        covariance = centred.T @ centred  # eq. 2.2, (n, n)
        self._check_overflow("the covariance X^T X", covariance)
        total = float(np.trace(covariance))
        values, vectors = _top_eigh(covariance, k)
        # Finite entries can still sum (trace) or diagonalize to more than float64 holds.
        self._check_overflow("the total variance or the eigenvalues of X^T X", total, values)
        values = np.maximum(values, 0.0)
        self.components_ = _flip_signs(vectors.T, axis=1)
        self.explained_variance_ = values / (m - 1)
        self.explained_variance_ratio_ = values / total if total > 0 else np.zeros(k)
        self.n_components_ = k
        self.n_features_in_ = n
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Project onto the components: ``(X - mean_) W~`` (eq. 2.3), shape (m, l)."""
        self._check_fitted("components_")
        x = check_features(X, self.n_features_in_)
        return (x - self.mean_) @ self.components_.T

    def fit_transform(self, X: np.ndarray, y: None = None) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """Map projections back to feature space: ``X~ W~^T + mean_`` (exact if l = n)."""
        self._check_fitted("components_")
        scores = check_features(X, self.n_components_)
        return scores @ self.components_ + self.mean_


class KernelPCA(Estimator):
    """Kernel PCA (seed 000 §2.2): PCA of ``Phi(x)`` through the kernel ``K(x, y) = Phi(x).Phi(y)``.

    The eigenvectors ``v_j = sum_l a_jl Phi(x_l)`` (eq. 2.9; eq. 2.10 corrected to the form of
    eq. 2.11, see ERRATA) solve ``K a_j = lambda_j a_j`` (eq. 2.12), where ``K`` is the kernel
    matrix of the *centred* features, ``K~ = K - 1K - K1 + 1K1`` with ``1`` the m x m matrix of
    entries 1/m (eq. 2.6 assumed centred data silently). With ``|v_j| = 1``, i.e.
    ``a_j = u_j / sqrt(lambda_j)`` for unit eigenvectors ``u_j``, the projection of a point is
    ``y_j(x) = sum_i a_ji K~(x_i, x)`` (eq. 2.13); for the training points it is
    ``sqrt(lambda_j) u_j``.

    Kernels: ``"linear"`` x.y; ``"poly"`` (gamma x.y + coef0)^degree (eq. 2.14 with gamma = 1,
    c = coef0, d = degree); ``"rbf"`` exp(-gamma |x - y|^2) (eq. 2.15).

    Args:
        n_components: number of components (default: all with a positive eigenvalue).
        kernel: "linear", "poly" or "rbf".
        gamma: kernel coefficient (default 1 / n_features, as scikit-learn).
        degree: polynomial degree.
        coef0: the polynomial kernel's constant c.

    Attributes:
        eigenvalues_: (l,) eigenvalues of the centred kernel matrix, descending.
        eigenvectors_: (m, l) unit eigenvectors u_j.
        X_fit_: the training data (needed to evaluate the kernel on new points).
    """

    def __init__(
        self,
        n_components: int | None = None,
        kernel: Literal["linear", "poly", "rbf"] = "rbf",
        gamma: float | None = None,
        degree: int = 3,
        coef0: float = 1.0,
    ) -> None:
        self.n_components = n_components
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0

    def _kernel(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return kernel_matrix(a, b, self.kernel, self.gamma_, self.degree, self.coef0)

    def fit(self, X: np.ndarray, y: None = None) -> KernelPCA:
        """Diagonalize the centred kernel matrix of ``X``; returns self."""
        check_choice("kernel", self.kernel, KERNELS)
        check_int("degree", self.degree, 1)
        check_float("coef0", self.coef0)
        x = check_array(X)
        m = x.shape[0]
        k = m if self.n_components is None else check_int("n_components", self.n_components, 1, m)
        self.gamma_ = resolve_gamma(self.gamma, x)
        if self.kernel == "rbf":
            self._check_distances(x)
        kernel = self._kernel(x, x)
        self._column_means = kernel.mean(axis=0)
        self._total_mean = float(self._column_means.mean())
        centred = kernel - self._column_means[None, :] - self._column_means[:, None]
        centred += self._total_mean
        self._check_overflow("the centred kernel matrix", centred)
        values, vectors = _top_eigh(centred, k)
        if self.n_components is None:
            keep = values > 1e-12 * max(values[0], 1e-300)
            values, vectors = values[keep], vectors[:, keep]
        self.eigenvalues_ = values
        self.eigenvectors_ = _flip_signs(vectors, axis=0)
        self.X_fit_ = x
        self.n_features_in_ = x.shape[1]
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Project points: ``y_j(x) = sum_i a_ji K~(x_i, x)`` (eq. 2.13), shape (m', l)."""
        self._check_fitted("eigenvectors_")
        x = check_features(X, self.n_features_in_)
        kernel = self._kernel(x, self.X_fit_)
        centred = kernel - kernel.mean(axis=1, keepdims=True) - self._column_means[None, :]
        centred += self._total_mean
        positive = self.eigenvalues_ > 0
        scale = np.zeros_like(self.eigenvalues_)
        scale[positive] = 1.0 / np.sqrt(self.eigenvalues_[positive])
        return centred @ (self.eigenvectors_ * scale)

    def fit_transform(self, X: np.ndarray, y: None = None) -> np.ndarray:
        """``fit(X)``, then the training projections ``sqrt(lambda_j) u_j``."""
        self.fit(X)
        return self.eigenvectors_ * np.sqrt(np.maximum(self.eigenvalues_, 0.0))
