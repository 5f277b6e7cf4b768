"""Linear models of seed 000 §3 and seed 001: least squares, ridge, lasso, subsets, classifiers.

Conventions (see ERRATA.md): the notes write the regularized losses with the residual sum of
squares, ``RSS + lambda sum_j beta_j^2`` (eq. 3.21) and ``RSS + alpha sum_j |beta_j|`` (eq. 3.26),
while seed 001 uses the mean, ``(1/n) RSS + lambda |theta|^2``, and scikit-learn's Lasso uses
``(1/2n) RSS + alpha |w|_1``. The argument ``loss`` of :class:`Ridge`, :class:`Lasso` and
:func:`lasso_path` names the data term: ``"sum"`` (RSS, the notes' §3 and scikit-learn's Ridge),
``"mean"`` (RSS / n, seed 001) or ``"half_mean"`` (RSS / 2n, scikit-learn's Lasso). So
scikit-learn's ``Ridge(alpha=n lambda)`` equals ``Ridge(alpha=lambda, loss="mean")`` and
scikit-learn's ``Lasso(alpha=lambda / 2)`` equals ``Lasso(alpha=lambda, loss="mean")``. Eqs. 3.21
and 3.26 sum the penalty from j = 0, penalizing the intercept; eq. 3.31 does not: the argument
``penalize_intercept`` chooses (default False, as scikit-learn).
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.special

from labcoat.classic._base import (
    Estimator,
    check_array,
    check_features,
    check_labels,
    check_overflow,
    check_xy,
    overflow_in,
)
from labcoat.classic._checks import check_bool, check_choice, check_float, check_int

Loss = Literal["sum", "mean", "half_mean"]
_LOSSES = ("sum", "mean", "half_mean")


def rss_penalty(alpha: float, loss: str, n_samples: int) -> float:
    """The factor lambda of the equivalent ``RSS + lambda * penalty`` form.

    ``"sum"``: RSS + alpha P -> alpha; ``"mean"``: RSS/n + alpha P -> n alpha;
    ``"half_mean"``: RSS/(2n) + alpha P -> 2 n alpha.
    """
    check_choice("loss", loss, _LOSSES)
    return float(alpha) * {"sum": 1.0, "mean": n_samples, "half_mean": 2.0 * n_samples}[loss]


def _check_intercept_flags(fit_intercept: object, penalize_intercept: object) -> None:
    check_bool("fit_intercept", fit_intercept)
    check_bool("penalize_intercept", penalize_intercept)


def _gram_terms(
    owner: str, design: np.ndarray, target: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """X^T X, X^T y and y^T y, refused if the data's scale overflowed them."""
    gram, xty, yty = design.T @ design, design.T @ target, float(target @ target)
    check_overflow(owner, "X^T X, X^T y or y^T y", gram, xty, yty)
    return gram, xty, yty


def _design(x: np.ndarray, fit_intercept: bool) -> np.ndarray:
    """X~ = [1, X] (eq. 3.2) or X."""
    return np.hstack([np.ones((x.shape[0], 1)), x]) if fit_intercept else x


class _LinearPredictor(Estimator):
    """Shared ``predict`` / ``score`` of the regressors: f(x) = beta_0 + sum_j beta_j x_j."""

    coef_: np.ndarray
    intercept_: np.ndarray | float

    def predict(self, X: np.ndarray) -> np.ndarray:
        """f(x | beta) = beta_0 + sum_j beta_j x_j (eq. 3.1) for every row of X."""
        self._check_fitted("coef_")
        x = check_features(X, self.n_features_in_)
        return x @ self.coef_.T + self.intercept_

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """R^2 = 1 - RSS / sum_i (y_i - mean y)^2 of the predictions on (X, y)."""
        target = check_array(y, "y", (1, 2))
        residual = target - self.predict(X)
        total = ((target - target.mean(axis=0)) ** 2).sum()
        return float(1.0 - (residual**2).sum() / total)


class LinearRegression(_LinearPredictor):
    """Ordinary least squares, beta = (X~^T X~)^-1 X~^T Y (eq. 3.7), with its statistics (§3.1.1).

    Solver: ``scipy.linalg.lstsq`` (an SVD; also the minimum-norm solution when X~^T X~ is
    singular). ``y`` may be (m,) or (m, p) for the multivariate model (eq. 3.8).

    Args:
        fit_intercept: include beta_0 (a column of ones in X~).

    Attributes:
        coef_: (n,) or (p, n) slopes beta_1..beta_n.
        intercept_: beta_0 (float, or (p,) array; 0 without intercept).
        sigma2_: the unbiased noise variance sigma^2 = RSS / (m - n - 1) (eq. 3.17); for a
            rank-deficient X~ the denominator is m - rank X~.
        covariance_: sigma^2 (X~^T X~)^-1, the covariance of beta (eq. 3.16), intercept first.
        standard_errors_: sqrt of its diagonal, (n + 1,) or (p, n + 1), intercept first.
        r2_: the training R^2 = 1 - RSS / TSS.
    """

    def __init__(self, fit_intercept: bool = True) -> None:
        self.fit_intercept = fit_intercept

    def fit(self, X: np.ndarray, y: np.ndarray) -> LinearRegression:
        """Least squares on (X, y); returns self."""
        x, target = check_xy(X, y, (1, 2))
        target = target.astype(np.float64)
        design = _design(x, check_bool("fit_intercept", self.fit_intercept))
        gram = design.T @ design
        self._check_overflow("X~^T X~", gram)
        m = design.shape[0]
        beta, _, rank, _ = scipy.linalg.lstsq(design, target, check_finite=False)
        residual = target - design @ beta
        rss = (residual**2).sum(axis=0)
        total = ((target - target.mean(axis=0)) ** 2).sum()
        self._check_overflow("the residual or total sum of squares", rss, total)
        dof = m - int(rank)  # m - n - 1 (eq. 3.17) when X~ has full column rank
        self.sigma2_ = rss / dof if dof > 0 else np.full_like(beta[0], np.nan)
        inverse = scipy.linalg.pinvh(gram)
        self.covariance_ = np.multiply.outer(np.atleast_1d(self.sigma2_), inverse).squeeze()
        diagonal = np.sqrt(np.maximum(np.atleast_1d(self.sigma2_)[:, None] * np.diag(inverse), 0.0))
        self.standard_errors_ = diagonal[0] if target.ndim == 1 else diagonal
        self.rank_ = int(rank)
        self._set_beta(beta)
        self.r2_ = float(1.0 - rss.sum() / total)
        return self

    def _set_beta(self, beta: np.ndarray) -> None:
        coefficients = beta[1:] if self.fit_intercept else beta
        self.coef_ = coefficients.T
        self.intercept_ = beta[0] if self.fit_intercept else 0.0
        if isinstance(self.intercept_, np.ndarray) and self.intercept_.ndim == 0:
            self.intercept_ = float(self.intercept_)
        self.n_features_in_ = coefficients.shape[0]


class Ridge(_LinearPredictor):
    """Ridge regression, beta = (X~^T X~ + lambda I)^-1 X~^T Y (eqs. 3.21-3.22).

    Minimizes ``data(loss) + alpha sum_j beta_j^2``; see the module docstring for ``loss``.
    With ``penalize_intercept=True`` the sum runs from j = 0 as in eq. 3.21 (the literal
    eq. 3.22); otherwise (scikit-learn's choice) X and y are centred and beta_0 is not penalized.
    Solver: a Cholesky solve of the (n + 1) x (n + 1) normal equations (for alpha = 0, the
    least-squares solve of :class:`LinearRegression`, which also copes with a singular X~^T X~).

    Args:
        alpha: regularization strength (>= 0).
        fit_intercept: include beta_0.
        penalize_intercept: include beta_0 in the penalty (eq. 3.21 literally).
        loss: "sum" (RSS), "mean" (RSS / m) or "half_mean" (RSS / 2m).

    Attributes:
        coef_, intercept_: as :class:`LinearRegression`.
    """

    def __init__(
        self,
        alpha: float = 1.0,
        fit_intercept: bool = True,
        penalize_intercept: bool = False,
        loss: Loss = "sum",
    ) -> None:
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.penalize_intercept = penalize_intercept
        self.loss = loss

    def fit(self, X: np.ndarray, y: np.ndarray) -> Ridge:
        """Solve the ridge normal equations; returns self."""
        x, target = check_xy(X, y, (1, 2))
        target = target.astype(np.float64)
        lam = rss_penalty(check_float("alpha", self.alpha, 0.0), self.loss, x.shape[0])
        _check_intercept_flags(self.fit_intercept, self.penalize_intercept)
        if self.fit_intercept and self.penalize_intercept:
            design, offset, y_mean = _design(x, True), 0.0, 0.0
        elif self.fit_intercept:
            offset, y_mean = x.mean(axis=0), target.mean(axis=0)
            design, target = x - offset, target - y_mean
        else:
            design, offset, y_mean = x, 0.0, 0.0
        if lam == 0:  # least squares; lstsq also handles a singular X^T X (minimum norm)
            beta = scipy.linalg.lstsq(design, target, check_finite=False)[0]
        else:
            gram, xty = design.T @ design, design.T @ target
            self._check_overflow("X^T X or X^T y", gram, xty)
            gram.flat[:: gram.shape[0] + 1] += lam
            beta = _ridge_solve(gram, xty, design, target, lam)
        if self.fit_intercept and self.penalize_intercept:
            self.coef_, self.intercept_ = beta[1:].T, beta[0]
        else:
            self.coef_ = beta.T
            self.intercept_ = y_mean - offset @ beta if self.fit_intercept else 0.0
        self.n_features_in_ = x.shape[1]
        return self


def _ridge_solve(
    gram: np.ndarray, xty: np.ndarray, design: np.ndarray, target: np.ndarray, lam: float
) -> np.ndarray:
    """Solve (X^T X + lam I) beta = X^T y (eq. 3.22) by Cholesky.

    If that matrix is singular in float64, the same minimizer comes from the least-squares
    solution of [X; sqrt(lam) I] beta = [y; 0], which does not square X's condition number.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
        try:
            return scipy.linalg.solve(gram, xty, assume_a="pos", check_finite=False)
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgWarning):
            pass
    n = design.shape[1]
    augmented = np.vstack([design, np.sqrt(lam) * np.eye(n)])
    zeros = np.zeros((n, *target.shape[1:]))
    return scipy.linalg.lstsq(augmented, np.concatenate([target, zeros]), check_finite=False)[0]


def _soft_threshold(z: float, mu: float) -> float:
    return z - mu if z > mu else (z + mu if z < -mu else 0.0)


def _lasso_gram(
    gram: np.ndarray,
    xty: np.ndarray,
    yty: float,
    mu: np.ndarray,
    beta: np.ndarray,
    max_iter: int,
    tol: float,
) -> tuple[np.ndarray, float, int]:
    """Cyclic coordinate descent for 1/2 |y - X beta|^2 + sum_j mu_j |beta_j| (Gram form).

    Each update is beta_j <- S(X_j^T r + G_jj beta_j, mu_j) / G_jj with S the soft threshold;
    ``c = X^T r`` is kept up to date. After each sweep the KKT system of the current active set
    and signs is solved exactly (G_AA beta_A = X_A^T y - mu_A sign_A); when that point keeps
    its signs and |c_j| <= mu_j off the set it is the exact minimizer and replaces the iterate.
    Stops when the duality gap is <= tol * |y|^2.

    Returns:
        beta, the final duality gap, sweeps run.
    """
    c = xty - gram @ beta
    diagonal = np.diag(gram).copy()
    gap = np.inf
    sweep = 0
    while sweep < max_iter:
        sweep += 1
        for j in range(beta.shape[0]):
            if diagonal[j] == 0.0:
                continue
            old = beta[j]
            new = _soft_threshold(c[j] + diagonal[j] * old, mu[j]) / diagonal[j]
            if new != old:
                c -= gram[:, j] * (new - old)
                beta[j] = new
        beta, c = _polish(gram, xty, mu, beta, c)
        gap = _duality_gap(c, xty, yty, mu, beta)
        if gap <= tol * yty:
            break
    return beta, gap, sweep


def _polish(
    gram: np.ndarray, xty: np.ndarray, mu: np.ndarray, beta: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The exact minimizer on beta's active set and signs if it satisfies the KKT conditions."""
    active = np.flatnonzero(beta)
    if active.size == 0 or active.size > 500:
        return beta, c
    signs = np.sign(beta[active])
    try:
        solution = np.linalg.solve(gram[np.ix_(active, active)], xty[active] - mu[active] * signs)
    except np.linalg.LinAlgError:
        return beta, c
    if np.any(np.sign(solution) != signs):
        return beta, c
    candidate = np.zeros_like(beta)
    candidate[active] = solution
    new_c = xty - gram @ candidate
    inactive = np.ones(beta.shape[0], dtype=bool)
    inactive[active] = False
    if np.any(np.abs(new_c[inactive]) > mu[inactive] * (1 + 1e-12)):
        return beta, c
    return candidate, new_c


def _duality_gap(
    c: np.ndarray, xty: np.ndarray, yty: float, mu: np.ndarray, beta: np.ndarray
) -> float:
    """Primal minus dual objective at nu = s r, s = min(1, min_j mu_j / |X_j^T r|)."""
    r2 = max(yty - 2.0 * beta @ xty + beta @ (xty - c), 0.0)  # |r|^2, with X^T X beta = xty - c
    ry = yty - beta @ xty
    with np.errstate(divide="ignore"):
        ratios = np.where(np.abs(c) > 0, mu / np.abs(c), np.inf)
    s = min(1.0, float(ratios.min()))
    return 0.5 * r2 * (1.0 + s * s) + float(mu @ np.abs(beta)) - s * ry


class Lasso(_LinearPredictor):
    """Lasso regression: minimize ``data(loss) + alpha sum_j |beta_j|`` (eq. 3.26).

    Solver: cyclic coordinate descent with soft thresholding on the Gram matrix, stopped by the
    duality gap. See the module docstring for ``loss`` and ``penalize_intercept``.

    Args:
        alpha: regularization strength (>= 0).
        fit_intercept: include beta_0.
        penalize_intercept: include |beta_0| in the penalty (eq. 3.26 sums from j = 0).
        loss: "half_mean" (RSS / 2m, scikit-learn), "mean" (RSS / m, seed 001) or "sum"
            (RSS, eq. 3.26).
        max_iter: maximum sweeps over the coordinates.
        tol: stop when the duality gap is below ``tol * |y|^2``.

    Attributes:
        coef_, intercept_: as :class:`LinearRegression`.
        dual_gap_: the final duality gap; n_iter_: sweeps run.
    """

    def __init__(
        self,
        alpha: float = 1.0,
        fit_intercept: bool = True,
        penalize_intercept: bool = False,
        loss: Loss = "half_mean",
        max_iter: int = 1000,
        tol: float = 1e-4,
    ) -> None:
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.penalize_intercept = penalize_intercept
        self.loss = loss
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X: np.ndarray, y: np.ndarray) -> Lasso:
        """Coordinate descent on (X, y), y of shape (m,); returns self."""
        x, target = check_xy(X, y)
        target = target.astype(np.float64)
        lam = rss_penalty(check_float("alpha", self.alpha, 0.0), self.loss, x.shape[0])
        _check_intercept_flags(self.fit_intercept, self.penalize_intercept)
        max_iter = check_int("max_iter", self.max_iter, 1)
        tol = check_float("tol", self.tol, 0.0, low_open=True)
        both = self.fit_intercept and self.penalize_intercept
        if both:
            design, offset, y_mean = _design(x, True), 0.0, 0.0
        elif self.fit_intercept:
            offset, y_mean = x.mean(axis=0), float(target.mean())
            design, target = x - offset, target - y_mean
        else:
            design, offset, y_mean = x, 0.0, 0.0
        mu = np.full(design.shape[1], lam / 2.0)
        gram, xty, yty = _gram_terms("Lasso", design, target)
        beta, self.dual_gap_, self.n_iter_ = _lasso_gram(
            gram, xty, yty, mu, np.zeros(design.shape[1]), max_iter, tol
        )
        if both:
            self.coef_, self.intercept_ = beta[1:], float(beta[0])
        else:
            self.coef_ = beta
            self.intercept_ = float(y_mean - offset @ beta) if self.fit_intercept else 0.0
        self.n_features_in_ = x.shape[1]
        return self


def lasso_path(
    X: np.ndarray,
    y: np.ndarray,
    alphas: np.ndarray | None = None,
    n_alphas: int = 100,
    eps: float = 1e-3,
    loss: Loss = "half_mean",
    max_iter: int = 1000,
    tol: float = 1e-4,
) -> tuple[np.ndarray, np.ndarray]:
    """Lasso coefficients along a decreasing grid of alphas (warm-started coordinate descent).

    No intercept is fitted (as scikit-learn's ``lasso_path``): centre X and y first. The
    default grid runs geometrically from ``alpha_max`` (the smallest alpha with all
    coefficients zero: ``|X^T y|_inf`` divided by m for "half_mean", by m/2 for "mean", times
    2 for "sum") down to ``eps * alpha_max``.

    Returns:
        alphas (n_alphas,), descending, and coefficients (n_features, n_alphas).
    """
    x, target = check_xy(X, y)
    target = target.astype(np.float64)
    m = x.shape[0]
    max_iter = check_int("max_iter", max_iter, 1)
    tol = check_float("tol", tol, 0.0, low_open=True)
    scale = rss_penalty(1.0, loss, m) / 2.0  # mu = scale * alpha in 1/2 |r|^2 + mu |beta|_1
    gram, xty, yty = _gram_terms("lasso_path", x, target)
    if alphas is None:
        n_alphas = check_int("n_alphas", n_alphas, 1)
        eps = check_float("eps", eps, 0.0, low_open=True)
        # The grid is built on mu, so its first point is exactly |X^T y|_inf: the soft
        # threshold then returns exact zeros by construction, whatever the rounding of alpha.
        mu_max = float(np.abs(xty).max())
        mus = np.geomspace(mu_max, mu_max * eps, n_alphas) if mu_max > 0 else np.zeros(1)
        grid = mus / scale
    else:
        grid = np.sort(np.asarray(alphas, dtype=np.float64).ravel())[::-1]
        if grid.size == 0 or not np.all(np.isfinite(grid)) or grid[-1] < 0:
            raise ValueError(f"alphas must be a non-empty array of finite numbers >= 0, got {grid}")
        mus = grid * scale
    beta = np.zeros(x.shape[1])
    coefs = np.empty((x.shape[1], grid.size))
    for k, mu in enumerate(mus):
        beta, _, _ = _lasso_gram(gram, xty, yty, np.full(x.shape[1], mu), beta, max_iter, tol)
        coefs[:, k] = beta
    return grid, coefs


@dataclass(frozen=True)
class Subset:
    """One subset M of features (eq. 3.20) and its training residual sum of squares."""

    features: tuple[int, ...]
    rss: float


def best_subsets(X: np.ndarray, y: np.ndarray, fit_intercept: bool = True) -> list[Subset]:
    """Exhaustive best-subset selection (§3.1.2, eq. 3.20).

    For each size k = 0..n, the subset of k features whose least-squares fit has the smallest
    RSS.

    All 2^n subsets are solved on the (centred) Gram matrix, so n is limited to 20.

    Returns:
        ``n + 1`` :class:`Subset` entries, entry k holding the best subset of size k.
    """
    x, target = check_xy(X, y)
    target = target.astype(np.float64)
    n = x.shape[1]
    if n > 20:
        raise ValueError(f"X must have at most 20 features for an exhaustive search, got {n}")
    if check_bool("fit_intercept", fit_intercept):
        x, target = x - x.mean(axis=0), target - target.mean()
    gram, xty, yty = _gram_terms("best_subsets", x, target)
    best = [Subset((), yty)]
    for k in range(1, n + 1):
        winner = Subset((), np.inf)
        for subset in itertools.combinations(range(n), k):
            index = list(subset)
            beta = scipy.linalg.lstsq(gram[np.ix_(index, index)], xty[index])[0]
            rss = yty - float(beta @ xty[index])
            if rss < winner.rss:
                winner = Subset(subset, rss)
        best.append(winner)
    return best


class BestSubsetRegression(_LinearPredictor):
    """Least squares on the best subset of ``n_features`` features (eq. 3.20, exhaustive).

    Args:
        n_features: size of the subset M.
        fit_intercept: include beta_0 (never counted in the subset).

    Attributes:
        support_: the selected feature indices; coef_ is zero elsewhere.
    """

    def __init__(self, n_features: int = 1, fit_intercept: bool = True) -> None:
        self.n_features = n_features
        self.fit_intercept = fit_intercept

    def fit(self, X: np.ndarray, y: np.ndarray) -> BestSubsetRegression:
        """Search every subset of size ``n_features`` and fit on the best; returns self."""
        x, target = check_xy(X, y)
        size = check_int("n_features", self.n_features, 1, x.shape[1])
        with overflow_in("BestSubsetRegression"):
            subset = best_subsets(x, target, self.fit_intercept)[size].features
            ols = LinearRegression(self.fit_intercept).fit(x[:, list(subset)], target)
        self.support_ = np.array(subset)
        self.coef_ = np.zeros(x.shape[1])
        self.coef_[self.support_] = ols.coef_
        self.intercept_ = ols.intercept_
        self.n_features_in_ = x.shape[1]
        return self


class _Classifier(Estimator):
    classes_: np.ndarray

    def _encode(self, y: np.ndarray) -> np.ndarray:
        self.classes_, labels = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError("y must contain at least 2 classes")
        return labels

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The class of largest score, F(x) = argmax_k f_k(x) (eq. 3.43)."""
        scores = self.decision_function(X)  # type: ignore[attr-defined]
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy: the fraction of correctly predicted labels."""
        return float(np.mean(self.predict(X) == check_labels(y)))


class LeastSquaresClassifier(_Classifier):
    """The one-hot least-squares classifier of §3.2.2 (eqs. 3.41-3.43).

    Labels are one-hot encoded, y -> e^(y) (eq. 3.41); a multivariate linear model is fitted by
    least squares, beta = (X~^T X~)^-1 X~^T Y (eq. 3.42); the prediction is the index of the
    largest output, F(x) = argmax_k f_k(x) (eq. 3.43).

    Attributes:
        classes_: the sorted labels; coef_: (p, n); intercept_: (p,).
    """

    def __init__(self, fit_intercept: bool = True) -> None:
        self.fit_intercept = fit_intercept

    def fit(self, X: np.ndarray, y: np.ndarray) -> LeastSquaresClassifier:
        """Least squares on the one-hot targets; returns self."""
        x, target = check_xy(X, y, labels=True)
        check_bool("fit_intercept", self.fit_intercept)
        labels = self._encode(target)
        one_hot = np.eye(self.classes_.size)[labels]
        with overflow_in("LeastSquaresClassifier"):
            ols = LinearRegression(self.fit_intercept).fit(x, one_hot)
        self.coef_, self.intercept_ = ols.coef_, np.atleast_1d(ols.intercept_)
        self.n_features_in_ = x.shape[1]
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """The outputs f_k(x) = x~^T beta_k, shape (m, p)."""
        self._check_fitted("coef_")
        return check_features(X, self.n_features_in_) @ self.coef_.T + self.intercept_


class LogisticRegression(_Classifier):
    """Logistic regression: the sigmoid (2 classes) or softmax (eq. 3.44) of a linear model.

    Minimizes ``C sum_i CE_i + 1/2 |W|^2`` (the L2 penalty skips the intercepts), where CE is
    the cross-entropy -log P(y_i | x_i) with P(y = k | x) = softmax_k(W x + b) (eq. 3.44); with
    two classes a single vector w and P(y = 1 | x) = 1 / (1 + e^{-(w.x + b)}). This is
    scikit-learn's parametrization. Solver: L-BFGS (scipy) with the analytic gradient.

    Args:
        C: inverse regularization strength (> 0); ``penalty=None`` removes the penalty.
        penalty: "l2" or None.
        fit_intercept: include the intercepts b.
        max_iter: L-BFGS iterations.
        tol: L-BFGS gradient tolerance.

    Attributes:
        classes_; coef_: (1, n) for two classes, (p, n) otherwise; intercept_; n_iter_.
    """

    def __init__(
        self,
        C: float = 1.0,
        penalty: Literal["l2"] | None = "l2",
        fit_intercept: bool = True,
        max_iter: int = 1000,
        tol: float = 1e-8,
    ) -> None:
        self.C = C
        self.penalty = penalty
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X: np.ndarray, y: np.ndarray) -> LogisticRegression:
        """Minimize the penalized cross-entropy; returns self."""
        x, target = check_xy(X, y, labels=True)
        c = check_float("C", self.C, 0.0, low_open=True)
        check_choice("penalty", self.penalty, ("l2", None))
        check_bool("fit_intercept", self.fit_intercept)
        max_iter = check_int("max_iter", self.max_iter, 1)
        tol = check_float("tol", self.tol, 0.0, low_open=True)
        labels = self._encode(target)
        k = 1 if self.classes_.size == 2 else self.classes_.size
        n = x.shape[1]
        design = _design(x, self.fit_intercept)
        targets = labels[:, None].astype(float) if k == 1 else np.eye(k)[labels]
        penalized = np.ones((design.shape[1], k))
        if self.fit_intercept:
            penalized[0] = 0.0
        strength = 0.0 if self.penalty is None else 1.0 / c
        result = scipy.optimize.minimize(
            _cross_entropy,
            np.zeros(design.shape[1] * k),
            args=(design, targets, penalized * strength),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": max_iter, "gtol": tol, "ftol": 1e-15, "maxcor": 20},
        )
        if result.nit == 0 and not result.success:
            raise ValueError(
                f"LogisticRegression: L-BFGS stopped at the start ({result.message}); the "
                "features are too large for its first step: standardize X"
            )
        w = result.x.reshape(design.shape[1], k)
        self.coef_ = w[-n:].T
        self.intercept_ = w[0] if self.fit_intercept else np.zeros(k)
        self.n_iter_ = int(result.nit)
        self.n_features_in_ = n
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """The logits W x + b: shape (m,) for two classes, (m, p) otherwise."""
        self._check_fitted("coef_")
        logits = check_features(X, self.n_features_in_) @ self.coef_.T + self.intercept_
        return logits[:, 0] if logits.shape[1] == 1 else logits

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, (m, p): the sigmoid or the softmax (eq. 3.44) of the logits."""
        logits = self.decision_function(X)
        if logits.ndim == 1:
            p1 = scipy.special.expit(logits)
            return np.stack([1.0 - p1, p1], axis=1)
        return scipy.special.softmax(logits, axis=1)


def _cross_entropy(
    flat: np.ndarray, design: np.ndarray, targets: np.ndarray, strength: np.ndarray
) -> tuple[float, np.ndarray]:
    """sum_i CE_i + 1/2 sum strength w^2 and its gradient X^T (P - Y) + strength w."""
    w = flat.reshape(strength.shape[0], strength.shape[1])
    logits = design @ w
    if w.shape[1] == 1:
        loss = float(np.sum(np.logaddexp(0.0, logits) - targets * logits))
        residual = scipy.special.expit(logits) - targets
    else:
        log_norm = scipy.special.logsumexp(logits, axis=1, keepdims=True)
        loss = float(np.sum(log_norm - np.sum(targets * logits, axis=1, keepdims=True)))
        residual = np.exp(logits - log_norm) - targets
    loss += 0.5 * float(np.sum(strength * w * w))
    gradient = (design.T @ residual + strength * w).ravel()
    check_overflow("LogisticRegression", "the cross-entropy or its gradient", loss, gradient)
    return loss, gradient
