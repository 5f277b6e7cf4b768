"""RBM, autoencoders, GAN and DDPM against closed forms, brute force and autograd."""

import itertools
import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist
from scipy.stats import wasserstein_distance

from labcoat.classic.datasets import load_digits
from labcoat.models.autoencoder import (
    VAE,
    Autoencoder,
    autoencoder_objective,
    gaussian_kl,
    vae_loss,
    vae_objective,
)
from labcoat.models.diffusion import (
    DDPM,
    beta_schedule,
    ddpm_objective,
    forward_step,
    q_sample,
)
from labcoat.models.gan import GAN, discriminator_loss, generator_loss, train_gan
from labcoat.models.generative_data import (
    bars_and_stripes,
    gaussian_mixture_density,
    ring_means,
    sample_bars_and_stripes,
    sample_gaussian_mixture,
)
from labcoat.models.rbm import RBM, binary_states, contrastive_divergence_gradient, train_rbm
from labcoat.models.training import fit

# ---------------------------------------------------------------- data


@pytest.mark.parametrize("side", [1, 2, 3, 4])
def test_bars_and_stripes_are_all_distinct_patterns(side):
    x = bars_and_stripes(side)
    assert x.shape == (2 ** (side + 1) - 2, side * side)
    assert len({tuple(row) for row in x}) == len(x)
    images = x.reshape(-1, side, side)
    rows_constant = np.all(images == images[:, :, :1], axis=(1, 2))
    cols_constant = np.all(images == images[:, :1, :], axis=(1, 2))
    assert np.all(rows_constant | cols_constant)
    if side == 4:
        return  # the brute force below takes 2^16 Python iterations
    # brute force: every binary image that is a bar or stripe pattern appears
    count = sum(
        1
        for bits in itertools.product([0, 1], repeat=side * side)
        if (im := np.reshape(bits, (side, side))) is not None
        and (np.all(im == im[:, :1]) or np.all(im == im[:1, :]))
    )
    assert count == len(x)


def test_samplers_are_seeded_and_mixture_density_integrates_to_one():
    a = sample_bars_and_stripes(4, 50, seed=1)
    assert np.array_equal(a, sample_bars_and_stripes(4, 50, seed=1))
    assert not np.array_equal(a, sample_bars_and_stripes(4, 50, seed=2))
    x = sample_gaussian_mixture(20_000, [-2.0, 3.0], [0.5, 1.0], [0.3, 0.7], seed=0)
    assert x.shape == (20_000, 1)
    assert x.mean() == pytest.approx(0.3 * -2 + 0.7 * 3, abs=0.05)
    grid = np.linspace(-8, 10, 4001)
    density = gaussian_mixture_density(grid, [-2.0, 3.0], [0.5, 1.0], [0.3, 0.7])
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="weights"):
        sample_gaussian_mixture(5, [0.0, 1.0], 1.0, [0.5, 0.6], seed=0)
    with pytest.raises(ValueError, match="side"):
        bars_and_stripes(0)


# ---------------------------------------------------------------- RBM


def _random_rbm(n_visible: int, n_hidden: int, seed: int) -> RBM:
    rbm = RBM(n_visible, n_hidden, seed=seed, weight_scale=1.0)
    g = torch.Generator().manual_seed(seed + 100)
    rbm.visible_bias.copy_(torch.randn(n_visible, generator=g, dtype=torch.float64))
    rbm.hidden_bias.copy_(torch.randn(n_hidden, generator=g, dtype=torch.float64))
    return rbm


@pytest.mark.parametrize(("n_visible", "n_hidden"), [(3, 5), (5, 3), (4, 4)])
def test_log_partition_matches_brute_force_over_both_layers(n_visible, n_hidden):
    rbm = _random_rbm(n_visible, n_hidden, seed=n_visible)
    v, h = binary_states(n_visible), binary_states(n_hidden)
    vv = v.repeat_interleave(len(h), 0)
    hh = h.repeat(len(v), 1)
    brute = torch.logsumexp(-rbm.energy(vv, hh), 0)  # eq. 5.5, every (v, h)
    assert float(rbm.log_partition()) == pytest.approx(float(brute), abs=1e-10)
    # P(v) sums to one and equals the marginal of the joint (eq. 5.6)
    log_p = rbm.log_likelihood(v)
    assert float(torch.logsumexp(log_p, 0)) == pytest.approx(0.0, abs=1e-10)
    joint = torch.exp(-rbm.energy(vv, hh) - brute).reshape(len(v), len(h))
    assert torch.allclose(log_p.exp(), joint.sum(1), atol=1e-12)
    # conditionals (eq. 5.8): P(h_j = 1 | v) from the joint
    p_h = (joint / joint.sum(1, keepdim=True)) @ h
    assert torch.allclose(rbm.hidden_probability(v), p_h, atol=1e-12)
    p_v = (joint / joint.sum(0, keepdim=True)).T @ v  # eq. 5.7
    assert torch.allclose(rbm.visible_probability(h), p_v, atol=1e-12)


def test_cd_gradient_is_the_free_energy_difference_gradient():
    rbm = _random_rbm(6, 4, seed=2)
    g = torch.Generator().manual_seed(0)
    x = torch.bernoulli(torch.full((7, 6), 0.5, dtype=torch.float64), generator=g)
    v_model = torch.bernoulli(torch.full((9, 6), 0.5, dtype=torch.float64), generator=g)
    parameters = [rbm.weight, rbm.visible_bias, rbm.hidden_bias]
    for p in parameters:
        p.requires_grad_(True)
    # the CD update ascends -<F(x)> + <F(v')>, the log-likelihood with v' standing in for P(v)
    objective = -rbm.free_energy(x).mean() + rbm.free_energy(v_model).mean()
    grads = torch.autograd.grad(objective, parameters)
    for p in parameters:
        p.requires_grad_(False)
    for ours, reference in zip(
        contrastive_divergence_gradient(rbm, x, v_model), grads, strict=True
    ):
        assert torch.allclose(ours, reference, atol=1e-12)


def test_cd_gradient_with_one_negative_sample_per_row_is_the_difference_of_batch_means():
    # CD has as many negative samples as rows: the bias steps take one mean of the difference
    rbm = _random_rbm(6, 4, seed=3)
    g = torch.Generator().manual_seed(1)
    x, v_model = torch.bernoulli(torch.full((2, 7, 6), 0.5, dtype=torch.float64), generator=g)
    p_x, p_v = rbm.hidden_probability(x), rbm.hidden_probability(v_model)
    expected = (
        sum(torch.outer(x[i], p_x[i]) - torch.outer(v_model[i], p_v[i]) for i in range(7)) / 7,
        sum(x[i] - v_model[i] for i in range(7)) / 7,
        sum(p_x[i] - p_v[i] for i in range(7)) / 7,
    )
    for ours, reference in zip(
        contrastive_divergence_gradient(rbm, x, v_model), expected, strict=True
    ):
        assert torch.allclose(ours, reference, rtol=0, atol=1e-14)


def test_exact_log_likelihood_gradient_is_positive_minus_exact_negative_phase():
    rbm = _random_rbm(5, 3, seed=4)
    v = binary_states(5)
    p_v = rbm.log_likelihood(v).exp()
    x = v[[1, 7, 30]]
    # eq. 5.11 with the exact model expectation; reference gradient by autograd of -F - log Z
    w = rbm.weight.detach().clone().requires_grad_(True)
    a, b = rbm.visible_bias, rbm.hidden_bias

    def log_p(data):
        free = -(data @ a) - torch.nn.functional.softplus(b + data @ w).sum(-1)
        all_free = -(v @ a) - torch.nn.functional.softplus(b + v @ w).sum(-1)
        return -free - torch.logsumexp(-all_free, 0)

    reference = torch.autograd.grad(log_p(x).mean(), w)[0]
    positive = x.T @ rbm.hidden_probability(x) / len(x)
    negative = (v * p_v[:, None]).T @ rbm.hidden_probability(v)
    assert torch.allclose(positive - negative, reference, atol=1e-12)
    # and log_likelihood is that same -F - log Z
    assert torch.allclose(rbm.log_likelihood(x), log_p(x).detach(), atol=1e-12)


def test_gibbs_sampler_draws_from_the_exact_marginal():
    rbm = _random_rbm(4, 3, seed=5)
    samples = rbm.sample(20_000, n_steps=30, seed=0)
    index = (samples * 2 ** torch.arange(4)).sum(1).long()
    empirical = torch.bincount(index, minlength=16).double() / len(samples)
    exact = rbm.log_likelihood(binary_states(4)).exp()
    assert 0.5 * (empirical - exact).abs().sum() < 0.02  # total variation


@pytest.mark.parametrize("persistent", [False, True])
def test_cd_training_raises_the_exact_log_likelihood_on_bars_and_stripes(persistent):
    data = bars_and_stripes(4)
    rbm = RBM(16, 8, seed=0, weight_scale=0.1)
    history = train_rbm(
        rbm,
        data,
        epochs=600,
        batch_size=10,
        learning_rate=0.1,
        gibbs_steps=1,
        persistent=persistent,
        n_chains=100,
        seed=1,
        track_log_likelihood=True,
    )
    start, end = history.log_likelihood[0], history.log_likelihood[-1]
    # start ≈ log 2^-16 = -11.09 (uniform); the best possible is -log 30 = -3.40
    assert start == pytest.approx(-16 * math.log(2), abs=0.2)
    assert end > start + 4.0
    assert end <= -math.log(30) + 1e-9
    assert end == pytest.approx(float(rbm.log_likelihood(data).mean()))


def test_rbm_training_is_seeded_and_checks_input():
    data = bars_and_stripes(3)
    runs = []
    for _ in range(2):
        rbm = RBM(9, 4, seed=3)
        train_rbm(rbm, data, epochs=3, batch_size=4, learning_rate=0.1, seed=5)
        runs.append(rbm.weight.clone())
    assert torch.equal(runs[0], runs[1])
    with pytest.raises(ValueError, match="data"):
        train_rbm(RBM(4, 2), data, epochs=1, batch_size=2, learning_rate=0.1, seed=0)
    with pytest.raises(ValueError, match="learning_rate"):
        train_rbm(RBM(9, 2), data, epochs=1, batch_size=2, learning_rate=0.0, seed=0)
    with pytest.raises(ValueError, match="n_hidden"):
        RBM(3, 0)


def _hand_written_cd(
    rbm: RBM, data: np.ndarray, settings: dict, monitor: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[float]]:
    """CD-k / PCD written out, drawing from one generator in train_rbm's documented order.

    The order of the code before the single-computation change: the chains' uniform start,
    a monitoring sample of h given all the data, then per epoch a permutation, per batch the
    Gibbs draws h, v (k times, from the batch or the chains), the batch-mean update of eq. 5.14
    with every hidden probability recomputed, and a monitoring sample after the epoch.
    """
    w, a, b = rbm.weight.clone(), rbm.visible_bias.clone(), rbm.hidden_bias.clone()
    x_all = torch.as_tensor(data, dtype=torch.float64)
    g = torch.Generator().manual_seed(settings["seed"])
    batch, rate = settings["batch_size"], settings["learning_rate"]
    start = torch.full((settings.get("n_chains", batch), len(a)), 0.5, dtype=torch.float64)
    chains = torch.bernoulli(start, generator=g)
    errors: list[float] = []

    def record() -> None:
        if monitor:
            h = torch.bernoulli(torch.sigmoid(b + x_all @ w), generator=g)
            errors.append(float(((torch.sigmoid(a + h @ w.T) - x_all) ** 2).mean()))

    record()
    for _ in range(settings["epochs"]):
        order = torch.randperm(len(x_all), generator=g)
        for first in range(0, len(x_all), batch):
            x = x_all[order[first : first + batch]]
            v = chains if settings.get("persistent", False) else x
            for _ in range(settings.get("gibbs_steps", 1)):
                h = torch.bernoulli(torch.sigmoid(b + v @ w), generator=g)
                v = torch.bernoulli(torch.sigmoid(a + h @ w.T), generator=g)
            chains = v
            p_x, p_v = torch.sigmoid(b + x @ w), torch.sigmoid(b + v @ w)
            w += rate * (x.T @ p_x / len(x) - v.T @ p_v / len(v))
            a += rate * (x.mean(0) - v.mean(0))
            b += rate * (p_x.mean(0) - p_v.mean(0))
        record()
    return w, a, b, errors


@pytest.mark.parametrize(
    "variant",
    [{}, {"gibbs_steps": 3}, {"persistent": True, "n_chains": 7}, {"batch_size": 40}],
    ids=["cd1", "cd3", "pcd", "one-batch"],
)
def test_train_rbm_matches_a_hand_written_cd_draw_for_draw(variant):
    # Each hidden probability is now computed once per batch; the weights, the random stream
    # and the monitored reconstruction error must be those of the plain algorithm.
    data = sample_bars_and_stripes(3, 40, seed=2)
    settings = {"epochs": 3, "batch_size": 8, "learning_rate": 0.3, "seed": 4} | variant
    rbm = RBM(9, 5, seed=1, weight_scale=0.5)
    w, a, b, errors = _hand_written_cd(rbm, data, settings, monitor=True)
    history = train_rbm(rbm, data, **settings)
    assert torch.allclose(rbm.weight, w, rtol=0, atol=1e-12)
    assert torch.allclose(rbm.visible_bias, a, rtol=0, atol=1e-12)
    assert torch.allclose(rbm.hidden_bias, b, rtol=0, atol=1e-12)
    assert history.reconstruction_error == pytest.approx(errors, rel=1e-12)
    assert (
        len(errors) == 4
        and float((w - RBM(9, 5, seed=1, weight_scale=0.5).weight).abs().max()) > 0.1
    )


def test_train_rbm_without_the_reconstruction_pass_is_the_bare_cd_loop():
    data = sample_bars_and_stripes(3, 40, seed=2)
    settings = {"epochs": 3, "batch_size": 8, "learning_rate": 0.3, "seed": 4}
    rbm = RBM(9, 5, seed=1, weight_scale=0.5)
    w, a, b, errors = _hand_written_cd(rbm, data, settings, monitor=False)
    history = train_rbm(rbm, data, track_reconstruction=False, **settings)
    assert errors == [] and history.reconstruction_error == [] and history.epochs == [0, 1, 2, 3]
    assert torch.allclose(rbm.weight, w, rtol=0, atol=1e-12)
    assert torch.allclose(rbm.visible_bias, a, rtol=0, atol=1e-12)
    assert torch.allclose(rbm.hidden_bias, b, rtol=0, atol=1e-12)
    with pytest.raises(TypeError, match="track_reconstruction must be True or False"):
        train_rbm(rbm, data, track_reconstruction="no", **settings)


# ---------------------------------------------------------------- autoencoders


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits()
    order = np.random.default_rng(0).permutation(len(x))
    x = torch.tensor(x[order] / 16.0, dtype=torch.float32)
    return x[:1400], x[1400:]


def test_gaussian_kl_closed_form_matches_monte_carlo_and_torch():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(3, 4, generator=g, dtype=torch.float64)
    log_var = torch.randn(3, 4, generator=g, dtype=torch.float64)
    ours = gaussian_kl(mu, log_var)
    q = torch.distributions.Normal(mu, (0.5 * log_var).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    assert torch.allclose(ours, torch.distributions.kl_divergence(q, p).sum(-1), atol=1e-12)
    z = mu + (0.5 * log_var).exp() * torch.randn(200_000, 3, 4, generator=g, dtype=torch.float64)
    monte_carlo = (q.log_prob(z) - p.log_prob(z)).sum(-1)  # (samples, 3)
    standard_error = monte_carlo.std(0) / math.sqrt(len(z))
    assert torch.all((monte_carlo.mean(0) - ours).abs() < 5 * standard_error)


def test_reparameterization_draws_n_mu_sigma_and_is_differentiable():
    vae = VAE(3, 2, hidden=(4,), seed=0)
    mu = torch.tensor([[0.5, -1.0]], dtype=torch.float64, requires_grad=True)
    log_var = torch.tensor([[0.2, -1.5]], dtype=torch.float64, requires_grad=True)
    g = torch.Generator().manual_seed(3)
    z = vae.reparameterize(mu.expand(40_000, 2), log_var.expand(40_000, 2), g)
    sigma = (0.5 * log_var).exp().detach()
    # z = mu + sigma * eps with eps ~ N(0, 1): mean mu, standard deviation sigma
    assert torch.allclose(z.mean(0), mu[0], atol=5 * float(sigma.max()) / math.sqrt(len(z)))
    assert torch.allclose(z.std(0), sigma[0], rtol=0.02)
    # dz/dmu = 1 and dz/dlog_var = sigma * eps / 2 (the trick's point: gradients reach the encoder)
    epsilon = ((z - mu) / sigma).detach()
    grad_mu, grad_log_var = torch.autograd.grad(z.sum(), (mu, log_var))
    assert torch.allclose(grad_mu, torch.full_like(mu, len(z)))
    expected = (0.5 * sigma * epsilon).sum(0, keepdim=True).detach()
    assert torch.allclose(grad_log_var, expected, rtol=1e-9, atol=1e-9)
    again = vae.reparameterize(
        mu.expand(40_000, 2), log_var.expand(40_000, 2), torch.Generator().manual_seed(3)
    )
    assert torch.equal(again, z)


def test_vae_loss_is_eq_5_17():
    g = torch.Generator().manual_seed(1)
    x, x_out = torch.rand(5, 6, generator=g), torch.rand(5, 6, generator=g)
    mu, log_var = torch.randn(5, 2, generator=g), torch.randn(5, 2, generator=g)
    sigma = (0.5 * log_var).exp()
    by_hand = (
        sum(
            0.5 * 3.0 * ((x[i] - x_out[i]) ** 2).sum()
            + 0.5 * (sigma[i] ** 2 + mu[i] ** 2 - 1 - 2 * sigma[i].log()).sum()
            for i in range(5)
        )
        / 5
    )
    assert float(vae_loss(x, x_out, mu, log_var, 3.0)) == pytest.approx(float(by_hand), rel=1e-5)
    with pytest.raises(ValueError, match="reconstruction_weight"):
        vae_objective(0.0)


def _test_mse(model, x_test):
    with torch.no_grad():
        out = model.reconstruct(x_test) if isinstance(model, VAE) else model(x_test)
    return float(((out - x_test) ** 2).mean())


def test_autoencoder_and_vae_reconstruct_digits_better_than_the_mean_image(digits):
    x_train, x_test = digits
    mean_image_mse = float(((x_test - x_train.mean(0)) ** 2).mean())
    ae = Autoencoder(64, 2, hidden=(64,), seed=0)
    fit(
        ae,
        x_train,
        loss=autoencoder_objective(),
        epochs=10,
        batch_size=64,
        learning_rate=3e-3,
        seed=0,
    )
    vae = VAE(64, 2, hidden=(64,), seed=0)
    fit(
        vae, x_train, loss=vae_objective(50.0), epochs=10, batch_size=64, learning_rate=3e-3, seed=0
    )
    assert _test_mse(ae, x_test) < 0.8 * mean_image_mse
    assert _test_mse(vae, x_test) < 0.8 * mean_image_mse
    samples = vae.sample(8, seed=0)
    assert samples.shape == (8, 64) and float(samples.min()) >= 0 and float(samples.max()) <= 1


def test_vae_training_is_seeded(digits):
    x_train, _ = digits
    losses = []
    for _ in range(2):
        vae = VAE(64, 2, hidden=(16,), seed=4)
        losses.append(
            fit(
                vae, x_train[:256], loss=vae_objective(20.0), epochs=2, batch_size=64, seed=1
            ).train_loss
        )
    assert losses[0] == losses[1]


# ---------------------------------------------------------------- GAN


def test_gan_losses_match_binary_cross_entropy_and_saturate():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(6, generator=g), torch.randn(5, generator=g)
    bce = torch.nn.functional.binary_cross_entropy
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected = 0.5 * bce(d_real, torch.full((6,), 0.9)) + 0.5 * bce(d_fake, torch.zeros(5))
    assert float(discriminator_loss(real, fake, 0.1)) == pytest.approx(float(expected), rel=1e-5)
    assert float(generator_loss(fake)) == pytest.approx(float(-0.5 * d_fake.log().mean()))
    saturating = generator_loss(fake, "saturating")
    assert float(saturating) == pytest.approx(float(0.5 * (1 - d_fake).log().mean()), rel=1e-5)
    # a confident discriminator (logit -10 on fakes): the minimax gradient nearly vanishes
    logit = torch.tensor([-10.0], requires_grad=True)
    (grad_sat,) = torch.autograd.grad(generator_loss(logit, "saturating"), logit)
    (grad_non,) = torch.autograd.grad(generator_loss(logit), logit)
    assert abs(float(grad_sat)) < 1e-4 < 0.4 < abs(float(grad_non))
    with pytest.raises(ValueError, match="label_smoothing"):
        discriminator_loss(real, fake, 1.0)


def test_gan_lowers_the_wasserstein_distance_to_a_1d_mixture():
    data = sample_gaussian_mixture(2000, [-2.0, 2.0], 0.5, seed=0)[:, 0]
    reference = sample_gaussian_mixture(4000, [-2.0, 2.0], 0.5, seed=1)[:, 0]
    gan = GAN(1, 4, (32, 32), (32, 32), seed=0)
    before = wasserstein_distance(gan.sample(4000, seed=2)[:, 0].numpy(), reference)
    history = train_gan(gan, data, n_steps=400, batch_size=64, learning_rate=2e-3, seed=0)
    after = wasserstein_distance(gan.sample(4000, seed=2)[:, 0].numpy(), reference)
    assert before > 1.5  # the untrained generator sits near 0, between the modes
    assert after < 0.5 * before and after < 0.6
    assert len(history.generator_loss) == 400


def test_gan_training_is_seeded():
    data = sample_gaussian_mixture(200, [0.0], 1.0, seed=0)
    outs = []
    for _ in range(2):
        gan = GAN(1, 2, (8,), (8,), seed=1)
        train_gan(gan, data, n_steps=5, batch_size=16, label_smoothing=0.1, seed=3)
        outs.append(gan.sample(10, seed=0))
    assert torch.equal(outs[0], outs[1])
    with pytest.raises(ValueError, match="kind"):
        train_gan(GAN(1, 2), data, n_steps=1, batch_size=4, generator_loss_kind="x", seed=0)


# ---------------------------------------------------------------- DDPM


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_forward_marginal_closed_form_matches_iterated_steps(kind):
    betas = beta_schedule(40, kind)
    alpha_bars = torch.cumprod(1 - betas, 0)
    # exact recursion of the Gaussian's mean coefficient and variance (eq. 2 iterated)
    coefficient, variance = 1.0, 0.0
    for t in range(40):
        coefficient *= math.sqrt(1 - float(betas[t]))
        variance = (1 - float(betas[t])) * variance + float(betas[t])
        assert coefficient == pytest.approx(math.sqrt(float(alpha_bars[t])), rel=1e-12)
        assert variance == pytest.approx(1 - float(alpha_bars[t]), rel=1e-12)
    # Monte Carlo: iterate the steps on many copies of one x_0 vs the closed-form draw
    g = torch.Generator().manual_seed(0)
    x0 = torch.tensor([[1.5, -0.7]], dtype=torch.float64).repeat(100_000, 1)
    x = x0
    for t in range(40):
        x = forward_step(x, t, torch.randn(x.shape, generator=g, dtype=x.dtype), betas)
        if t in (0, 9, 39):
            direct = q_sample(
                x0,
                torch.full((len(x0),), t),
                torch.randn(x0.shape, generator=g, dtype=x0.dtype),
                alpha_bars,
            )
            for sample in (x, direct):
                mean = math.sqrt(float(alpha_bars[t])) * x0[0]
                std = math.sqrt(1 - float(alpha_bars[t]))
                assert torch.allclose(sample.mean(0), mean, atol=5 * std / math.sqrt(len(x0)))
                assert torch.allclose(
                    sample.std(0), torch.full((2,), std, dtype=x.dtype), rtol=0.02
                )


def test_cosine_schedule_follows_its_alpha_bar():
    betas = beta_schedule(50, "cosine")
    f = [math.cos((t / 50 + 0.008) / 1.008 * math.pi / 2) ** 2 for t in range(51)]
    alpha_bars = torch.cumprod(1 - betas, 0)
    expected = torch.tensor([f[t] / f[0] for t in range(1, 51)], dtype=torch.float64)
    assert torch.allclose(alpha_bars[:-1], expected[:-1], rtol=1e-10)  # last beta is clipped
    assert float(beta_schedule(1000, "linear")[0]) == pytest.approx(1e-4)
    assert float(beta_schedule(1000, "linear")[-1]) == pytest.approx(0.02)
    with pytest.raises(ValueError, match="kind"):
        beta_schedule(10, "quadratic")


def _energy_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(2 * cdist(a, b).mean() - cdist(a, a).mean() - cdist(b, b).mean())


def test_trained_ddpm_samples_are_closer_to_a_2d_ring_than_noise():
    means = ring_means(8, radius=2.0)
    data = sample_gaussian_mixture(3000, means, 0.1, seed=0)
    reference = sample_gaussian_mixture(800, means, 0.1, seed=1)
    model = DDPM(2, n_steps=50, hidden=(64, 64, 64), seed=0)
    fit(
        model,
        torch.tensor(data, dtype=torch.float32),
        loss=ddpm_objective(),
        epochs=16,
        batch_size=128,
        learning_rate=3e-3,
        seed=0,
    )
    samples = model.sample(800, seed=3).numpy()
    noise = np.random.default_rng(4).standard_normal((800, 2))
    assert _energy_distance(samples, reference) < 0.35 * _energy_distance(noise, reference)
    per_axis = [wasserstein_distance(samples[:, i], reference[:, i]) for i in range(2)]
    per_axis_noise = [wasserstein_distance(noise[:, i], reference[:, i]) for i in range(2)]
    assert sum(per_axis) < 0.6 * sum(per_axis_noise)
    # same seed, same samples; the trajectory ends at x_0
    trajectory = model.sample(10, seed=3, keep_every=10)
    assert torch.equal(trajectory[-1], model.sample(10, seed=3))
    assert trajectory.shape == (6, 10, 2)
