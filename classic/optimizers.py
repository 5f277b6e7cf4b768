"""The gradient-based optimizers of seed 001 ("Optimisation strategies"), on numpy functions.

Each optimizer holds its state and turns a gradient into a new point with ``step(theta, g)``;
:func:`minimize` runs one from a start point and records the path. Equations as in the slides,
with the corrections of ERRATA.md: Adam's first moment is ``m_t = beta1 m_{t-1} + (1 - beta1)
g_t`` and the RMSprop and Adam denominators are ``sqrt(s) + epsilon``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from labcoat.classic._checks import check_finite_array, check_float, check_int

Gradient = Callable[[np.ndarray], np.ndarray]


def _positive(name: str, value: object) -> float:
    return check_float(name, value, 0.0, low_open=True)


def _decay(name: str, value: object) -> float:
    """A decay rate (gamma, beta, beta1, beta2) in [0, 1)."""
    return check_float(name, value, 0.0, 1.0, high_open=True)


class GradientDescent:
    """Plain gradient descent: theta_{t+1} = theta_t - eta grad E(theta_t)."""

    def __init__(self, learning_rate: float = 0.01) -> None:
        learning_rate = _positive("learning_rate", learning_rate)
        self.learning_rate = learning_rate

    def step(self, theta: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """One update."""
        return theta - self.learning_rate * gradient


class Momentum:
    """Momentum: v_t = gamma v_{t-1} + eta g_t, theta_{t+1} = theta_t - v_t."""

    def __init__(self, learning_rate: float = 0.01, gamma: float = 0.9) -> None:
        learning_rate = _positive("learning_rate", learning_rate)
        gamma = _decay("gamma", gamma)
        self.learning_rate = learning_rate
        self.gamma = gamma
        self.v: np.ndarray | None = None

    def step(self, theta: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """One update."""
        v = np.zeros_like(theta) if self.v is None else self.v
        self.v = self.gamma * v + self.learning_rate * gradient
        return theta - self.v


class RMSprop:
    """RMSprop: s_t = beta s_{t-1} + (1 - beta) g_t^2, theta -= eta g_t / (sqrt(s_t) + epsilon)."""

    def __init__(
        self, learning_rate: float = 0.001, beta: float = 0.9, epsilon: float = 1e-8
    ) -> None:
        learning_rate = _positive("learning_rate", learning_rate)
        beta = _decay("beta", beta)
        epsilon = _positive("epsilon", epsilon)
        self.learning_rate = learning_rate
        self.beta = beta
        self.epsilon = epsilon
        self.s: np.ndarray | None = None

    def step(self, theta: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """One update."""
        s = np.zeros_like(theta) if self.s is None else self.s
        self.s = self.beta * s + (1.0 - self.beta) * gradient**2
        return theta - self.learning_rate * gradient / (np.sqrt(self.s) + self.epsilon)


class Adam:
    """Adam with bias correction (seed 001, corrected per ERRATA).

    m_t = beta1 m_{t-1} + (1 - beta1) g_t,  s_t = beta2 s_{t-1} + (1 - beta2) g_t^2,
    m^_t = m_t / (1 - beta1^t),  s^_t = s_t / (1 - beta2^t),
    theta_{t+1} = theta_t - eta m^_t / (sqrt(s^_t) + epsilon).
    """

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
    ) -> None:
        learning_rate = _positive("learning_rate", learning_rate)
        beta1 = _decay("beta1", beta1)
        beta2 = _decay("beta2", beta2)
        epsilon = _positive("epsilon", epsilon)
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.m: np.ndarray | None = None
        self.s: np.ndarray | None = None
        self.t = 0

    def step(self, theta: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """One update."""
        m = np.zeros_like(theta) if self.m is None else self.m
        s = np.zeros_like(theta) if self.s is None else self.s
        self.t += 1
        self.m = self.beta1 * m + (1.0 - self.beta1) * gradient
        self.s = self.beta2 * s + (1.0 - self.beta2) * gradient**2
        m_hat = self.m / (1.0 - self.beta1**self.t)
        s_hat = self.s / (1.0 - self.beta2**self.t)
        return theta - self.learning_rate * m_hat / (np.sqrt(s_hat) + self.epsilon)


class Newton:
    """Newton's method: v_t = H^-1(theta_t) grad E(theta_t), theta_{t+1} = theta_t - v_t.

    Args:
        hessian: function theta -> (d, d) Hessian matrix of E.
        learning_rate: a damping factor on the step (1 is the pure Newton step).
    """

    def __init__(
        self, hessian: Callable[[np.ndarray], np.ndarray], learning_rate: float = 1.0
    ) -> None:
        if not callable(hessian):
            raise TypeError(f"hessian must be a function theta -> matrix, got {hessian!r}")
        learning_rate = _positive("learning_rate", learning_rate)
        self.hessian = hessian
        self.learning_rate = learning_rate

    def step(self, theta: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """One update (solves H v = g rather than inverting H)."""
        h = np.atleast_2d(self.hessian(theta))
        return theta - self.learning_rate * np.linalg.solve(h, gradient)


Optimizer = GradientDescent | Momentum | RMSprop | Adam | Newton


@dataclass
class OptimizeResult:
    """The outcome of :func:`minimize`."""

    x: np.ndarray
    """The final point."""
    path: np.ndarray
    """(n_iter + 1, d) every point visited, the start first."""
    n_iter: int
    """Steps taken."""
    converged: bool
    """Whether the gradient norm fell below the tolerance."""


def minimize(
    gradient: Gradient,
    x0: np.ndarray,
    optimizer: Optimizer,
    n_iterations: int = 1000,
    tolerance: float = 0.0,
) -> OptimizeResult:
    """Run ``optimizer`` from ``x0`` until ``|grad| <= tolerance`` or ``n_iterations`` steps.

    Args:
        gradient: function theta -> grad E(theta), same shape as theta.
        x0: the start point.
        optimizer: a fresh optimizer (it keeps state between steps).
        n_iterations: maximum number of steps.
        tolerance: stop when the gradient's Euclidean norm is at most this.
    """
    n_iterations = check_int("n_iterations", n_iterations, 1)
    tolerance = check_float("tolerance", tolerance, 0.0)
    theta = check_finite_array("x0", x0)
    path = [theta.copy()]
    converged = False
    for step in range(n_iterations):
        g = np.asarray(gradient(theta), dtype=np.float64)
        if np.linalg.norm(g) <= tolerance:
            converged = True
            break
        theta = optimizer.step(theta, g)
        if not np.all(np.isfinite(theta)):
            raise FloatingPointError(
                f"minimize: theta is not finite after step {step + 1} ({type(optimizer).__name__} "
                "diverged or the gradient is not finite): lower the learning rate"
            )
        path.append(theta.copy())
    return OptimizeResult(theta, np.array(path), len(path) - 1, converged)
