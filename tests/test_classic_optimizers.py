import numpy as np
import pytest

from labcoat.classic.optimizers import (
    Adam,
    GradientDescent,
    Momentum,
    Newton,
    RMSprop,
    minimize,
)

A = np.array([[3.0, 1.0], [1.0, 2.0]])
B = np.array([1.0, -1.0])
MINIMUM = np.linalg.solve(A, B)  # of E = 1/2 x^T A x - b^T x


def quadratic_gradient(x):
    return A @ x - B


def rosenbrock_gradient(p):
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def rosenbrock_hessian(p):
    x, y = p
    return np.array([[2 - 400 * (y - 3 * x * x), -400 * x], [-400 * x, 200.0]])


@pytest.mark.parametrize(
    "optimizer",
    [
        GradientDescent(0.2),
        Momentum(0.05, gamma=0.9),
        RMSprop(0.001),
        Adam(0.05),
        Newton(lambda x: A),
    ],
)
def test_quadratic_minimum(optimizer):
    # RMSprop's normalized steps end in a cycle of amplitude ~ learning_rate / 2 around x*.
    result = minimize(
        quadratic_gradient, np.array([4.0, 4.0]), optimizer, n_iterations=5000, tolerance=1e-9
    )
    np.testing.assert_allclose(
        result.x, MINIMUM, atol=1e-3 if isinstance(optimizer, RMSprop) else 1e-7
    )


def test_newton_solves_a_quadratic_in_one_step():
    result = minimize(quadratic_gradient, np.array([4.0, 4.0]), Newton(lambda x: A), n_iterations=1)
    np.testing.assert_allclose(result.x, MINIMUM, atol=1e-12)


def test_rosenbrock_minimum():
    start = np.array([-1.2, 1.0])
    newton = minimize(rosenbrock_gradient, start, Newton(rosenbrock_hessian), 100, tolerance=1e-10)
    np.testing.assert_allclose(newton.x, [1.0, 1.0], atol=1e-8)
    assert newton.converged and newton.n_iter < 20
    adam = minimize(rosenbrock_gradient, start, Adam(0.02), 20_000, tolerance=1e-8)
    np.testing.assert_allclose(adam.x, [1.0, 1.0], atol=1e-3)


def test_adam_first_steps_by_hand():
    # g = (2, -0.5) at every step; bias correction makes the first step eta * sign(g).
    eta, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    adam = Adam(eta, b1, b2, eps)
    g = np.array([2.0, -0.5])
    theta = adam.step(np.zeros(2), g)
    m, s = (1 - b1) * g, (1 - b2) * g**2
    expected = -eta * (m / (1 - b1)) / (np.sqrt(s / (1 - b2)) + eps)
    np.testing.assert_allclose(theta, expected, rtol=1e-12)
    np.testing.assert_allclose(theta, [-0.1, 0.1], rtol=1e-7)
    g2 = np.array([1.0, 1.0])
    theta2 = adam.step(theta, g2)
    m2, s2 = b1 * m + (1 - b1) * g2, b2 * s + (1 - b2) * g2**2
    step2 = eta * (m2 / (1 - b1**2)) / (np.sqrt(s2 / (1 - b2**2)) + eps)
    np.testing.assert_allclose(theta2, theta - step2, rtol=1e-12)


def test_momentum_and_rmsprop_by_hand():
    g = np.array([1.0, -2.0])
    momentum = Momentum(0.1, gamma=0.5)
    first = momentum.step(np.zeros(2), g)
    np.testing.assert_allclose(first, -0.1 * g)
    np.testing.assert_allclose(momentum.step(first, g), first - (0.5 * 0.1 * g + 0.1 * g))
    rms = RMSprop(0.01, beta=0.9, epsilon=1e-8)
    s = 0.1 * g**2
    np.testing.assert_allclose(rms.step(np.zeros(2), g), -0.01 * g / (np.sqrt(s) + 1e-8))


def test_bad_arguments():
    with pytest.raises(ValueError, match="learning_rate"):
        GradientDescent(-0.1)
    with pytest.raises(ValueError, match="beta1"):
        Adam(beta1=1.0)
    with pytest.raises(TypeError, match="hessian"):
        Newton(hessian=3.0)
