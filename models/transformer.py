"""A small causal (decoder-only) transformer for token sequences, its attention written out.

Seed 002's autoregressive sequence model: a sequence x = (x_1, ..., x_L) of tokens from a
vocabulary of size V has the exact likelihood

    p(x) = Π_i p(x_i | x_<i),   p(· | x_<i) = softmax(logits_i),

where logits_i is read from position i of a transformer (Vaswani et al., NeurIPS 2017; the
pre-layer-norm GPT-2 arrangement of Radford et al. 2019) fed (BOS, x_1, ..., x_{L-1}) with a
begin token BOS. Each block computes

    h ← h + Attention(LN(h)),   h ← h + MLP(LN(h)),

with layer normalization LN(h) = γ ⊙ (h - mean(h)) / √(var(h) + ε) + β over the features, an
MLP Linear(d, 4d) → GELU → Linear(4d, d), and multi-head scaled dot-product attention

    Attention(Q, K, V) = softmax(Q Kᵀ / √d_k + M) V,   M_ij = 0 if j ≤ i else -∞,

per head (Q, K, V = h W_Q, h W_K, h W_V split into n_heads blocks of d_k = d / n_heads
features), the heads concatenated and projected by W_O. The causal mask M makes position i
see positions ≤ i only, so logits_i depends on x_<i alone and Σ_x p(x) = 1 exactly. Learned
positional embeddings are added to the token embeddings.

With an ``end_token`` the model describes sequences of variable length: a sequence ends at
its first end token, and the positions after it do not count in log p(x).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn.functional import gelu, log_softmax, softmax

from labcoat.classic._checks import check_int
from labcoat.models._random import DeviceLike
from labcoat.models.training import init_parameters, start_sampling

__all__ = [
    "CausalSelfAttention",
    "CausalTransformer",
    "LayerNorm",
    "TransformerBlock",
    "causal_mask",
    "scaled_dot_product_attention",
]


def causal_mask(length: int, device: torch.device | None = None) -> Tensor:
    """The boolean mask allowed_ij = (j ≤ i), shape (length, length): position i sees j ≤ i.

    ``device``: where to build it (the CPU when None).
    """
    return torch.ones(length, length, dtype=torch.bool, device=device).tril()


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, allowed: Tensor) -> Tensor:
    """softmax(Q Kᵀ / √d_k + M) V with M = 0 where ``allowed`` and -∞ elsewhere.

    Args:
        q: queries Q, shape (..., L, d_k).
        k: keys K, shape (..., L, d_k).
        v: values V, shape (..., L, d_k).
        allowed: boolean (L, L), e.g. :func:`causal_mask`.

    Returns:
        Shape (..., L, d_k).
    """
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., L, L)
    weights = softmax(scores.masked_fill(~allowed, -math.inf), dim=-1)
    return weights @ v


class LayerNorm(nn.Module):
    """LN(h) = γ ⊙ (h - mean(h)) / √(var(h) + ε) + β over the last axis (Ba et al. 2016)."""

    def __init__(self, d_model: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(d_model))
        self.beta = nn.Parameter(torch.zeros(d_model))
        self.eps = eps

    def init_parameters(self, generator: torch.Generator) -> None:
        """γ = 1, β = 0 (the generator is not needed)."""
        with torch.no_grad():
            self.gamma.fill_(1.0)
            self.beta.zero_()

    def forward(self, h: Tensor) -> Tensor:
        """γ ⊙ (h - mean) / √(var + ε) + β, the biased variance over the features."""
        mean = h.mean(-1, keepdim=True)
        var = ((h - mean) ** 2).mean(-1, keepdim=True)
        return self.gamma * (h - mean) / torch.sqrt(var + self.eps) + self.beta


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention: heads of softmax(Q Kᵀ / √d_k + M) V, then W_O.

    Args:
        d_model: features d (divisible by ``n_heads``).
        n_heads: number of heads.
    """

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model must be divisible by n_heads, got {d_model}, {n_heads}")
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)  # W_Q, W_K, W_V side by side
        self.out = nn.Linear(d_model, d_model)  # W_O

    def forward(self, h: Tensor) -> Tensor:
        """Attention of h, shape (batch, L, d) -> (batch, L, d)."""
        batch, length, d_model = h.shape
        q, k, v = self.qkv(h).split(d_model, dim=-1)  # each (batch, L, d)
        q, k, v = (t.view(batch, length, self.n_heads, -1).transpose(1, 2) for t in (q, k, v))
        attended = scaled_dot_product_attention(
            q, k, v, causal_mask(length, h.device)
        )  # (b, heads, L, d_k)
        return self.out(attended.transpose(1, 2).reshape(batch, length, d_model))


class TransformerBlock(nn.Module):
    """h ← h + Attention(LN(h)); h ← h + MLP(LN(h)) (pre-layer-norm, GPT-2)."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        self.norm_attention = LayerNorm(d_model)
        self.attention = CausalSelfAttention(d_model, n_heads)
        self.norm_mlp = LayerNorm(d_model)
        self.expand = nn.Linear(d_model, 4 * d_model)
        self.contract = nn.Linear(4 * d_model, d_model)

    def forward(self, h: Tensor) -> Tensor:
        """One block, shape (batch, L, d) -> (batch, L, d)."""
        h = h + self.attention(self.norm_attention(h))
        return h + self.contract(gelu(self.expand(self.norm_mlp(h))))


class CausalTransformer(nn.Module):
    """An autoregressive token model with exact log p(x) = Σ_i log p(x_i | x_<i).

    Args:
        n_tokens: vocabulary size V ≥ 2 (tokens 0..V-1; a begin token V is added inside).
        length: maximum sequence length L ≥ 1.
        d_model: features per position (divisible by ``n_heads``).
        n_heads: attention heads.
        n_layers: transformer blocks.
        end_token: a token in 0..V-1 that ends a sequence (variable length), or None.
        seed: seeds the initial weights.
    """

    def __init__(
        self,
        n_tokens: int,
        length: int,
        *,
        d_model: int = 32,
        n_heads: int = 4,
        n_layers: int = 2,
        end_token: int | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.n_tokens = check_int("n_tokens", n_tokens, 2)
        self.length = check_int("length", length, 1)
        d_model = check_int("d_model", d_model, 1)
        n_heads = check_int("n_heads", n_heads, 1)
        n_layers = check_int("n_layers", n_layers, 1)
        if end_token is not None:
            check_int("end_token", end_token, 0, n_tokens - 1)
        self.end_token = end_token
        self.token_embedding = nn.Embedding(n_tokens + 1, d_model)  # + the begin token
        self.position_embedding = nn.Embedding(length, d_model)
        self.blocks = nn.Sequential(*(TransformerBlock(d_model, n_heads) for _ in range(n_layers)))
        self.norm = LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_tokens)
        init_parameters(self, seed)

    def _check(self, x: Tensor) -> Tensor:
        if x.ndim != 2 or x.shape[1] != self.length:
            raise ValueError(f"x must have shape (batch, {self.length}), got {tuple(x.shape)}")
        x = x.long()
        if bool(((x < 0) | (x >= self.n_tokens)).any()):
            raise ValueError(f"x must hold tokens in 0..{self.n_tokens - 1}")
        return x

    def forward(self, x: Tensor) -> Tensor:
        """logits_i of p(x_i | x_<i) for every position, shape (batch, L, V).

        Args:
            x: tokens, shape (batch, L) (integers, or floats holding 0/1 bits).
        """
        x = self._check(x)
        begin = torch.full((len(x), 1), self.n_tokens, dtype=torch.long, device=x.device)
        inputs = torch.cat([begin, x[:, :-1]], dim=1)  # (batch, L): BOS, x_1 .. x_{L-1}
        h = self.token_embedding(inputs) + self.position_embedding.weight  # (batch, L, d)
        return self.head(self.norm(self.blocks(h)))

    def log_prob(self, x: Tensor) -> Tensor:
        """The exact log p(x) = Σ_i log softmax(logits_i)[x_i], positions up to the first end."""
        x = self._check(x)
        log_p = log_softmax(self(x), dim=-1).gather(-1, x[..., None])[..., 0]  # (batch, L)
        if self.end_token is not None:
            is_end = (x == self.end_token).long()
            ended_before = (is_end.cumsum(1) - is_end) > 0
            log_p = log_p.masked_fill(ended_before, 0.0)
        return log_p.sum(-1)

    def sample(self, n_samples: int, *, generator: torch.Generator | int,
               device: DeviceLike | None = None) -> Tensor:  # fmt: skip
        """Draw x_1 ~ p(x_1), x_2 ~ p(x_2 | x_1), ... (L passes), shape (n, L), dtype long.

        After an end token every later position holds the end token.

        Args:
            n_samples: how many sequences (≥ 1).
            generator: a ``torch.Generator`` or an integer seed (used on the sampling device).
            device: where to sample (the model is moved there); None: the model's device.
        """
        n_samples, target, g = start_sampling(self, n_samples, generator, device)
        x = torch.zeros(n_samples, self.length, dtype=torch.long, device=target)
        with torch.no_grad():
            for i in range(self.length):
                p = softmax(self(x)[:, i], dim=-1)  # (n, V)
                x[:, i] = torch.multinomial(p, 1, generator=g)[:, 0]
        if self.end_token is not None:
            is_end = (x == self.end_token).long()
            x = x.masked_fill((is_end.cumsum(1) - is_end) > 0, self.end_token)
        return x
