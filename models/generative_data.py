"""Offline toy data for the generative models: bars-and-stripes and Gaussian mixtures.

Everything here is generated on demand from a seed (no files, nothing at import). Arrays are
numpy; the models convert with ``torch.as_tensor``.

* Bars-and-stripes (MacKay, *Information Theory, Inference, and Learning Algorithms*, 2003,
  §43): n x n binary images in which either every row or every column is constant. There are
  2^n row patterns and 2^n column patterns; the all-0 and all-1 images are both, so there are
  2^(n+1) - 2 distinct images. The RBM exercise (seed 000, §5.2) learns their uniform
  distribution, whose log-likelihood per pattern is -log(2^(n+1) - 2).
* Gaussian mixtures p(x) = Σ_k w_k N(x; μ_k, σ_k² 1) in one or two dimensions: the 1-D target
  of the GAN exercise (seed 000, §5.5) and the 2-D ring of the diffusion model.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labcoat.classic._checks import check_float, check_int
from labcoat.models._random import numpy_generator

__all__ = [
    "bars_and_stripes",
    "gaussian_mixture_density",
    "ring_means",
    "sample_bars_and_stripes",
    "sample_gaussian_mixture",
]


def bars_and_stripes(side: int) -> NDArray[np.float64]:
    """All 2^(side+1) - 2 distinct side x side bars-and-stripes images, flattened row-major.

    Row i of the result for i < 2^side is the image whose rows follow the bits of i (stripes);
    the remaining rows are the column patterns (bars) that are not all-0 or all-1.

    Args:
        side: the image side n (1..12).

    Returns:
        A float array of shape (2^(n+1) - 2, n*n) with entries 0 or 1, no two rows equal.
    """
    side = check_int("side", side, 1, 12)
    bits = (np.arange(2**side)[:, None] >> np.arange(side)[None, :]) & 1  # (2^n, n)
    stripes = np.repeat(bits[:, :, None], side, axis=2)  # (2^n, n, n): row r constant = bit r
    bars = np.swapaxes(stripes, 1, 2)[1:-1]  # columns constant; drop all-0 (0) and all-1 (last)
    images = np.concatenate([stripes, bars]).reshape(-1, side * side)
    return images.astype(np.float64)


def sample_bars_and_stripes(side: int, n_samples: int, *, seed: int) -> NDArray[np.float64]:
    """Draw images uniformly from the 2^(side+1) - 2 distinct bars-and-stripes patterns.

    Args:
        side: the image side n (1..12).
        n_samples: how many images (≥ 1).
        seed: seed of the ``np.random.Generator``.

    Returns:
        A float array of shape (n_samples, n*n) with entries 0 or 1.
    """
    n_samples = check_int("n_samples", n_samples, 1)
    patterns = bars_and_stripes(side)
    index = numpy_generator(seed).integers(len(patterns), size=n_samples)
    return patterns[index]


def ring_means(n_modes: int, radius: float = 1.0) -> NDArray[np.float64]:
    """Centres of ``n_modes`` Gaussians equally spaced on a circle, μ_k = r (cos φ_k, sin φ_k).

    Args:
        n_modes: number of modes (≥ 1), φ_k = 2πk / n_modes.
        radius: circle radius r (> 0).

    Returns:
        An array of shape (n_modes, 2).
    """
    n_modes = check_int("n_modes", n_modes, 1)
    radius = check_float("radius", radius, 0.0, low_open=True)
    phi = 2 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(phi), np.sin(phi)], axis=1)


def _mixture_arrays(
    means: ArrayLike, stds: ArrayLike, weights: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    mu = np.asarray(means, dtype=np.float64)
    if mu.ndim == 1:
        mu = mu[:, None]
    if mu.ndim != 2 or len(mu) == 0:
        raise ValueError(f"means must have shape (k,) or (k, d) with k ≥ 1, got {mu.shape}")
    sigma = np.broadcast_to(np.asarray(stds, dtype=np.float64), (len(mu),)).copy()
    if not np.all((sigma > 0) & np.isfinite(sigma)):
        raise ValueError(f"stds must be finite and > 0, got {sigma}")
    w = np.full(len(mu), 1 / len(mu)) if weights is None else np.asarray(weights, float)
    if w.shape != (len(mu),) or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
        raise ValueError(f"weights must be {len(mu)} non-negative numbers summing to 1, got {w}")
    return mu, sigma, w


def sample_gaussian_mixture(
    n_samples: int,
    means: ArrayLike,
    stds: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    seed: int,
) -> NDArray[np.float64]:
    """Draw from p(x) = Σ_k w_k N(x; μ_k, σ_k² 1): pick k ~ w, then x = μ_k + σ_k ε.

    Args:
        n_samples: how many points (≥ 1).
        means: μ_k, shape (k,) for 1-D or (k, d).
        stds: σ_k, a scalar or shape (k,), all > 0.
        weights: w_k (non-negative, summing to 1); uniform when None.
        seed: seed of the ``np.random.Generator``.

    Returns:
        An array of shape (n_samples, d) (d = 1 for 1-D means).
    """
    n_samples = check_int("n_samples", n_samples, 1)
    mu, sigma, w = _mixture_arrays(means, stds, weights)
    rng = numpy_generator(seed)
    k = rng.choice(len(mu), size=n_samples, p=w)
    return mu[k] + sigma[k, None] * rng.standard_normal((n_samples, mu.shape[1]))


def gaussian_mixture_density(
    x: ArrayLike, means: ArrayLike, stds: ArrayLike, weights: ArrayLike | None = None
) -> NDArray[np.float64]:
    """The 1-D mixture density p(x) = Σ_k w_k exp(-(x - μ_k)² / 2σ_k²) / (σ_k √(2π)).

    Args:
        x: points at which to evaluate, any shape.
        means: μ_k, shape (k,).
        stds: σ_k, a scalar or shape (k,).
        weights: w_k; uniform when None.

    Returns:
        p(x), the shape of ``x``.
    """
    mu, sigma, w = _mixture_arrays(means, stds, weights)
    if mu.shape[1] != 1:
        raise ValueError(f"means must be 1-D for the density, got shape {mu.shape}")
    z = (np.asarray(x, dtype=np.float64)[..., None] - mu[:, 0]) / sigma
    return np.sum(w * np.exp(-0.5 * z**2) / (sigma * np.sqrt(2 * np.pi)), axis=-1)
