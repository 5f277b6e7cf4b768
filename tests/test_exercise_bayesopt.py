"""The GP/EI code of the reaction exercise against direct linear algebra, sklearn and MC."""

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel

from labcoat.exercises._bayesopt import (
    GaussianProcess,
    bayesian_optimization,
    expected_improvement,
    fit_gaussian_process,
    log_marginal_likelihood,
    squared_exponential,
)


def data(n=12, d=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, d))
    y = np.sin(3 * x[:, 0]) + x[:, 1] ** 2 + 0.05 * rng.standard_normal(n)
    return x, y


def test_kernel_matches_the_definition():
    x, _ = data(5, 3)
    z = data(4, 3, seed=1)[0]
    ell = np.array([0.2, 0.5, 1.3])
    direct = np.array([[2.0 * np.exp(-0.5 * np.sum(((a - b) / ell) ** 2)) for b in z] for a in x])
    np.testing.assert_allclose(squared_exponential(x, z, ell, 2.0), direct, rtol=1e-12)


def test_posterior_matches_direct_linear_algebra():
    x, y = data()
    ell, s2, n2 = np.array([0.3, 0.7]), 1.5, 0.01
    gp = GaussianProcess(ell, s2, n2).fit(x, y)
    test = data(7, seed=3)[0]
    k = squared_exponential(x, x, ell, s2) + n2 * np.eye(len(x))
    k_star = squared_exponential(test, x, ell, s2)
    inverse = np.linalg.inv(k)
    mean = y.mean() + k_star @ inverse @ (y - y.mean())
    cov = squared_exponential(test, test, ell, s2) - k_star @ inverse @ k_star.T
    got_mean, got_var = gp.predict(test)
    np.testing.assert_allclose(got_mean, mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got_var, np.diag(cov), rtol=1e-7, atol=1e-12)
    sign, logdet = np.linalg.slogdet(k)
    r = y - y.mean()
    lml = -0.5 * r @ inverse @ r - 0.5 * logdet - 0.5 * len(y) * np.log(2 * np.pi)
    assert gp.log_marginal_likelihood() == pytest.approx(lml, rel=1e-10)


def test_posterior_and_likelihood_match_sklearn():
    x, y = data()
    ell, s2, n2 = np.array([0.3, 0.7]), 1.5, 0.01
    gp = GaussianProcess(ell, s2, n2).fit(x, y)
    kernel = ConstantKernel(s2, "fixed") * RBF(ell, "fixed")
    reference = GaussianProcessRegressor(kernel, alpha=n2, optimizer=None).fit(x, y - y.mean())
    test = data(9, seed=4)[0]
    mean, std = reference.predict(test, return_std=True)
    got_mean, got_var = gp.predict(test)
    np.testing.assert_allclose(got_mean, mean + y.mean(), rtol=1e-9)
    np.testing.assert_allclose(np.sqrt(got_var), std, rtol=1e-6)
    assert gp.log_marginal_likelihood() == pytest.approx(
        reference.log_marginal_likelihood_value_, rel=1e-9
    )


def test_fitted_hyperparameters_are_at_least_as_likely_as_sklearns_optimum():
    x, y = data(20, 2, seed=2)
    gp = fit_gaussian_process(x, y, noise_variance=0.0025)
    kernel = ConstantKernel(1.0, (1e-6, 9.0)) * RBF([0.3, 0.3], (0.03, 3.0))
    reference = GaussianProcessRegressor(
        kernel, alpha=0.0025, n_restarts_optimizer=5, random_state=0
    ).fit(x, y - y.mean())
    assert gp.log_marginal_likelihood() >= reference.log_marginal_likelihood_value_ - 1e-4


def test_likelihood_gradient_matches_sklearn():
    x, y = data(15, 3, seed=5)
    ell, s = np.array([0.3, 0.8, 0.5]), 1.2
    value, gradient = log_marginal_likelihood(np.log(np.append(ell, s)), x, y, 0.01)
    kernel = ConstantKernel(s**2) * RBF(ell)
    reference = GaussianProcessRegressor(kernel, alpha=0.01, optimizer=None).fit(x, y - y.mean())
    ref_value, ref_gradient = reference.log_marginal_likelihood(
        reference.kernel_.theta, eval_gradient=True
    )
    assert value == pytest.approx(ref_value, rel=1e-10)
    # sklearn's theta is (log s^2, log l_j): d/d log s = 2 d/d log s^2
    np.testing.assert_allclose(
        gradient, np.append(ref_gradient[1:], 2 * ref_gradient[0]), rtol=1e-7
    )


def test_expected_improvement_matches_monte_carlo():
    rng = np.random.default_rng(0)
    mean, std, best, xi = np.array([0.2, 0.5, 0.9, 0.5]), np.array([0.3, 0.1, 0.05, 0.0]), 0.6, 0.01
    samples = mean[:, None] + std[:, None] * rng.standard_normal((4, 400_000))
    improvement = np.maximum(samples - best - xi, 0.0)
    mc, se = improvement.mean(axis=1), improvement.std(axis=1) / np.sqrt(samples.shape[1])
    ei = expected_improvement(mean, std, best, xi)
    assert np.all(np.abs(ei - mc) <= 4 * se + 1e-12)
    assert ei[3] == 0.0


def test_bayesian_optimization_beats_random_search_on_a_smooth_bump():
    def bump(u):
        return float(np.exp(-np.sum((u - np.array([0.7, 0.3, 0.55])) ** 2) / 0.1))

    bo_best, random_best = [], []
    for seed in range(3):
        x, y = bayesian_optimization(bump, 3, 25, np.random.default_rng(seed), noise_variance=1e-4)
        assert x.shape == (25, 3) and np.all((x >= 0) & (x <= 1))
        np.testing.assert_allclose(y, [bump(u) for u in x])
        bo_best.append(y.max())
        random_best.append(max(bump(u) for u in np.random.default_rng(seed).uniform(size=(25, 3))))
    assert np.mean(bo_best) > 0.95 > np.mean(random_best)


def test_bayesian_optimization_is_deterministic_given_the_generator():
    def f(u):
        return float(-np.sum((u - 0.4) ** 2))

    a = bayesian_optimization(f, 2, 10, np.random.default_rng(1), noise_variance=1e-4)
    b = bayesian_optimization(f, 2, 10, np.random.default_rng(1), noise_variance=1e-4)
    np.testing.assert_array_equal(a[0], b[0])


def test_latin_hypercube_puts_one_point_in_every_slice_of_every_axis():
    from labcoat.exercises._bayesopt import latin_hypercube

    points = latin_hypercube(7, 3, np.random.default_rng(0))
    assert points.shape == (7, 3) and np.all((points >= 0) & (points < 1))
    for axis in range(3):
        assert sorted(np.floor(points[:, axis] * 7).astype(int)) == list(range(7))
