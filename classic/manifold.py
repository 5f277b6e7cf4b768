"""t-distributed stochastic neighbour embedding (seed 000 §2.3) and the trustworthiness score.

Solver: gradient descent on the gradient (eq. 2.20) with momentum and per-coordinate gains
(the "delta-bar-delta" scheme of van der Maaten's reference implementation ``tsne.py``), early
exaggeration of P, and an optional PCA pre-reduction. P is sparse (nearest neighbours, an exact
blocked search screened in float32), so the attraction costs O(m k). The repulsion is summed
exactly over all pairs in cache-sized row blocks, O(m^2), or (``method="fft"``, the default above
``FFT_ABOVE`` points) by interpolation on a grid and FFT convolution as FIt-SNE does, O(m) per
iteration.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Literal

import numpy as np
import scipy.fft
import scipy.sparse

from labcoat.classic._base import (
    Estimator,
    check_array,
    make_rng,
    overflow_in,
    squared_distances,
)
from labcoat.classic._checks import check_choice, check_float, check_int
from labcoat.classic.decomposition import PCA

_BLOCK = 128  # rows per block of the dense repulsion: (128 x m) float32 stays in cache
FFT_ABOVE = 3000  # method="auto" sums the repulsion on a grid above this many points


_SCREEN_STRIDE = 8  # every 8th column bounds the k-th distance: about 8k candidates per row


def _nearest_neighbours(
    x: np.ndarray, k: int, block: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Indices and squared distances of the k nearest other points of every row (ascending).

    Exact brute force in row blocks. Each block is screened in float32 (one BLAS product with
    all points, ``|x_j|^2 - 2 x_i.x_j``): the k-th smallest value over every
    ``_SCREEN_STRIDE``-th column bounds the k-th distance from above, so only the few columns
    under the bound are kept, and among them those within the float32 error of the k-th; their
    distances are recomputed in float64 from the differences and sorted. The float32 error is
    bounded rigorously (``_screening_margin``), so the neighbours are the float64 ones.
    """
    m, n = x.shape
    centred = x - x.mean(axis=0)  # smaller norms, smaller float32 error
    radius = np.sqrt(np.einsum("ij,ij->i", centred, centred))
    scale = float(radius.max()) or 1.0  # screen at unit scale: float32's range holds any data
    x32 = (centred / scale).astype(np.float32)
    # [x_j, |x_j|^2] and [-2 x_i, 1]: one product gives |x_j|^2 - 2 x_i.x_j (x2 is exact)
    points = np.column_stack([x32, np.einsum("ij,ij->i", x32, x32)])
    queries = np.column_stack([-2.0 * x32, np.ones(m, dtype=np.float32)])
    margin = _screening_margin(radius / scale, n)
    stride = max(1, min(_SCREEN_STRIDE, (m - 1) // (k + 1)))
    block = max(16, 2**24 // m) if block is None else block
    indices = np.empty((m, k), dtype=np.intp)
    distances = np.empty((m, k))
    for start in range(0, m, block):
        stop = min(start + block, m)
        rows = np.arange(start, stop)
        screen = queries[start:stop] @ points.T  # (b, m)
        screen[rows - start, rows] = np.inf  # p_{i|i} = 0
        bound = np.partition(screen[:, ::stride], k - 1, axis=1)[:, k - 1]
        values, columns = _below(screen, bound + margin[start:stop])
        kth = np.partition(values, k - 1, axis=1)[:, k - 1, None]
        width = int(np.max(np.sum(values <= kth + margin[start:stop, None], axis=1)))
        if width < values.shape[1]:
            keep = np.argpartition(values, width - 1, axis=1)[:, :width]
            values = np.take_along_axis(values, keep, axis=1)
            columns = np.take_along_axis(columns, keep, axis=1)
        diff = centred[start:stop, None, :] - centred[columns]
        exact = np.einsum("ijk,ijk->ij", diff, diff)
        exact[np.isinf(values)] = np.inf  # padding
        order = np.argsort(exact, axis=1, kind="stable")[:, :k]
        indices[start:stop] = np.take_along_axis(columns, order, axis=1)
        distances[start:stop] = np.take_along_axis(exact, order, axis=1)
    return indices, distances


def _screening_margin(radius: np.ndarray, n: int) -> np.ndarray:
    """Twice a bound on the float32 error of ``|x_j|^2 - 2 x_i.x_j``, per row i.

    Rounding the inputs and summing n products in float32 err by at most about
    ``(n + 3) eps (|x_i| + |x_j|)^2`` (Higham's gamma_n); a point is among the k nearest only
    if its screened value is within twice that of the bound.
    """
    eps = float(np.finfo(np.float32).eps)
    return 2.0 * (n + 4) * eps * (radius + radius.max()) ** 2


def _below(screen: np.ndarray, bound: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the values <= the row's bound and their columns, padded with inf (column 0)."""
    rows, columns = np.nonzero(screen <= bound[:, None])
    counts = np.bincount(rows, minlength=screen.shape[0])
    slot = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
    values = np.full((screen.shape[0], int(counts.max())), np.inf, dtype=screen.dtype)
    padded = np.zeros(values.shape, dtype=np.intp)
    values[rows, slot] = screen[rows, columns]
    padded[rows, slot] = columns
    return values, padded


def conditional_probabilities(
    distances: np.ndarray, perplexity: float, tol: float = 1e-5, max_steps: int = 200
) -> np.ndarray:
    """Rows p_{j|i} (eq. 2.16) whose perplexity 2^H(P_i) (eqs. 2.21-2.22) equals ``perplexity``.

    Bisection on ``beta_i = 1 / (2 sigma_i^2)``, run for all rows at once: the entropy grows with
    sigma_i, so beta is doubled (halved) until the target is bracketed and then bisected.

    Args:
        distances: (m, k) squared distances from each point to its candidate neighbours.
        perplexity: the target effective number of neighbours.
        tol: tolerance on the entropy in nats.
        max_steps: bisection steps.

    Returns:
        (m, k) conditional probabilities; each row sums to 1.
    """
    distances = check_array(distances, "distances")
    k = distances.shape[1]
    perplexity = check_float("perplexity", perplexity, 0.0, k, low_open=True, high_open=True)
    tol = check_float("tol", tol, 0.0, low_open=True)
    max_steps = check_int("max_steps", max_steps, 1)
    d = distances - distances[:, :1]  # shift by the row minimum: p is unchanged, exp is safe
    target = np.log(perplexity)  # entropy in nats, log(Perp) = H ln 2
    beta = np.ones(d.shape[0])
    low = np.zeros_like(beta)
    high = np.full_like(beta, np.inf)
    for _ in range(max_steps):
        p = np.exp(-d * beta[:, None])
        total = p.sum(axis=1)
        entropy = np.log(total) + beta * (d * p).sum(axis=1) / total
        excess = entropy - target
        if np.all(np.abs(excess) < tol):
            break
        too_flat = excess > 0  # entropy too high: sigma too large, increase beta
        low = np.where(too_flat, beta, low)
        high = np.where(too_flat, high, beta)
        beta = np.where(
            np.isinf(high), beta * 2.0, np.where(low == 0.0, beta / 2.0, (low + high) / 2.0)
        )
        beta = np.where(too_flat & np.isfinite(high), (low + high) / 2.0, beta)
    p = np.exp(-d * beta[:, None])
    return p / p.sum(axis=1, keepdims=True)


def joint_probabilities(
    x: np.ndarray, perplexity: float, n_neighbors: int
) -> scipy.sparse.csr_array:
    """Symmetric p_ij = (p_{j|i} + p_{i|j}) / (2m) (eq. 2.17) over nearest neighbours."""
    x = check_array(x)
    m = x.shape[0]
    check_float("perplexity", perplexity, 0.0, low_open=True)
    n_neighbors = check_int("n_neighbors", n_neighbors, 1, m - 1)
    indices, distances = _nearest_neighbours(x, n_neighbors)
    conditional = conditional_probabilities(distances, perplexity)
    rows = np.repeat(np.arange(m), n_neighbors)
    p = scipy.sparse.csr_array((conditional.ravel(), (rows, indices.ravel())), shape=(m, m))
    p = (p + p.T).tocsr()
    p.sum_duplicates()
    p.sort_indices()
    return p / (2.0 * m)


def _repulsion_exact(y: np.ndarray) -> tuple[np.ndarray, float]:
    """(sum_j w_ij^2 (y_i - y_j), Z = sum_{k != l} w_kl), dense, in cache-sized row blocks."""
    m = y.shape[0]
    norms = np.einsum("ij,ij->i", y, y)
    minus_two_yt = -2.0 * y.T
    out = np.empty_like(y)
    z = 0.0
    for start in range(0, m, _BLOCK):
        stop = min(start + _BLOCK, m)
        w = y[start:stop] @ minus_two_yt  # (b, m): 1 + |y_i - y_j|^2 after two adds
        w += (norms[start:stop] + 1.0)[:, None]
        w += norms
        np.reciprocal(w, out=w)
        z += float(w.sum(dtype=np.float64))
        w *= w
        out[start:stop] = y[start:stop] * w.sum(axis=1)[:, None] - w @ y
    return out, z - m  # the diagonal w_ii = 1 is not part of Z


def _lagrange_weights(t: np.ndarray, n_points: int) -> np.ndarray:
    """(len(t), n_points) Lagrange basis on the nodes (j + 1/2) / n_points of [0, 1], at t."""
    nodes = ((np.arange(n_points) + 0.5) / n_points).astype(t.dtype)
    weights = np.ones((t.shape[0], n_points), dtype=t.dtype)
    for j in range(n_points):
        for other in range(n_points):
            if other != j:
                weights[:, j] *= (t - nodes[other]) / (nodes[j] - nodes[other])
    return weights


def _padded_transform(grid: np.ndarray, length: int) -> np.ndarray:
    """``rfftn`` over all axes but the first, each zero-padded to ``length``.

    One axis at a time, last first, so each 1-D transform runs only over the lines that hold
    charges (the padding of the axes not yet transformed is never visited).
    """
    spectrum = scipy.fft.rfft(grid, n=length, axis=-1)
    for axis in range(grid.ndim - 2, 0, -1):
        spectrum = scipy.fft.fft(spectrum, n=length, axis=axis, overwrite_x=True)
    return spectrum


def _cropped_inverse(spectrum: np.ndarray, length: int, size: int) -> np.ndarray:
    """The inverse of :func:`_padded_transform`, keeping the first ``size`` nodes per axis.

    Cropping after each axis's inverse transform leaves the next one fewer lines to transform.
    """
    for axis in range(1, spectrum.ndim - 1):
        spectrum = scipy.fft.ifft(spectrum, axis=axis, overwrite_x=True)
        spectrum = spectrum[(slice(None),) * axis + (slice(0, size),)]
    return scipy.fft.irfft(spectrum, n=length, axis=-1)[..., :size]


class _FFTRepulsion:
    """The repulsion and Z by polynomial interpolation on a grid and FFT convolution (FIt-SNE).

    Linderman et al. (2019): the embedding's bounding box is cut into ``n_boxes`` intervals per
    axis (at least ``min_num_intervals``, at most one unit of y wide, the kernel's scale), each
    with ``n_interpolation_points`` equispaced nodes. Every point spreads its charges onto the
    nodes of its box with Lagrange weights ``W`` (m x nodes, sparse); the kernels are summed
    between the nodes, a uniform grid, as one zero-padded FFT convolution; ``W`` interpolates
    the potentials back. Charges ``1, y_1..y_d`` with kernel ``w^2`` give
    ``sum_j w_ij^2 (y_i - y_j)``, charge ``1`` with kernel ``w`` gives ``Z``; O(m + N log N)
    per call for N grid nodes instead of O(m^2). The error falls geometrically with the nodes
    per interval (3, the default, as FIt-SNE: about 3% of the repulsion on unit intervals).
    """

    def __init__(self, n_interpolation_points: int, min_num_intervals: int) -> None:
        self.n_points = n_interpolation_points
        self.min_intervals = min_num_intervals
        self._cache_key: tuple | None = None
        self._cache = np.empty(0)

    def __call__(self, y: np.ndarray) -> tuple[np.ndarray, float]:
        """(sum_j w_ij^2 (y_i - y_j), Z), the same as :func:`_repulsion_exact` up to the grid."""
        m, d = y.shape
        low = y.min(axis=0)
        span = float((y.max(axis=0) - low).max())
        width, n_boxes = self._grid(span)
        interpolation, size = self._spread(y, low, width, n_boxes)
        centred = y - (low + span / 2.0)  # small coordinates: less cancellation below
        charges = np.column_stack([np.ones(m, dtype=y.dtype), centred])  # (m, d + 1)
        grid = (interpolation.T @ charges).T.reshape((d + 1,) + (size,) * d)
        potentials, z = self._convolve(grid, width / self.n_points)
        phi = interpolation @ potentials.reshape(d + 1, -1).T  # (m, d + 1): sum_j w_ij^2 q_j
        return centred * phi[:, :1] - phi[:, 1:], z - m  # the self terms cancel; w_ii = 1

    def _grid(self, span: float) -> tuple[float, int]:
        """Interval width and intervals per axis covering ``span``.

        The width is at most 1 (the kernel's scale) and at least ``span / min_num_intervals``,
        rounded up to a power of 2^(1/4); the number of intervals is the most that fit the
        padded FFT length the span needs. Both change only now and then as the embedding
        grows, so the kernels' transforms are reused between iterations.
        """
        ratio = max(span, 1e-12) / self.min_intervals
        width = min(1.0, 2.0 ** (math.ceil(4.0 * math.log2(ratio)) / 4.0))
        needed = max(self.min_intervals, int(span / width) + 1)
        length = scipy.fft.next_fast_len(2 * needed * self.n_points - 1, real=True)
        return width, max(needed, (length + 1) // 2 // self.n_points)

    def _spread(
        self, y: np.ndarray, low: np.ndarray, width: float, n_boxes: int
    ) -> tuple[scipy.sparse.csr_array, int]:
        """The sparse (m, size^d) interpolation matrix and the grid's nodes per axis."""
        m, d = y.shape
        p = self.n_points
        size = n_boxes * p
        scaled = (y - low) / width
        box = np.minimum(scaled.astype(np.intp), n_boxes - 1)
        weights = np.ones((m, 1), dtype=y.dtype)
        index = np.zeros((m, 1), dtype=np.intp)
        for axis in range(d):  # tensor product of the per-axis weights, row-major node index
            local = _lagrange_weights(scaled[:, axis] - box[:, axis].astype(y.dtype), p)
            nodes = box[:, axis, None] * p + np.arange(p)
            weights = (weights[:, :, None] * local[:, None, :]).reshape(m, -1)
            index = (index[:, :, None] * size + nodes[:, None, :]).reshape(m, -1)
        indptr = np.arange(0, m * p**d + 1, p**d)
        matrix = scipy.sparse.csr_array(
            (weights.ravel(), index.ravel(), indptr), shape=(m, size**d)
        )
        return matrix, size

    def _convolve(self, grid: np.ndarray, spacing: float) -> tuple[np.ndarray, float]:
        """Node sums of w^2 times each charge grid (zero-padded FFT), and sum_ij w_ij.

        With ``c`` the first (unit) charge grid, ``sum_ij w_ij = <c, w * c>``, which Parseval's
        theorem gives from the spectra alone: ``sum_k |c_k|^2 w_k / N`` (no inverse transform).
        """
        d = grid.ndim - 1
        size = grid.shape[1]
        length = scipy.fft.next_fast_len(2 * size - 1, real=True)
        squared_hat, plain_hat = self._kernels_hat(length, size, spacing, d, grid.dtype)
        charges_hat = _padded_transform(grid, length)
        unit = charges_hat[0]
        power = (unit.real**2 + unit.imag**2) * plain_hat
        half = (length - 1) // 2  # rfft bins 1..half stand for two bins of the full spectrum
        total = float(power.sum(dtype=np.float64) + power[..., 1 : half + 1].sum(dtype=np.float64))
        charges_hat *= squared_hat
        return _cropped_inverse(charges_hat, length, size), total / length**d

    def _kernels_hat(
        self, length: int, size: int, spacing: float, d: int, dtype: np.dtype
    ) -> np.ndarray:
        """FFTs of w^2 and w = 1 / (1 + r^2) on the padded grid; the last pair is reused."""
        key = (length, size, spacing, d, dtype)
        if self._cache_key != key:
            # circular layout, -(size-1)..-1 at the end; the unused middle mirrored too, so the
            # kernel is even and its transform real
            steps = np.arange(length)
            offsets = np.minimum(steps, length - steps).astype(dtype) * spacing
            squares = offsets * offsets
            kernel = functools.reduce(np.add.outer, [squares] * d)  # |offset|^2
            kernel += 1.0
            np.reciprocal(kernel, out=kernel)
            axes = tuple(range(1, d + 1))
            both = scipy.fft.rfftn(np.stack([kernel * kernel, kernel]), axes=axes)
            self._cache = np.ascontiguousarray(both.real)
            self._cache_key = key
        return self._cache


class _Gradient:
    """dL/dy_i = 4 sum_j (p_ij - q_ij)(y_i - y_j)(1 + |y_i - y_j|^2)^-1 (eq. 2.20).

    P is symmetric with a zero diagonal, so the attraction visits each pair once: the strictly
    upper triangle U, summed as ``U + U^T``.
    """

    def __init__(
        self,
        p: scipy.sparse.csr_array,
        dtype: type,
        repulsion: Callable[[np.ndarray], tuple[np.ndarray, float]] = _repulsion_exact,
    ) -> None:
        upper = scipy.sparse.triu(p, k=1, format="csr")
        self.row_counts = np.diff(upper.indptr)
        self.rows = np.repeat(np.arange(p.shape[0]), self.row_counts)
        self.cols = upper.indices
        self.p_upper = upper.data  # float64, for the KL divergence
        self.p_data = upper.data.astype(dtype)
        self.weighted = upper.astype(dtype)  # data replaced by p_ij w_ij each call
        self.p_log_p = float(np.sum(p.data * np.log(np.maximum(p.data, 1e-300))))
        self._repulsion = repulsion

    def __call__(
        self, y: np.ndarray, exaggeration: float, with_kl: bool = False
    ) -> tuple[np.ndarray, float]:
        """The gradient at ``y`` (P times ``exaggeration``) and, if asked, the KL divergence.

        The KL divergence (eq. 2.19, of the plain P) reuses the pass: ``sum p log p`` is fixed,
        ``-sum p_ij log w_ij = sum p_ij log(1 + |y_i - y_j|^2)`` and ``log Z`` are at hand.
        """
        attraction, one_plus_d2 = self._attraction(y)
        repulsion, z = self._repulsion(y)
        grad = 4.0 * (exaggeration * attraction - repulsion / z)
        kl = math.nan
        if with_kl:
            log_w = 2.0 * float(np.sum(self.p_data * np.log(one_plus_d2), dtype=np.float64))
            kl = self.p_log_p + log_w + math.log(z)
        return grad.astype(y.dtype, copy=False), kl

    def _attraction(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """sum_j p_ij w_ij (y_i - y_j) over the sparse P; and 1 + |y_i - y_j|^2 = 1 / w_ij on U."""
        m, d = y.shape
        s = np.ones(self.rows.shape[0], dtype=y.dtype)
        for column in y.T:  # per coordinate: contiguous gathers
            column = np.ascontiguousarray(column)
            diff = np.repeat(column, self.row_counts)
            diff -= column[self.cols]
            diff *= diff
            s += diff
        self.weighted.data = self.p_data / s  # p_ij w_ij
        augmented = np.ones((m, d + 1), dtype=y.dtype)
        augmented[:, :d] = y
        sums = self.weighted @ augmented  # sum_j p_ij w_ij y_j and sum_j p_ij w_ij at once
        sums += self.weighted.T @ augmented  # the lower triangle
        return y * sums[:, d:] - sums[:, :d], s

    def kl_divergence(self, y: np.ndarray) -> float:
        """L = sum_ij p_ij log(p_ij / q_ij) (eq. 2.19), q_ij = w_ij / Z (eq. 2.18)."""
        y64 = y.astype(np.float64)
        _, z = self._repulsion(y64)
        diff = y64[self.rows] - y64[self.cols]
        log_w = -np.log1p(np.einsum("ij,ij->i", diff, diff))
        return self.p_log_p - 2.0 * float(np.sum(self.p_upper * log_w)) + math.log(z)


class TSNE(Estimator):
    """t-SNE: minimize KL(P || Q) (eq. 2.19) between Gaussian input and Student-t output affinities.

    ``p_ij`` (eqs. 2.16-2.17) is calibrated per point to the given perplexity by bisection
    (eqs. 2.21-2.22) over the ``n_neighbors`` nearest neighbours (van der Maaten 2014 uses
    3 x perplexity, as scikit-learn; on the digits at perplexity 30 the pairs left out hold 2%
    of the all-pairs P's mass);
    ``q_ij = (1 + |y_i - y_j|^2)^-1 / Z`` (eq. 2.18) runs over all pairs: the repulsive part of
    the gradient (eq. 2.20) and Z are summed exactly, O(m^2), or on an interpolation grid by FFT
    (FIt-SNE, Linderman et al. 2019), O(m), for 1 or 2 components. The descent multiplies P by
    ``early_exaggeration`` for the first ``early_exaggeration_iter`` iterations with momentum
    0.5, then momentum 0.8; every coordinate has a gain, +0.2 when its gradient changes sign,
    x0.8 otherwise (min 0.01).

    Args:
        n_components: dimension of the embedding (2 or 3 are the useful values).
        perplexity: effective number of neighbours, typically 5-50.
        early_exaggeration: factor on P during the early phase.
        learning_rate: step size, or "auto" = max(m / early_exaggeration, 50).
        max_iter: total gradient iterations (scikit-learn uses 1000; with the gains the KL
            divergence of the 1,797 digits has levelled off by 750).
        early_exaggeration_iter: iterations with exaggeration and low momentum.
        n_neighbors: candidate neighbours per point for P, "auto" = min(m - 1, 3 perplexity).
        init: "pca" (first principal components scaled to standard deviation 1e-4; the random
            start if all points coincide) or "random" (Gaussian, standard deviation 1e-4).
        pca_components: if set, reduce X to this many principal components first.
        dtype: "float32" (fast) or "float64" for the embedding and the repulsion.
        method: "exact" (all pairs), "fft" (grid interpolation, n_components <= 2) or "auto"
            (fft above ``FFT_ABOVE`` = 3000 points when n_components <= 2, else exact).
        n_interpolation_points: fft only: nodes per grid interval (3 as FIt-SNE; more is more
            accurate and slower, the work grows with its square).
        min_num_intervals: fft only: the fewest grid intervals per axis; an interval is at
            most one unit of the embedding wide.
        random_state: seed or numpy Generator for the random initialization.

    Attributes:
        embedding_: (m, n_components) the embedding.
        kl_divergence_: the final KL divergence (eq. 2.19).
        kl_history_: (iteration, KL) every 50 iterations, computed in the gradient pass (in
            ``dtype``; the last is ``kl_divergence_``).
        n_iter_: iterations run.
    """

    def __init__(
        self,
        n_components: int = 2,
        perplexity: float = 30.0,
        early_exaggeration: float = 12.0,
        learning_rate: float | Literal["auto"] = "auto",
        max_iter: int = 750,
        early_exaggeration_iter: int = 250,
        n_neighbors: int | Literal["auto"] = "auto",
        init: Literal["pca", "random"] = "pca",
        pca_components: int | None = None,
        dtype: Literal["float32", "float64"] = "float32",
        method: Literal["auto", "exact", "fft"] = "auto",
        n_interpolation_points: int = 3,
        min_num_intervals: int = 50,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_components = n_components
        self.perplexity = perplexity
        self.early_exaggeration = early_exaggeration
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.early_exaggeration_iter = early_exaggeration_iter
        self.n_neighbors = n_neighbors
        self.init = init
        self.pca_components = pca_components
        self.dtype = dtype
        self.method = method
        self.n_interpolation_points = n_interpolation_points
        self.min_num_intervals = min_num_intervals
        self.random_state = random_state

    def _check_params(self, m: int) -> None:
        check_int("n_components", self.n_components, 1)
        check_float("perplexity", self.perplexity, 0.0, m, low_open=True, high_open=True)
        check_float("early_exaggeration", self.early_exaggeration, 0.0, low_open=True)
        if isinstance(self.learning_rate, str):
            check_choice("learning_rate", self.learning_rate, ("auto",))
        else:
            check_float("learning_rate", self.learning_rate, 0.0, low_open=True)
        check_int("max_iter", self.max_iter, 1)
        check_int("early_exaggeration_iter", self.early_exaggeration_iter, 0)
        if isinstance(self.n_neighbors, str):
            check_choice("n_neighbors", self.n_neighbors, ("auto",))
        else:
            check_int("n_neighbors", self.n_neighbors, 1, m - 1)
        if self.pca_components is not None:
            check_int("pca_components", self.pca_components, 1)
        check_choice("init", self.init, ("pca", "random"))
        check_choice("dtype", self.dtype, ("float32", "float64"))
        check_choice("method", self.method, ("auto", "exact", "fft"))
        if self.method == "fft" and self.n_components > 2:
            raise ValueError(
                f"method='fft' needs n_components in [1, 2], got {self.n_components}; "
                "use method='exact'"
            )
        check_int("n_interpolation_points", self.n_interpolation_points, 1)
        check_int("min_num_intervals", self.min_num_intervals, 1)

    def _repulsion(self, m: int) -> Callable[[np.ndarray], tuple[np.ndarray, float]]:
        """The exact or the FFT-interpolated repulsion, as ``method`` asks."""
        fft = self.method == "fft" or (
            self.method == "auto" and m > FFT_ABOVE and self.n_components <= 2
        )
        if not fft:
            return _repulsion_exact
        return _FFTRepulsion(self.n_interpolation_points, self.min_num_intervals)

    def _initial(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.init == "pca":
            y = PCA(self.n_components).fit_transform(x)
            scale = float(np.std(y[:, 0]))
            # All points coincide: a spread of 0, or of rounding noise (the mean is off by an
            # ulp of the data); fall back to the random start.
            noise = 64.0 * np.finfo(np.float64).eps * max(np.abs(y[:, 0]).max(), np.abs(x).max())
            if scale > noise:
                return y / scale * 1e-4
        return rng.normal(scale=1e-4, size=(x.shape[0], self.n_components))

    def fit(self, X: np.ndarray, y: None = None) -> TSNE:
        """Embed ``X`` (m x n); returns self (the embedding is ``embedding_``)."""
        x = check_array(X)
        m = x.shape[0]
        self._check_params(m)
        k = min(m - 1, int(3 * self.perplexity)) if self.n_neighbors == "auto" else self.n_neighbors
        if self.perplexity >= k:
            raise ValueError(
                f"perplexity must be < the number of neighbours k = {k} (n_neighbors, at most "
                f"n_samples - 1 = {m - 1}): over k neighbours it cannot exceed k; "
                f"got {self.perplexity}"
            )
        self._check_distances(x)
        rng = make_rng(self.random_state)
        with overflow_in("TSNE"):
            if self.pca_components is not None:
                x = PCA(min(self.pca_components, x.shape[1])).fit_transform(x)
            y_init = self._initial(x, rng).astype(self.dtype)
        gradient = _Gradient(
            joint_probabilities(x, self.perplexity, k),
            np.dtype(self.dtype).type,
            self._repulsion(m),
        )
        eta = (
            max(m / self.early_exaggeration, 50.0)
            if self.learning_rate == "auto"
            else float(self.learning_rate)
        )
        self.embedding_, self.kl_history_ = self._descend(gradient, y_init, eta)
        self.kl_divergence_ = gradient.kl_divergence(self.embedding_)
        if self.max_iter % 50 == 0:
            self.kl_history_.append((self.max_iter, self.kl_divergence_))
        self.n_iter_ = self.max_iter
        return self

    def _descend(
        self, gradient: _Gradient, y: np.ndarray, eta: float
    ) -> tuple[np.ndarray, list[tuple[int, float]]]:
        """Momentum gradient descent with gains (van der Maaten's tsne.py)."""
        update = np.zeros_like(y)
        gains = np.ones_like(y)
        history: list[tuple[int, float]] = []
        for iteration in range(self.max_iter):
            early = iteration < self.early_exaggeration_iter
            exaggeration = self.early_exaggeration if early else 1.0
            momentum = 0.5 if early else 0.8
            check = iteration > 0 and iteration % 50 == 0  # y after `iteration` updates
            grad, kl = gradient(y, exaggeration, with_kl=check)
            if check:
                history.append((iteration, kl))
            same_sign = (grad > 0) == (update > 0)
            gains = np.where(same_sign, gains * 0.8, gains + 0.2)
            np.maximum(gains, 0.01, out=gains)
            update = momentum * update - eta * gains * grad
            y = y + update
            y -= y.mean(axis=0)
        return y.astype(np.float64), history

    def fit_transform(self, X: np.ndarray, y: None = None) -> np.ndarray:
        """``fit(X)`` and return ``embedding_``."""
        return self.fit(X).embedding_


def trustworthiness(X: np.ndarray, X_embedded: np.ndarray, n_neighbors: int = 5) -> float:
    """How well an embedding keeps neighbourhoods (Venna & Kaski 2001), in [0, 1].

    ``T(k) = 1 - 2 / (m k (2m - 3k - 1)) sum_i sum_{j in U_k(i)} (r(i, j) - k)`` where ``U_k(i)``
    are the points among the k nearest neighbours of i in the embedding but not in the input
    space, and ``r(i, j)`` is the rank of j among i's neighbours in the input space.
    """
    x = check_array(X)
    e = check_array(X_embedded, "X_embedded")
    m = x.shape[0]
    if e.shape[0] != m:
        raise ValueError(f"X_embedded must have {m} rows, got {e.shape[0]}")
    n_neighbors = check_int("n_neighbors", n_neighbors, 1, (m - 1) // 2)  # k < m / 2
    d_input = squared_distances(x, x)
    np.fill_diagonal(d_input, np.inf)
    order = np.argsort(d_input, axis=1, kind="stable")
    ranks = np.empty_like(order)
    ranks[np.arange(m)[:, None], order] = np.arange(1, m + 1)[None, :]
    embedded, _ = _nearest_neighbours(e, n_neighbors)
    penalty = np.take_along_axis(ranks, embedded, axis=1) - n_neighbors
    total = float(np.sum(np.maximum(penalty, 0)))
    return 1.0 - 2.0 / (m * n_neighbors * (2.0 * m - 3.0 * n_neighbors - 1.0)) * total
