"""RealNVP: invertibility, log-det against autograd, normalization by quadrature, dequantization."""

import math

import numpy as np
import pytest
import torch

from labcoat.models.exact import exact_ising, kl_divergence
from labcoat.models.flow import RealNVP, dequantized_log_prob, dequantized_objective
from labcoat.models.rbm import binary_states
from labcoat.models.training import fit, init_parameters


def _random_flow(n_features: int, seed: int) -> RealNVP:
    """A flow with every parameter drawn (the couplings start as identity otherwise)."""
    flow = RealNVP(n_features, n_layers=4, hidden=(16,), seed=seed).double()
    return init_parameters(flow, seed)


def test_x_to_z_to_x_is_the_identity():
    flow = _random_flow(5, 0)
    x = torch.randn(50, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    z, _ = flow(x)
    assert not torch.allclose(z, x)
    assert torch.allclose(flow.inverse(z), x, atol=1e-12)


def test_log_det_matches_autograd_jacobian():
    flow = _random_flow(4, 1)
    x = torch.randn(6, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    _, log_det = flow(x)
    for row, expected in zip(x, log_det, strict=True):
        jacobian = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], row)
        assert torch.linalg.slogdet(jacobian).logabsdet.item() == pytest.approx(
            expected.item(), abs=1e-10
        )


def test_density_integrates_to_one_on_a_2d_grid():
    flow = _random_flow(2, 2)
    grid = torch.linspace(-12, 12, 601, dtype=torch.float64)
    xx, yy = torch.meshgrid(grid, grid, indexing="ij")
    p = flow.log_prob(torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)).exp().detach()
    step = (grid[1] - grid[0]).item()
    assert p.sum().item() * step**2 == pytest.approx(1.0, abs=2e-3)


def test_dequantized_estimate_is_a_lower_bound_that_rises_with_k():
    flow = _random_flow(2, 3)
    cells = binary_states(2)  # the 4 unit squares [x, x+1)^2
    grid = (torch.arange(200, dtype=torch.float64) + 0.5) / 200  # midpoint rule
    uu, vv = torch.meshgrid(grid, grid, indexing="ij")
    u = torch.stack([uu.reshape(-1), vv.reshape(-1)], 1)
    exact = torch.stack([flow.log_prob(c + u).exp().mean() for c in cells]).log().detach()
    g = torch.Generator().manual_seed(4)
    draws = {
        k: torch.stack(
            [dequantized_log_prob(flow, cells, k, generator=g).detach() for _ in range(200)]
        )
        for k in (1, 64)
    }
    mean = {k: d.mean(0) for k, d in draws.items()}
    standard_error = {k: d.std(0) / math.sqrt(len(d)) for k, d in draws.items()}
    assert torch.all(mean[1] < mean[64])
    for k in (1, 64):  # the expectation is below log P(x), up to the Monte Carlo error
        assert torch.all(mean[k] < exact + 3 * standard_error[k])
    assert torch.all(mean[1] < exact - 0.01)  # K = 1 is a visibly loose bound here
    assert torch.allclose(mean[64], exact, atol=0.02)


def test_flow_trained_on_dequantized_spins_beats_the_uniform_distribution():
    exact = exact_ising(2, 2.0)
    data = torch.as_tensor(exact.sample(4_000, seed=0))
    flow = RealNVP(4, n_layers=4, hidden=(32,), seed=0).double()
    states = torch.as_tensor(exact.states)

    def kl_bound() -> float:  # an upper bound on KL(p || P) in expectation
        log_q = dequantized_log_prob(flow, states, 256, generator=2).detach().numpy()
        assert np.exp(log_q).sum() <= 1.0 + 1e-2  # the cubes hold at most all the mass
        return kl_divergence(exact.log_p, log_q)

    kl_start = kl_bound()
    fit(
        flow,
        data,
        loss=dequantized_objective(seed=1),
        epochs=10,
        batch_size=400,
        learning_rate=1e-2,
        seed=0,
    )
    uniform = math.log(16) - exact.entropy()  # KL(p || uniform over the 16 states)
    assert kl_bound() < 0.6 * uniform < kl_start


def test_samples_are_reproducible():
    flow = _random_flow(3, 5)
    assert torch.equal(flow.sample(10, generator=1), flow.sample(10, generator=1))
    with pytest.raises(ValueError, match="n_features"):
        RealNVP(1)


def test_two_pixel_log_density_matches_a_numpy_hand_computation():
    """log p(x) of a 2-D flow, recomputed layer by layer in numpy from the weights (no autograd):
    y_free = x_free·exp(α·tanh(s_raw)) + t on the free pixel, log|det| = Σ s, N(0, 1) base."""
    flow = RealNVP(2, n_layers=3, hidden=(5,), seed=0).double()
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for parameter in flow.parameters():
            parameter.copy_(0.7 * torch.randn(parameter.shape, generator=generator).double())
    x = np.array([[0.3, -1.2], [1.5, 0.4], [0.0, 0.0], [-2.0, 2.5]])

    def by_hand(point: np.ndarray) -> float:
        y, log_det = point.copy(), 0.0
        for k, coupling in enumerate(flow.couplings):
            p = {name: value.detach().numpy() for name, value in coupling.named_parameters()}
            mask = np.array([(d + k) % 2 for d in range(2)], dtype=float)  # b_d = (d + k) mod 2
            hidden = np.maximum(
                p["network.hidden.0.weight"] @ (mask * y) + p["network.hidden.0.bias"], 0.0
            )
            out = p["network.output.weight"] @ hidden + p["network.output.bias"]
            raw_s, t = out[:2], out[2:]
            s = (1 - mask) * p["scale"] * np.tanh(raw_s)
            y = mask * y + (1 - mask) * (y * np.exp(s) + t)
            log_det += s.sum()
        return float(-0.5 * (y**2).sum() - math.log(2 * math.pi) + log_det)

    expected = [by_hand(point) for point in x]
    got = flow.log_prob(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
