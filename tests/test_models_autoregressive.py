"""MADE: masks, exact normalization, a hand computation, training on an exact target."""

import numpy as np
import pytest
import torch

from labcoat.models.autoregressive import MADE, log_likelihood_objective, made_masks
from labcoat.models.exact import exact_ising, kl_divergence
from labcoat.models.rbm import binary_states
from labcoat.models.training import fit


def test_jacobian_of_the_logits_is_strictly_lower_triangular():
    made = MADE(9, hidden=(20, 20), seed=1).double()
    x = torch.rand(9, dtype=torch.float64)
    jacobian = torch.autograd.functional.jacobian(made, x[None])[0, :, 0, :]  # (out d, in j)
    assert torch.all(jacobian.triu() == 0)  # a_d depends on x_<d only
    assert torch.all(jacobian.tril(-1).abs().sum(1)[1:] > 0)  # and on them (no dead output)


def test_probabilities_sum_to_one_over_all_states():
    made = MADE(9, hidden=(32,), seed=2).double()
    log_p = made.log_prob(binary_states(9))
    assert torch.logsumexp(log_p, 0).item() == pytest.approx(0.0, abs=1e-12)


def test_two_pixel_example_by_hand():
    made = MADE(2, hidden=(3,), seed=3).double()
    (w1, b1), (w2, b2) = (
        (m.weight.detach().numpy(), m.bias.detach().numpy())
        for m in (made.network[0], made.network[2])
    )

    # degrees: inputs (1, 2), hidden units all 1: the hidden layer sees x_1 only; output 1 sees
    # nothing (its bias), output 2 sees the hidden layer
    def sigmoid(a):
        return 1 / (1 + np.exp(-a))

    for x1, x2 in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        h = np.maximum(w1[:, 0] * x1 + b1, 0.0)
        p1 = sigmoid(b2[0])
        p2 = sigmoid(b2[1] + w2[1] @ h)
        expected = (p1 if x1 else 1 - p1) * (p2 if x2 else 1 - p2)
        x = torch.tensor([[x1, x2]], dtype=torch.float64)
        assert made.log_prob(x).exp().item() == pytest.approx(expected, rel=1e-12)


def test_masks_follow_the_degree_rule_and_bad_input_is_refused():
    masks = made_masks(4, (6,))
    assert [tuple(m.shape) for m in masks] == [(6, 4), (4, 6)]
    assert masks[0][:, 3].sum() == 0  # input 4 (degree D) feeds nothing
    assert masks[1][0].sum() == 0  # output 1 sees no hidden unit
    with pytest.raises(ValueError, match="n_inputs"):
        MADE(1)
    with pytest.raises(ValueError, match="hidden"):
        MADE(4, hidden=())


def test_samples_are_reproducible_and_follow_the_model():
    made = MADE(3, hidden=(8,), seed=4).double()
    a = made.sample(40_000, generator=5)
    assert torch.equal(a, made.sample(40_000, generator=5))
    index = (a @ torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64)).long()
    frequency = (torch.bincount(index, minlength=8) / len(a)).double()
    p = made.log_prob(binary_states(3)).exp().detach()
    assert torch.allclose(frequency, p, atol=0.01)


def test_maximum_likelihood_learns_the_3x3_ising_distribution():
    exact = exact_ising(3, 3.5)
    data = torch.as_tensor(exact.sample(5_000, seed=0), dtype=torch.float32)
    made = MADE(9, hidden=(64,), seed=0)
    kl_start = kl_divergence(
        exact.log_p, made.log_prob(torch.as_tensor(exact.states).float()).detach().double().numpy()
    )
    fit(
        made,
        data,
        loss=log_likelihood_objective(),
        epochs=10,
        batch_size=250,
        learning_rate=1e-2,
        seed=0,
    )
    log_q = made.log_prob(torch.as_tensor(exact.states).float()).detach().double().numpy()
    assert kl_divergence(exact.log_p, log_q) < 0.04 < kl_start
