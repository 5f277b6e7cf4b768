"""A small Bayesian optimizer: Gaussian-process surrogate and expected improvement (numpy/scipy).

Gaussian-process regression (Rasmussen & Williams, Gaussian Processes for Machine Learning,
Algorithm 2.1) with a squared-exponential kernel with one length scale per input dimension,

    k(x, x') = s^2 exp(-1/2 sum_j (x_j - x'_j)^2 / l_j^2),

a constant prior mean m (the sample mean of y) and Gaussian observation noise of known variance
sigma_n^2. With K = k(X, X) + sigma_n^2 I = L L^T and alpha = K^{-1} (y - m):

    mean(x*)  = m + k(x*, X) alpha,
    var(x*)   = k(x*, x*) - v^T v,   v = L^{-1} k(X, x*),
    log p(y | X) = -1/2 (y - m)^T alpha - sum_i log L_ii - n/2 log 2 pi.

The hyperparameters (l_j, s) maximize log p(y | X) (L-BFGS-B on their logarithms, bounded).
Expected improvement of a maximization over the incumbent f* (Jones, Schonlau & Welch 1998):

    EI(x) = (mean - f* - xi) Phi(z) + sd phi(z),   z = (mean - f* - xi) / sd.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import cho_solve, solve_triangular
from scipy.optimize import minimize
from scipy.stats import norm

Array = NDArray[np.float64]

LENGTH_SCALE_BOUNDS = (0.03, 3.0)
"""Bounds of each length scale l_j (inputs scaled to the unit cube)."""

SIGNAL_STD_BOUNDS = (1e-3, 3.0)
"""Bounds of the signal standard deviation s."""


def squared_exponential(a: Array, b: Array, length_scale: Array, signal_variance: float) -> Array:
    """k(a_i, b_j) = s^2 exp(-1/2 sum_k (a_ik - b_jk)^2 / l_k^2), shape (len(a), len(b))."""
    a_scaled = np.asarray(a, dtype=float) / length_scale
    b_scaled = np.asarray(b, dtype=float) / length_scale
    squared = (
        np.sum(a_scaled**2, axis=1)[:, None]
        + np.sum(b_scaled**2, axis=1)[None, :]
        - 2.0 * a_scaled @ b_scaled.T
    )
    return signal_variance * np.exp(-0.5 * np.maximum(squared, 0.0))


@dataclass
class GaussianProcess:
    """GP regression with fixed hyperparameters (R&W Algorithm 2.1); see the module docstring."""

    length_scale: Array
    signal_variance: float
    noise_variance: float

    def fit(self, x: Array, y: Array) -> GaussianProcess:
        """Condition on observations x (n, d), y (n,): Cholesky factor and alpha."""
        self.x_ = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        self.mean_ = float(y.mean())
        k = squared_exponential(self.x_, self.x_, self.length_scale, self.signal_variance)
        k[np.diag_indices_from(k)] += self.noise_variance
        self.cholesky_ = np.linalg.cholesky(k)
        self.residual_ = y - self.mean_
        self.alpha_ = cho_solve((self.cholesky_, True), self.residual_)
        return self

    def predict(self, x: Array) -> tuple[Array, Array]:
        """Posterior mean and variance of the latent function at x (m, d)."""
        k_star = squared_exponential(x, self.x_, self.length_scale, self.signal_variance)
        mean = self.mean_ + k_star @ self.alpha_
        v = solve_triangular(self.cholesky_, k_star.T, lower=True)
        variance = self.signal_variance - np.sum(v**2, axis=0)
        return mean, np.maximum(variance, 0.0)

    def log_marginal_likelihood(self) -> float:
        """log p(y | X) of the fitted data."""
        n = len(self.residual_)
        return float(
            -0.5 * self.residual_ @ self.alpha_
            - np.sum(np.log(np.diag(self.cholesky_)))
            - 0.5 * n * math.log(2.0 * math.pi)
        )


def log_marginal_likelihood(
    theta: Array, x: Array, y: Array, noise_variance: float
) -> tuple[float, Array]:
    """log p(y | X) and its gradient with respect to theta = (log l_1, ..., log l_d, log s).

    d log p / d theta_k = 1/2 tr((alpha alpha^T - K^{-1}) dK/d theta_k) (R&W eq. 5.9) with
    dK/d log l_j = k(X, X) * (x_ij - x_kj)^2 / l_j^2 and dK/d log s = 2 k(X, X).
    """
    return _likelihood(theta, (x[:, None, :] - x[None, :, :]) ** 2, y, noise_variance)


def _likelihood(
    theta: Array, squared_differences: Array, y: Array, noise_variance: float
) -> tuple[float, Array]:
    n, d = len(y), squared_differences.shape[2]
    scaled = squared_differences / np.exp(2.0 * theta[:d])  # (n, n, d): (x_ij - x_kj)^2 / l_j^2
    k_f = np.exp(2.0 * theta[d] - 0.5 * scaled.sum(axis=2))
    cholesky = np.linalg.cholesky(k_f + noise_variance * np.eye(n))
    cholesky_inverse = solve_triangular(cholesky, np.eye(n), lower=True, check_finite=False)
    k_inverse = cholesky_inverse.T @ cholesky_inverse
    residual = y - y.mean()
    alpha = k_inverse @ residual
    value = (
        -0.5 * residual @ alpha
        - np.sum(np.log(np.diag(cholesky)))
        - 0.5 * n * math.log(2.0 * math.pi)
    )
    weighted = (np.outer(alpha, alpha) - k_inverse) * k_f
    gradient = np.append(0.5 * np.einsum("ik,ikj->j", weighted, scaled), np.sum(weighted))
    return float(value), gradient


def fit_gaussian_process(
    x: Array, y: Array, noise_variance: float, starts: Array | None = None
) -> GaussianProcess:
    """GP with the hyperparameters maximizing log p(y | X), noise variance fixed.

    L-BFGS-B with the analytic gradient on theta = (log l_1, ..., log l_d, log s), within
    LENGTH_SCALE_BOUNDS and SIGNAL_STD_BOUNDS, from each row (l_1, ..., l_d, s) of ``starts``
    (default: l = 0.3 and l = 1, both with s = std(y)); the best optimum wins.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    d = x.shape[1]
    spread = float(np.clip(y.std(), SIGNAL_STD_BOUNDS[0] * 10, SIGNAL_STD_BOUNDS[1]))
    if starts is None:
        starts = np.array([[0.3] * d + [spread], [1.0] * d + [spread]])
    bounds = [tuple(np.log(LENGTH_SCALE_BOUNDS))] * d + [tuple(np.log(SIGNAL_STD_BOUNDS))]
    squared_differences = (x[:, None, :] - x[None, :, :]) ** 2

    def negative(theta: Array) -> tuple[float, Array]:
        try:
            value, gradient = _likelihood(theta, squared_differences, y, noise_variance)
        except np.linalg.LinAlgError:
            return math.inf, np.zeros_like(theta)
        return -value, -gradient

    best: tuple[float, Array] | None = None
    for start in np.log(np.asarray(starts, dtype=float)):
        found = minimize(negative, start, jac=True, method="L-BFGS-B", bounds=bounds)
        if best is None or found.fun < best[0]:
            best = (float(found.fun), found.x)
    assert best is not None
    theta = best[1]
    return GaussianProcess(np.exp(theta[:d]), float(np.exp(2.0 * theta[d])), noise_variance).fit(
        x, y
    )


def expected_improvement(mean: Array, std: Array, best: float, xi: float = 0.0) -> Array:
    """EI = (mean - best - xi) Phi(z) + std phi(z), z = (mean - best - xi) / std; std = 0: gain+."""
    mean = np.asarray(mean, dtype=float)
    std = np.asarray(std, dtype=float)
    gain = mean - best - xi
    safe = np.where(std > 0.0, std, 1.0)
    z = gain / safe
    value = gain * norm.cdf(z) + safe * norm.pdf(z)
    return np.where(std > 0.0, value, np.maximum(gain, 0.0))


def bayesian_optimization(
    objective: Callable[[Array], float],
    dimension: int,
    budget: int,
    rng: np.random.Generator,
    *,
    noise_variance: float,
    n_initial: int = 5,
    n_candidates: int = 2000,
    xi: float = 0.0,
) -> tuple[Array, Array]:
    """Maximize a noisy objective on the unit cube [0, 1]^dimension with GP-EI.

    ``n_initial`` points of a Latin hypercube (`latin_hypercube`), then at each step: fit the
    GP (hyperparameters by maximum marginal likelihood, warm-started from the previous fit;
    noise variance at least 1e-8), take the incumbent f* = the largest posterior mean at the
    evaluated points (robust to noise), and evaluate the candidate of largest EI among
    ``n_candidates`` uniform points and as many Gaussian perturbations (sd 0.05) of the
    incumbent.

    Returns:
        (x, y): the evaluated points (budget, dimension) in order and their observed values.
    """
    xs: list[Array] = []
    ys: list[float] = []
    starts = None
    design = latin_hypercube(min(n_initial, budget), dimension, rng)
    for i in range(budget):
        if i < len(design):
            point = design[i]
        else:
            gp = fit_gaussian_process(np.array(xs), np.array(ys), max(noise_variance, 1e-8), starts)
            starts = np.append(gp.length_scale, math.sqrt(gp.signal_variance))[None]
            point = _next_point(gp, rng, n_candidates, xi)
        xs.append(point)
        ys.append(float(objective(point)))
    return np.array(xs), np.array(ys)


def latin_hypercube(n: int, dimension: int, rng: np.random.Generator) -> Array:
    """n points in [0, 1]^dimension, exactly one in each of the n slices of every axis."""
    strata = np.stack([rng.permutation(n) for _ in range(dimension)], axis=1)
    return (strata + rng.uniform(size=(n, dimension))) / n


def _next_point(gp: GaussianProcess, rng: np.random.Generator, n: int, xi: float) -> Array:
    x = gp.x_
    fitted, _ = gp.predict(x)
    incumbent = x[np.argmax(fitted)]
    local = np.clip(incumbent + 0.05 * rng.standard_normal((n, x.shape[1])), 0.0, 1.0)
    candidates = np.vstack([rng.uniform(size=(n, x.shape[1])), local])
    mean, variance = gp.predict(candidates)
    ei = expected_improvement(mean, np.sqrt(variance), float(fitted.max()), xi)
    return candidates[int(np.argmax(ei))]
