"""Restricted Boltzmann machine with Bernoulli units (seed 000, §5.2, eqs. 5.3-5.14).

Notation of the notes: visible units v ∈ {0,1}^n_v, hidden units h ∈ {0,1}^n_h, visible bias
a, hidden bias b, weights W of shape (n_v, n_h), energy (eq. 5.3)

    E(v, h) = -a·v - b·h - v·W h,

joint P(v, h) = exp(-E)/Z (eqs. 5.4-5.5) and marginal P(v) = exp(-F(v))/Z (eq. 5.6) with the
free energy F(v) = -a·v - Σ_j log(1 + exp(b_j + (vW)_j)). The conditionals are eqs. 5.7-5.8.

Training follows Algorithm 4 (contrastive divergence, CD-k, eq. 5.14) with the standard
per-batch mean of the update (ERRATA: the printed algorithm neither resets nor averages its
accumulator), optionally with persistent chains (PCD, Tieleman 2008): the negative samples
are continued from the previous batch's chains instead of restarting at the data.

For small models the partition function is exact: log Z = logsumexp over the 2^min(n_v, n_h)
states of the smaller layer, with the other layer summed out analytically.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from numpy.typing import ArrayLike
from torch import Tensor, nn
from torch.nn.functional import softplus

from labcoat.classic._checks import check_bool, check_float, check_int
from labcoat.models._checks import check_finite
from labcoat.models._random import DeviceLike, check_device, torch_generator
from labcoat.models.training import CallbackLike, CallbackList

__all__ = [
    "RBM",
    "RBMHistory",
    "binary_states",
    "contrastive_divergence_gradient",
    "train_rbm",
]

_MAX_ENUMERATED_UNITS = 24


def binary_states(
    n_units: int, dtype: torch.dtype = torch.float64, device: DeviceLike = "cpu"
) -> Tensor:
    """All 2^n binary vectors of length n; row i holds the bits of i (least significant first).

    Args:
        n_units: vector length n (0..24).
        dtype: dtype of the result.
        device: where the result lives.

    Returns:
        A tensor of shape (2^n, n) with entries 0 or 1.
    """
    n_units = check_int("n_units", n_units, 0, _MAX_ENUMERATED_UNITS)
    index = torch.arange(2**n_units, device=device)[:, None]
    return ((index >> torch.arange(n_units, device=device)[None, :]) & 1).to(dtype)


def _conditional(bias: Tensor, units: Tensor, weight: Tensor) -> Tensor:
    """σ(bias + units @ weight): P(h=1|v) with (b, v, W) (eq. 5.8), P(v=1|h) with (a, h, Wᵀ)."""
    return torch.sigmoid(bias + units @ weight)


class RBM(nn.Module):
    """Bernoulli-Bernoulli restricted Boltzmann machine (seed 000, eqs. 5.3-5.8).

    Args:
        n_visible: number of visible units n_v (≥ 1).
        n_hidden: number of hidden units n_h (≥ 1).
        seed: seed of the ``torch.Generator`` drawing the initial weights W ~ N(0, scale²).
        weight_scale: standard deviation of the initial weights (≥ 0); biases start at 0.
        dtype: floating dtype of the parameters (float64 keeps exact log Z accurate).

    Attributes:
        weight: W, shape (n_visible, n_hidden).
        visible_bias: a, shape (n_visible,).
        hidden_bias: b, shape (n_hidden,).
    """

    def __init__(
        self,
        n_visible: int,
        n_hidden: int,
        *,
        seed: int = 0,
        weight_scale: float = 0.01,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__()
        n_visible = check_int("n_visible", n_visible, 1)
        n_hidden = check_int("n_hidden", n_hidden, 1)
        weight_scale = check_float("weight_scale", weight_scale, 0.0)
        generator = torch_generator(seed)
        w = weight_scale * torch.randn(n_visible, n_hidden, generator=generator, dtype=dtype)
        self.weight = nn.Parameter(w, requires_grad=False)
        self.visible_bias = nn.Parameter(torch.zeros(n_visible, dtype=dtype), requires_grad=False)
        self.hidden_bias = nn.Parameter(torch.zeros(n_hidden, dtype=dtype), requires_grad=False)

    @property
    def n_visible(self) -> int:
        """Number of visible units n_v."""
        return self.weight.shape[0]

    @property
    def n_hidden(self) -> int:
        """Number of hidden units n_h."""
        return self.weight.shape[1]

    def energy(self, v: Tensor, h: Tensor) -> Tensor:
        """E(v, h) = -a·v - b·h - v·W h (eq. 5.3), batched over leading rows."""
        return -(v @ self.visible_bias) - h @ self.hidden_bias - ((v @ self.weight) * h).sum(-1)

    def hidden_probability(self, v: Tensor) -> Tensor:
        """P(h_j = 1 | v) = σ(b_j + Σ_i v_i W_ij) (eq. 5.8)."""
        return _conditional(self.hidden_bias, v, self.weight)

    def visible_probability(self, h: Tensor) -> Tensor:
        """P(v_i = 1 | h) = σ(a_i + Σ_j W_ij h_j) (eq. 5.7)."""
        return _conditional(self.visible_bias, h, self.weight.T)

    def sample_hidden(self, v: Tensor, generator: torch.Generator) -> Tensor:
        """Draw h ~ P(h | v), each unit independently (eq. 5.8)."""
        return torch.bernoulli(self.hidden_probability(v), generator=generator)

    def sample_visible(self, h: Tensor, generator: torch.Generator) -> Tensor:
        """Draw v ~ P(v | h), each unit independently (eq. 5.7)."""
        return torch.bernoulli(self.visible_probability(h), generator=generator)

    def gibbs(self, v: Tensor, n_steps: int, generator: torch.Generator) -> Tensor:
        """Algorithm 3: alternate h(n) ~ P(h | v(n-1)), v(n) ~ P(v | h(n)) for n = 1..r.

        Args:
            v: start visible vectors v(0), shape (batch, n_visible).
            n_steps: r ≥ 0.
            generator: the random stream.

        Returns:
            v(r), shape (batch, n_visible).
        """
        for _ in range(check_int("n_steps", n_steps, 0)):
            v = self.sample_visible(self.sample_hidden(v, generator), generator)
        return v

    def sample(
        self, n_samples: int, n_steps: int, *, seed: int, device: DeviceLike | None = None
    ) -> Tensor:
        """Draw visible samples by ``n_steps`` Gibbs steps from uniformly random v(0).

        Args:
            n_samples: number of independent chains (≥ 1).
            n_steps: Gibbs steps r per chain (≥ 0).
            seed: seed of the ``torch.Generator`` (on the sampling device).
            device: where to sample (the machine is moved there); None: where it is.

        Returns:
            A tensor of shape (n_samples, n_visible) with entries 0 or 1.
        """
        n_samples = check_int("n_samples", n_samples, 1)
        if device is not None:
            self.to(check_device(device))
        w = self.weight
        generator = torch_generator(seed, device=w.device)
        start = torch.full((n_samples, self.n_visible), 0.5, dtype=w.dtype, device=w.device)
        with torch.no_grad():
            return self.gibbs(torch.bernoulli(start, generator=generator), n_steps, generator)

    def free_energy(self, v: Tensor) -> Tensor:
        """F(v) = -a·v - Σ_j log(1 + exp(b_j + (vW)_j)), so that P(v) = exp(-F(v)) / Z (eq. 5.6)."""
        return -(v @ self.visible_bias) - softplus(self.hidden_bias + v @ self.weight).sum(-1)

    def hidden_free_energy(self, h: Tensor) -> Tensor:
        """F(h) = -b·h - Σ_i log(1 + exp(a_i + (W h)_i)), so that P(h) = exp(-F(h)) / Z."""
        return -(h @ self.hidden_bias) - softplus(self.visible_bias + h @ self.weight.T).sum(-1)

    def log_partition(self, chunk_size: int = 2**16) -> Tensor:
        """Exact log Z (eq. 5.5) by enumerating the smaller layer with logsumexp.

        log Z = log Σ_v exp(-F(v)) when n_v ≤ n_h, else log Σ_h exp(-F(h)); the other layer's
        sum factorizes into the softplus terms of the free energy.

        Raises:
            ValueError: if min(n_visible, n_hidden) > 24 (too many states to enumerate).
        """
        chunk_size = check_int("chunk_size", chunk_size, 1)
        n_small = min(self.n_visible, self.n_hidden)
        if n_small > _MAX_ENUMERATED_UNITS:
            raise ValueError(
                f"exact log Z needs min(n_visible, n_hidden) ≤ {_MAX_ENUMERATED_UNITS}, "
                f"got {n_small}"
            )
        free = self.free_energy if self.n_visible <= self.n_hidden else self.hidden_free_energy
        states = binary_states(n_small, self.weight.dtype, self.weight.device)
        with torch.no_grad():
            parts = [
                torch.logsumexp(-free(states[i : i + chunk_size]), dim=0)
                for i in range(0, len(states), chunk_size)
            ]
            return torch.logsumexp(torch.stack(parts), dim=0)

    def log_likelihood(self, v: ArrayLike | Tensor, log_partition: Tensor | None = None) -> Tensor:
        """Exact log P(v) = -F(v) - log Z per row (eq. 5.6); pass a precomputed log Z to reuse.

        Args:
            v: visible vectors, shape (batch, n_visible).
            log_partition: log Z if already known; computed exactly when None.

        Returns:
            log P(v), shape (batch,).
        """
        v = torch.as_tensor(v, dtype=self.weight.dtype, device=self.weight.device)
        log_z = self.log_partition() if log_partition is None else log_partition
        with torch.no_grad():
            return -self.free_energy(v) - log_z


def contrastive_divergence_gradient(
    rbm: RBM, x: Tensor, v_model: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """Batch-mean CD estimate of ∂ log P(x)/∂θ (eq. 5.14 and its bias analogues).

    ΔW_ij = <x_i P(h_j=1|x)>_batch - <v'_i P(h_j=1|v')>_batch, Δa = <x> - <v'>,
    Δb = <P(h=1|x)> - <P(h=1|v')>, where v' are the negative (model) samples. The parameters
    move by +η Δ (ascent on the log-likelihood, i.e. descent on eq. 5.9).

    Args:
        rbm: the machine.
        x: data batch, shape (batch, n_visible).
        v_model: negative samples v', shape (n_chains, n_visible).

    Returns:
        (ΔW, Δa, Δb) with the shapes of W, a, b.
    """
    return _gradient(x, rbm.hidden_probability(x), v_model, rbm.hidden_probability(v_model))


def _gradient(
    x: Tensor, p_data: Tensor, v_model: Tensor, p_model: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """(ΔW, Δa, Δb) of eq. 5.14 from P(h=1|x), (batch, n_h), and P(h=1|v'), (n_chains, n_h)."""
    # x^T P(h|x) / batch - v'^T P(h|v') / n_chains in one fused multiply-add
    delta_w = torch.addmm(
        x.T @ p_data, v_model.T, p_model, beta=1 / len(x), alpha=-1 / len(v_model)
    )
    if len(x) == len(v_model):  # one reduction instead of two (torch's mean is the slow part)
        return delta_w, (x - v_model).mean(0), (p_data - p_model).mean(0)
    return delta_w, x.mean(0) - v_model.mean(0), p_data.mean(0) - p_model.mean(0)


def _may_overflow(rbm: RBM, learning_rate: float, steps: int) -> bool:
    """Whether ``steps`` CD updates of size ``learning_rate`` could overflow the parameters.

    Every entry of ΔW, Δa and Δb (eq. 5.14) is a difference of two means of numbers in [0, 1],
    so it lies in [-1, 1]: after t steps |θ| <= max|θ_0| + η t. Below half the dtype's range
    the parameters stay finite by construction and need no per-batch check.
    """
    start = max(float(p.detach().abs().max()) for p in rbm.parameters())
    return start + learning_rate * steps >= 0.5 * torch.finfo(rbm.weight.dtype).max


def _cd_step(
    rbm: RBM,
    x: Tensor,
    chains: Tensor | None,
    gibbs_steps: int,
    learning_rate: float,
    g: torch.Generator,
) -> Tensor:
    """One update θ ← θ + η Δθ on the batch x (eq. 5.14); returns the negative samples v'.

    The Gibbs chain is Algorithm 3 from the persistent ``chains`` (PCD) or from x (CD, chains
    None), drawing from ``g`` in the order of :meth:`RBM.gibbs`, but each hidden probability is
    computed once: P(h|x) serves the positive statistics and, for CD, the first Gibbs step;
    P(h|v') of the last step serves the negative statistics.
    """
    w, a, b = rbm.weight, rbm.visible_bias, rbm.hidden_bias  # module look-ups are slow
    p_data = _conditional(b, x, w)
    p_hidden = p_data if chains is None else _conditional(b, chains, w)
    v = x if chains is None else chains
    for _ in range(gibbs_steps):
        h = torch.bernoulli(p_hidden, generator=g)
        v = torch.bernoulli(_conditional(a, h, w.T), generator=g)
        p_hidden = _conditional(b, v, w)
    delta_w, delta_a, delta_b = _gradient(x, p_data, v, p_hidden)
    w.add_(delta_w, alpha=learning_rate)
    a.add_(delta_a, alpha=learning_rate)
    b.add_(delta_b, alpha=learning_rate)
    return v


@dataclass
class RBMHistory:
    """What ``train_rbm`` records per epoch.

    Attributes:
        epochs: epoch numbers 0..n (0 = before training).
        log_likelihood: exact mean log P(x) over the training data (eq. 5.2), when tracked.
        reconstruction_error: mean squared error of one Gibbs step from the data, when tracked.
    """

    epochs: list[int] = field(default_factory=list)
    log_likelihood: list[float] = field(default_factory=list)
    reconstruction_error: list[float] = field(default_factory=list)


def _record(
    history: RBMHistory,
    epoch: int,
    rbm: RBM,
    data: Tensor,
    track: tuple[bool, bool],
    g: torch.Generator,
) -> None:
    """Append epoch, then (as ``track`` asks) log-likelihood and reconstruction error."""
    history.epochs.append(epoch)
    track_log_likelihood, track_reconstruction = track
    if track_log_likelihood:
        history.log_likelihood.append(float(rbm.log_likelihood(data).mean()))
    if track_reconstruction:
        with torch.no_grad():
            recon = rbm.visible_probability(rbm.sample_hidden(data, g))
        history.reconstruction_error.append(float(((recon - data) ** 2).mean()))


def _training_data(rbm: RBM, data: ArrayLike | Tensor) -> Tensor:
    """``data`` on the RBM's dtype and device, checked: shape (m, n_visible), values in [0, 1]."""
    x_all = torch.as_tensor(data, dtype=rbm.weight.dtype, device=rbm.weight.device)
    if x_all.ndim != 2 or x_all.shape[1] != rbm.n_visible or len(x_all) == 0:
        raise ValueError(f"data must have shape (m, {rbm.n_visible}), got {tuple(x_all.shape)}")
    if not bool(((x_all >= 0) & (x_all <= 1)).all()):  # False for NaN too
        raise ValueError(
            "data must hold values in [0, 1] (binary units, or their probabilities); "
            "it holds NaN or values outside"
        )
    return x_all


def train_rbm(
    rbm: RBM,
    data: ArrayLike | Tensor,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    gibbs_steps: int = 1,
    persistent: bool = False,
    n_chains: int | None = None,
    seed: int,
    track_log_likelihood: bool = False,
    track_reconstruction: bool = True,
    callbacks: CallbackLike | Sequence[CallbackLike] | None = None,
    device: DeviceLike = "cpu",
) -> RBMHistory:
    """Train with CD-k (Algorithm 4, per-batch mean) or persistent CD, in place.

    Each epoch shuffles the data and, per batch S, obtains negative samples v' by k Gibbs steps
    (Algorithm 3) started at the batch (CD-k) or at the persistent chains (PCD; ``n_chains``
    chains, initialised uniformly at random and carried over between batches), then sets
    θ ← θ + η Δθ with Δθ from :func:`contrastive_divergence_gradient` (eq. 5.14).

    Args:
        rbm: the machine, updated in place.
        data: binary training data, shape (m, n_visible).
        epochs: passes over the data (≥ 1).
        batch_size: rows per batch (≥ 1).
        learning_rate: η > 0.
        gibbs_steps: k ≥ 1.
        persistent: PCD instead of CD-k.
        n_chains: number of persistent chains (PCD only; default ``batch_size``). More chains
            than batch rows make the negative statistics less noisy.
        seed: seed of the ``torch.Generator`` (shuffling, Gibbs sampling).
        track_log_likelihood: record the exact mean log-likelihood (needs a small layer ≤ 24).
        track_reconstruction: record the reconstruction error, a pass over all the data per
            epoch. Its hidden sample draws from the training generator, so switching it off
            saves that pass but changes the random stream (other weights for the same seed).
        callbacks: the trainers' callbacks (:class:`labcoat.models.training.Callback`, or
            functions ``f(epoch, rbm, history)``; ``epoch`` counts from 0); one returning
            False from ``on_epoch_end`` stops training.
        device: where to train ("cpu", "cuda", "mps" or a ``torch.device``): the machine
            is moved there, and so are the data, the persistent chains and the generator.

    Returns:
        The per-epoch history (entry 0 is before training).

    Raises:
        ValueError: data of the wrong shape or with values outside [0, 1] (NaN included), or
            a count or learning rate out of range (TypeError for one of the wrong type).
        FloatingPointError: the parameters became non-finite (a learning rate so large that
            they overflow); the message names the epoch and the batch (counted from 1).
    """
    rbm.to(check_device(device))
    x_all = _training_data(rbm, data)
    epochs = check_int("epochs", epochs, 1)
    batch_size = min(check_int("batch_size", batch_size, 1), len(x_all))
    gibbs_steps = check_int("gibbs_steps", gibbs_steps, 1)
    learning_rate = check_float("learning_rate", learning_rate, 0.0, low_open=True)
    persistent = check_bool("persistent", persistent)
    track_log_likelihood = check_bool("track_log_likelihood", track_log_likelihood)
    track_reconstruction = check_bool("track_reconstruction", track_reconstruction)
    n_chains = batch_size if n_chains is None else check_int("n_chains", n_chains, 1)
    g = torch_generator(seed, device=x_all.device)
    half = torch.full((n_chains, rbm.n_visible), 0.5, dtype=x_all.dtype, device=x_all.device)
    chains = torch.bernoulli(half, generator=g)
    track = (track_log_likelihood, track_reconstruction)
    watch = _may_overflow(rbm, learning_rate, epochs * math.ceil(len(x_all) / batch_size))
    history = RBMHistory()
    hooks = CallbackList(callbacks)
    _record(history, 0, rbm, x_all, track, g)
    hooks.on_train_begin(rbm, history)
    with torch.no_grad():
        for epoch in range(1, epochs + 1):
            order = torch.randperm(len(x_all), generator=g, device=x_all.device)
            for batch, start in enumerate(range(0, len(x_all), batch_size), 1):
                x = x_all[order[start : start + batch_size]]
                start_chains = chains if persistent else None
                v_model = _cd_step(rbm, x, start_chains, gibbs_steps, learning_rate, g)
                if persistent:
                    chains = v_model
                if watch:  # a sum is non-finite iff a term is (or it overflows: diverged anyway)
                    total = rbm.weight.sum() + rbm.visible_bias.sum() + rbm.hidden_bias.sum()
                    check_finite(total, "the sum of the parameters", epoch=epoch, batch=batch)
            _record(history, epoch, rbm, x_all, track, g)
            if not hooks.on_epoch_end(epoch - 1, rbm, history):
                break
    hooks.on_train_end(rbm, history)
    return history
