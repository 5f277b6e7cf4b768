"""The VAE's importance-weighted bound: K = 1 is the ELBO, it rises with K, towards log p(x)."""

import math

import pytest
import torch
from torch.distributions import Bernoulli, Normal

from labcoat.models.autoencoder import VAE, gaussian_kl, iwae_bound, iwae_objective, vae_loss
from labcoat.models.rbm import binary_states
from labcoat.models.training import fit


def _tiny_vae(seed: int = 0) -> VAE:
    return VAE(3, 1, hidden=(8,), activation="tanh", seed=seed).double()


def _exact_log_p(vae: VAE, x: torch.Tensor) -> torch.Tensor:
    """log ∫ p(x|z) N(z; 0, 1) dz by the trapezoidal rule on [-10, 10] (one latent)."""
    z = torch.linspace(-10, 10, 8001, dtype=torch.float64)[:, None]
    with torch.no_grad():
        p_x_given_z = Bernoulli(logits=vae.decoder(z)[:, None, :]).log_prob(x).sum(-1).exp()
    integrand = p_x_given_z * Normal(0.0, 1.0).log_prob(z).exp()  # (grid, batch)
    return torch.trapezoid(integrand, z[:, 0], dim=0).log()


def test_one_sample_bound_is_the_hand_computed_importance_weight():
    vae = _tiny_vae()
    x = binary_states(3)
    bound = iwae_bound(vae, x, 1, generator=torch.Generator().manual_seed(0))
    mu, log_var = vae.encode(x)
    epsilon = torch.randn(mu.shape, generator=torch.Generator().manual_seed(0), dtype=mu.dtype)
    z = mu + (0.5 * log_var).exp() * epsilon
    q = Normal(mu, (0.5 * log_var).exp())
    expected = (
        Bernoulli(logits=vae.decoder(z)).log_prob(x).sum(-1)
        + Normal(0.0, 1.0).log_prob(z).sum(-1)
        - q.log_prob(z).sum(-1)
    )
    assert torch.allclose(bound, expected, atol=1e-12)


def test_one_sample_gaussian_bound_averages_to_the_elbo_of_eq_5_17():
    # E[IWAE_1] = E_q log p(x|z) - KL(q || N(0, 1)); the Gaussian decoder with variance 1/w
    # gives -vae_loss (with the same z) plus the normalization n/2 log(w / 2π)
    vae = VAE(4, 2, hidden=(8,), output="identity", seed=1).double()
    x = torch.randn(1, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    w = 4.0
    g = torch.Generator().manual_seed(2)
    draws = iwae_bound(
        vae, x.expand(20_000, 4), 1, likelihood="gaussian", reconstruction_weight=w, generator=g
    ).detach()
    mu, log_var = vae.encode(x)
    z = vae.reparameterize(mu.expand(20_000, 2), log_var.expand(20_000, 2), g)
    reconstruction = -vae_loss(x, vae.decode(z), mu, log_var, w) + gaussian_kl(mu, log_var).sum()
    elbo = reconstruction + 2 * math.log(w / (2 * math.pi)) - gaussian_kl(mu, log_var).sum()
    standard_error = draws.std() / math.sqrt(len(draws))
    assert draws.mean().item() == pytest.approx(elbo.item(), abs=4 * standard_error.item() + 1e-3)


def test_bound_rises_with_k_towards_the_exact_log_likelihood():
    vae = _tiny_vae(3)
    x = binary_states(3)
    exact = _exact_log_p(vae, x)
    assert exact.exp().sum().item() == pytest.approx(1.0, abs=1e-8)  # the quadrature is right
    g = torch.Generator().manual_seed(4)
    means = {}
    for k in (1, 5, 50):
        with torch.no_grad():
            draws = torch.stack([iwae_bound(vae, x, k, generator=g) for _ in range(400)])
        means[k] = draws.mean(0)
        assert torch.all(means[k] < exact + 4 * draws.std(0) / 20 + 1e-9)
    # per state the gaps can be below the Monte Carlo error; over the 8 states they are not
    assert means[1].sum() < means[5].sum() - 0.2 < means[50].sum() - 0.2 - 0.02
    with torch.no_grad():
        close = iwae_bound(vae, x, 20_000, generator=g)
    assert torch.allclose(close, exact, atol=0.02)  # one draw: within its noise


def test_training_on_the_iwae_objective_raises_the_exact_likelihood():
    patterns = binary_states(3)[[0, 7]]  # 000 and 111, each with probability 1/2
    data = patterns.repeat(100, 1)
    vae = _tiny_vae(5)
    before = _exact_log_p(vae, patterns).mean().item()
    fit(vae, data, loss=iwae_objective(8), epochs=30, batch_size=50, learning_rate=2e-2, seed=0)
    after = _exact_log_p(vae, patterns).mean().item()
    assert before < -2.0  # about log(1/8): uniform
    assert after > -math.log(2) - 0.2  # the optimum is log(1/2)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="bernoulli"):
        iwae_bound(VAE(3, 1, output="identity"), torch.zeros(2, 3), 2)
    with pytest.raises(ValueError, match="n_samples"):
        iwae_bound(VAE(3, 1), torch.zeros(2, 3), 0)
    with pytest.raises(ValueError, match="likelihood"):
        iwae_objective(1, likelihood="poisson")(VAE(3, 1), torch.zeros(2, 3))
