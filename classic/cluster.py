"""k-means clustering by Lloyd's algorithm (seed 000 §2.4; seed 001 "Clustering").

Each Lloyd iteration assigns every point to its nearest centroid (eq. 2.26) and moves each
centroid to the mean of its points (eq. 2.25); neither step can increase the loss (eq. 2.24),
so the objective's history is non-increasing. (Seed 001 names the two steps "E" and "M" the
other way round, see ERRATA; the algorithm is the same.)
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse

from labcoat.classic._base import (
    Estimator,
    check_array,
    check_features,
    make_rng,
    squared_distances,
)
from labcoat.classic._checks import (
    check_choice,
    check_finite_array,
    check_float,
    check_int,
)


def kmeans_plusplus(
    x: np.ndarray, n_clusters: int, rng: np.random.Generator, n_local_trials: int | None = None
) -> np.ndarray:
    """k-means++ seeding (Arthur & Vassilvitskii 2007), greedy variant.

    The first centre is a uniformly random point; each next centre is drawn with probability
    proportional to ``D(x)^2``, the squared distance to the nearest centre chosen so far. The
    greedy variant draws ``2 + log(k)`` candidates each time and keeps the one that lowers the
    potential ``sum_x D(x)^2`` most (as scikit-learn does).

    Returns:
        (n_clusters, n_features) initial centroids.
    """
    x = check_array(x)
    m = x.shape[0]
    n_clusters = check_int("n_clusters", n_clusters, 1, m)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator, got {rng!r}")
    if n_local_trials is None:
        trials = 2 + int(np.log(n_clusters))
    else:
        trials = check_int("n_local_trials", n_local_trials, 1)
    centres = np.empty((n_clusters, x.shape[1]))
    centres[0] = x[rng.integers(m)]
    closest = squared_distances(centres[:1], x)[0]
    for c in range(1, n_clusters):
        potential = closest.sum()
        if potential <= 0:
            candidates = rng.integers(m, size=trials)
        else:
            cumulative = np.cumsum(closest)
            draws = rng.random(trials) * potential
            candidates = np.minimum(np.searchsorted(cumulative, draws), m - 1)
        distances = np.minimum(closest, squared_distances(x[candidates], x))
        best = int(np.argmin(distances.sum(axis=1)))
        centres[c] = x[candidates[best]]
        closest = distances[best]
    return centres


def _assign(xt: np.ndarray, x_norms: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, float]:
    """Nearest-centroid labels (eq. 2.26) and the loss sum_i |x_i - mu_label|^2 (eq. 2.24).

    ``xt`` is the transposed data (n, m): the (k, m) table of ``|mu_j|^2 - 2 mu_j . x_i`` is
    reduced along its first axis, which numpy does with contiguous row operations. The first
    minimum (as ``argmin``, which would copy along that axis) is ``k - max_j rank_j`` over the
    minima, with rank ``k - j`` for centroid j.
    """
    k = centres.shape[0]
    d = (-2.0 * centres) @ xt  # (k, m)
    d += np.einsum("ij,ij->i", centres, centres)[:, None]
    nearest = d.min(axis=0)
    rank_type = np.int16 if k < 2**15 else np.int64
    rank = np.arange(k, 0, -1, dtype=rank_type)[:, None]
    labels = (k - np.multiply(d == nearest, rank, dtype=rank_type).max(axis=0)).astype(np.intp)
    nearest += x_norms
    np.maximum(nearest, 0.0, out=nearest)
    return labels, float(nearest.sum())


def _centroids(x: np.ndarray, labels: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Cluster means mu_j = sum_i w_ij x_i / sum_i w_ij (eq. 2.25); empty clusters stay put.

    The sums are one sparse product ``W^T X``, ``W^T`` the (k, m) one-hot assignment (column i
    holds a 1 in row ``labels[i]``).
    """
    m, k = labels.shape[0], previous.shape[0]
    counts = np.bincount(labels, minlength=k)
    one_hot_t = scipy.sparse.csc_array((np.ones(m), labels, np.arange(m + 1)), shape=(k, m))
    sums = one_hot_t @ x
    centres = previous.copy()
    filled = counts > 0
    centres[filled] = sums[filled] / counts[filled, None]
    return centres


def lloyd(
    x: np.ndarray, centres: np.ndarray, max_iter: int, tol: float
) -> tuple[np.ndarray, np.ndarray, list[float], int]:
    """Lloyd iterations from ``centres`` until the labels repeat or the centres move <= ``tol``.

    Iterations are counted as scikit-learn counts them (one per update step; the pass that
    finds the labels unchanged counts too, up to ``max_iter``), so the counts compare.

    Returns:
        centres, labels, the loss (eq. 2.24) after each assignment step, iterations run.
    """
    x, centres = check_array(x), check_array(centres, "centres")
    if centres.shape[1] != x.shape[1]:
        raise ValueError(f"centres must have shape (k, {x.shape[1]}), got {centres.shape}")
    max_iter = check_int("max_iter", max_iter, 0)
    tol = check_float("tol", tol, 0.0)
    xt = np.ascontiguousarray(x.T)
    x_norms = np.einsum("ij,ij->i", x, x)
    labels, loss = _assign(xt, x_norms, centres)
    history = [loss]
    for iteration in range(1, max_iter + 1):
        new_centres = _centroids(x, labels, centres)
        shift = float(((new_centres - centres) ** 2).sum())
        centres = new_centres
        new_labels, loss = _assign(xt, x_norms, centres)
        history.append(loss)
        unchanged = np.array_equal(new_labels, labels)
        labels = new_labels
        if shift <= tol:
            return centres, labels, history, iteration
        if unchanged:  # scikit-learn counts the pass that finds the labels unchanged
            return centres, labels, history, min(iteration + 1, max_iter)
    return centres, labels, history, max_iter


class KMeans(Estimator):
    """k-means clustering: Lloyd's algorithm with ``n_init`` restarts, keeping the lowest loss.

    Minimizes ``L = sum_i sum_j w_ij |x_i - mu_j|^2`` (eq. 2.24) by alternating eq. 2.26
    (assign each point to its nearest centroid) and eq. 2.25 (centroids = cluster means).

    Args:
        n_clusters: number of clusters k.
        init: "k-means++" (greedy k-means++ seeding), "random" (k distinct data points drawn
            at random, the notes' initialization) or a (k, n) array of initial centroids (as
            scikit-learn accepts, to compare runs from the same start; ``n_init`` must be 1).
        n_init: number of restarts from independent initializations.
        max_iter: maximum Lloyd iterations per restart.
        tol: stop when the squared centroid shift falls below ``tol * mean feature variance``
            (or when the assignment no longer changes).
        random_state: seed or numpy Generator, resolved in ``fit``.

    Attributes:
        cluster_centers_: (k, n) centroids of the best restart.
        labels_: (m,) cluster of each training point.
        inertia_: the loss (eq. 2.24) of the best restart.
        objective_history_: the loss after every assignment step of the best restart
            (non-increasing).
        n_iter_: Lloyd iterations of the best restart.
    """

    def __init__(
        self,
        n_clusters: int = 8,
        init: Literal["k-means++", "random"] | np.ndarray = "k-means++",
        n_init: int = 1,
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _check_params(self, x: np.ndarray) -> np.ndarray | None:
        """Check the arguments against ``x``; return the initial centroids if ``init`` is one."""
        m, n = x.shape
        check_int("n_clusters", self.n_clusters, 1, m)
        check_int("n_init", self.n_init, 1)
        check_int("max_iter", self.max_iter, 1)
        check_float("tol", self.tol, 0.0)
        if isinstance(self.init, str):
            check_choice("init", self.init, ("k-means++", "random"))
            return None
        centres = check_finite_array("init", self.init)
        if centres.shape != (self.n_clusters, n):
            raise ValueError(
                f"init must be 'k-means++', 'random' or an array of shape (n_clusters, "
                f"n_features) = ({self.n_clusters}, {n}), got shape {centres.shape}"
            )
        if self.n_init != 1:
            raise ValueError(
                f"n_init must be 1 when init is an array of centroids, got {self.n_init}"
            )
        return centres

    def _start(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Initial centroids: k-means++ seeding or k distinct random data points."""
        if self.init == "k-means++":
            return kmeans_plusplus(x, self.n_clusters, rng)
        return x[rng.choice(x.shape[0], size=self.n_clusters, replace=False)]

    def fit(self, X: np.ndarray, y: None = None) -> KMeans:
        """Cluster ``X`` (m x n); returns self."""
        x = check_array(X)
        given = self._check_params(x)
        rng = make_rng(self.random_state)
        self._check_distances(x)
        tol = self.tol * float(np.mean(np.var(x, axis=0)))
        self._check_overflow("the variance of X", tol)
        best: tuple[np.ndarray, np.ndarray, list[float], int] | None = None
        for _ in range(self.n_init):
            start = given.copy() if given is not None else self._start(x, rng)
            run = lloyd(x, start, self.max_iter, tol)
            if best is None or run[2][-1] < best[2][-1]:
                best = run
        assert best is not None
        self._check_overflow("the loss sum_i |x_i - mu_j|^2", best[2][-1])
        self.cluster_centers_, self.labels_, self.objective_history_, self.n_iter_ = best
        self.inertia_ = self.objective_history_[-1]
        self.n_features_in_ = x.shape[1]
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Nearest-centroid labels of new points (eq. 2.26)."""
        self._check_fitted("cluster_centers_")
        x = check_features(X, self.n_features_in_)
        return np.argmin(squared_distances(x, self.cluster_centers_), axis=1)

    def fit_predict(self, X: np.ndarray, y: None = None) -> np.ndarray:
        """``fit(X)`` and return ``labels_``."""
        return self.fit(X).labels_

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Euclidean distances from each point to each centroid, shape (m, k)."""
        self._check_fitted("cluster_centers_")
        x = check_features(X, self.n_features_in_)
        return np.sqrt(squared_distances(x, self.cluster_centers_))

    def score(self, X: np.ndarray, y: None = None) -> float:
        """Minus the loss (eq. 2.24) of ``X`` under the fitted centroids."""
        distances = self.transform(X)
        return -float((distances.min(axis=1) ** 2).sum())
