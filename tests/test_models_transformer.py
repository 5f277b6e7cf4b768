"""The causal transformer: causality, exact normalization, attention by hand, end tokens."""

import itertools
import math

import numpy as np
import pytest
import torch
from torch.nn.functional import scaled_dot_product_attention as torch_attention

from labcoat.models.autoregressive import log_likelihood_objective
from labcoat.models.exact import exact_ising, kl_divergence
from labcoat.models.rbm import binary_states
from labcoat.models.training import fit
from labcoat.models.transformer import (
    CausalSelfAttention,
    CausalTransformer,
    LayerNorm,
    causal_mask,
    scaled_dot_product_attention,
)


def test_changing_a_later_token_never_changes_an_earlier_conditional():
    model = CausalTransformer(3, 7, d_model=16, n_heads=2, n_layers=2, seed=0).double()
    x = torch.randint(0, 3, (20, 7), generator=torch.Generator().manual_seed(0))
    logits = model(x)
    for j in range(7):
        changed = x.clone()
        changed[:, j] = (changed[:, j] + 1) % 3
        new = model(changed)
        assert torch.equal(new[:, : j + 1], logits[:, : j + 1])  # positions ≤ j see x_<j only
        if j < 6:
            assert not torch.allclose(new[:, j + 1], logits[:, j + 1])  # later ones see it


def test_probabilities_sum_to_one_over_all_binary_sequences():
    model = CausalTransformer(2, 10, d_model=16, n_heads=4, n_layers=2, seed=1).double()
    log_p = model.log_prob(binary_states(10).long())
    assert torch.logsumexp(log_p, 0).item() == pytest.approx(0.0, abs=1e-12)


def test_with_an_end_token_the_distinct_sequences_sum_to_one():
    model = CausalTransformer(3, 4, d_model=8, n_heads=2, n_layers=1, end_token=2, seed=2).double()
    every = torch.tensor(list(itertools.product(range(3), repeat=4)))
    ended = {}
    for row, log_p in zip(every.tolist(), model.log_prob(every).tolist(), strict=True):
        stop = row.index(2) + 1 if 2 in row else 4
        ended.setdefault(tuple(row[:stop]), set()).add(round(log_p, 12))
    assert all(len(values) == 1 for values in ended.values())  # the tail is ignored
    total = sum(math.exp(next(iter(values))) for values in ended.values())
    assert total == pytest.approx(1.0, abs=1e-12)
    samples = model.sample(500, generator=0)
    for row in samples.tolist():  # after the end token, only end tokens
        if 2 in row:
            assert set(row[row.index(2) :]) == {2}


def test_attention_against_numpy_by_hand_and_torch():
    torch_generator = torch.Generator().manual_seed(3)
    attention = CausalSelfAttention(4, 2).double()
    h = torch.randn(1, 3, 4, generator=torch_generator, dtype=torch.float64)
    w_qkv, b_qkv = attention.qkv.weight.detach().numpy(), attention.qkv.bias.detach().numpy()
    w_o, b_o = attention.out.weight.detach().numpy(), attention.out.bias.detach().numpy()
    x = h[0].numpy()
    qkv = x @ w_qkv.T + b_qkv
    heads = []
    for head in range(2):
        q, k, v = (qkv[:, 4 * part + 2 * head : 4 * part + 2 * head + 2] for part in range(3))
        scores = q @ k.T / np.sqrt(2)
        scores[np.triu_indices(3, 1)] = -np.inf
        weights = np.exp(scores - scores.max(1, keepdims=True))
        heads.append(weights / weights.sum(1, keepdims=True) @ v)
    expected = np.concatenate(heads, axis=1) @ w_o.T + b_o
    assert np.allclose(attention(h)[0].detach().numpy(), expected, atol=1e-12)
    q, k, v = torch.randn(3, 2, 5, 4, generator=torch_generator, dtype=torch.float64)
    ours = scaled_dot_product_attention(q, k, v, causal_mask(5))
    assert torch.allclose(ours, torch_attention(q, k, v, is_causal=True), atol=1e-12)


def test_layer_norm_matches_torch():
    h = torch.randn(5, 6, generator=torch.Generator().manual_seed(4))
    expected = torch.nn.functional.layer_norm(h, (6,))
    assert torch.allclose(LayerNorm(6)(h), expected, atol=1e-6)


def test_samples_follow_the_model_and_are_reproducible():
    model = CausalTransformer(2, 3, d_model=8, n_heads=2, n_layers=1, seed=5).double()
    a = model.sample(20_000, generator=6)
    assert torch.equal(a, model.sample(20_000, generator=6))
    frequency = torch.bincount(a @ torch.tensor([1, 2, 4]), minlength=8).double() / len(a)
    p = model.log_prob(binary_states(3).long()).exp().detach()
    assert torch.allclose(frequency, p, atol=0.015)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="divisible"):
        CausalTransformer(2, 4, d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="end_token"):
        CausalTransformer(2, 4, end_token=2)
    model = CausalTransformer(2, 4)
    with pytest.raises(ValueError, match="shape"):
        model.log_prob(torch.zeros(3, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="tokens"):
        model.log_prob(torch.full((3, 4), 2))


@pytest.mark.slow
def test_maximum_likelihood_learns_the_3x3_ising_distribution():
    exact = exact_ising(3, 3.5)
    states = torch.as_tensor(exact.states).long()
    data = torch.as_tensor(exact.sample(5_000, seed=0)).long()
    model = CausalTransformer(2, 9, d_model=16, n_heads=2, n_layers=1, seed=0)
    kl_start = kl_divergence(exact.log_p, model.log_prob(states).detach().double().numpy())
    settings = {"epochs": 10, "batch_size": 250, "learning_rate": 1e-2, "seed": 0}
    fit(model, data, loss=log_likelihood_objective(), **settings)
    kl_end = kl_divergence(exact.log_p, model.log_prob(states).detach().double().numpy())
    assert kl_end < 0.04 < kl_start
