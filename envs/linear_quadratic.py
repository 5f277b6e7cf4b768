"""Linear-quadratic regulator: the control problem whose optimal policy is known exactly.

Seed 002, project P7: reinforcement learning as optimal control. For linear dynamics and a
quadratic cost the Bellman equation is solved by a quadratic value V(x) = x^T P x, with P the
solution of the discrete algebraic Riccati equation (`riccati`), so any learner can be checked
against P, the gain K and the optimal cost to many digits.
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from labcoat.envs._checks import check_float, check_int
from labcoat.envs._inputs import box_action, check_options, real_array
from labcoat.envs._render import check_render_mode, render_frame

__all__ = ["LinearQuadraticEnv", "riccati"]

Matrix = NDArray[np.float64]


def riccati(
    A: Any,
    B: Any,
    Q: Any,
    R: Any,
    gamma: float = 1.0,
    tol: float = 1e-12,
    max_iter: int = 100_000,
) -> tuple[Matrix, Matrix]:
    """Solve the discrete algebraic Riccati equation by value iteration on P.

    The optimal cost-to-go of x' = A x + B u with stage cost x^T Q x + u^T R u, discounted by
    gamma, is V(x) = x^T P x with P the fixed point of the Bellman update

        P = Q + g A^T P A - g^2 A^T P B (R + g B^T P B)^{-1} B^T P A,

    and the optimal control is u = -K x with K = g (R + g B^T P B)^{-1} B^T P A (g = gamma).
    For gamma = 1 this is the equation of ``scipy.linalg.solve_discrete_are``. The iteration
    starts at P = Q (the one-step cost) and stops when no entry of P changes by more than
    ``tol`` relative to max(1, |P|).

    Args:
        A: (n, n) dynamics matrix.
        B: (n, m) input matrix.
        Q: (n, n) symmetric positive semi-definite state cost.
        R: (m, m) symmetric positive definite control cost.
        gamma: discount factor in (0, 1].
        tol: relative tolerance of the fixed point, in (0, 1).
        max_iter: iteration budget, >= 1.

    Returns:
        (P, K) with shapes (n, n) and (m, n).

    Raises:
        TypeError: a matrix holds something other than real numbers, or a scalar has a wrong type.
        ValueError: shapes that do not match, non-finite entries, Q not symmetric PSD, R not
            symmetric PD, a scalar out of range, or no convergence within ``max_iter``
            iterations (the system is then not stabilizable, or gamma too close to an unstable
            regime for the budget).
    """
    A, B, Q, R = system_matrices(A, B, Q, R)
    gamma = check_float("gamma", gamma, 0.0, 1.0, low_open=True)
    tol = check_float("tol", tol, 0.0, 1.0, low_open=True, high_open=True)
    max_iter = check_int("max_iter", max_iter, 1)
    P = Q.copy()
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected below
        return _iterate(A, B, Q, R, P, gamma, tol, max_iter)


def _iterate(
    A: Matrix, B: Matrix, Q: Matrix, R: Matrix, P: Matrix, gamma: float, tol: float, max_iter: int
) -> tuple[Matrix, Matrix]:
    for _ in range(max_iter):
        K = _gain(A, B, R, P, gamma)
        closed = A - B @ K  # P = Q + K^T R K + g (A - BK)^T P (A - BK), symmetric by form
        new = Q + K.T @ R @ K + gamma * closed.T @ P @ closed
        new = 0.5 * (new + new.T)
        if not np.all(np.isfinite(new)):
            break
        if np.max(np.abs(new - P)) <= tol * max(1.0, float(np.max(np.abs(new)))):
            return new, _gain(A, B, R, new, gamma)
        P = new
    raise ValueError(
        f"riccati did not converge within max_iter={max_iter} iterations: (sqrt(gamma) A, B) "
        "must be stabilizable for the Riccati equation to have a solution"
    )


def _gain(A: Matrix, B: Matrix, R: Matrix, P: Matrix, gamma: float) -> Matrix:
    """K = g (R + g B^T P B)^{-1} B^T P A, the greedy gain of the value x^T P x."""
    return np.asarray(gamma * np.linalg.solve(R + gamma * B.T @ P @ B, B.T @ P @ A), np.float64)


def system_matrices(A: Any, B: Any, Q: Any, R: Any) -> tuple[Matrix, Matrix, Matrix, Matrix]:
    """A, B, Q, R as float64 matrices, checked (see `riccati` for the rules and errors)."""
    A, B, Q, R = (_matrix(name, value) for name, value in zip("ABQR", (A, B, Q, R), strict=True))
    n, m = A.shape[0], B.shape[1] if B.ndim == 2 else 0
    for name, matrix, shape in (("A", A, (n, n)), ("B", B, (n, m)), ("Q", Q, (n, n))):
        if matrix.shape != shape or n == 0 or m == 0:
            raise ValueError(
                f"{name} must have shape {shape} (A is (n, n) with n >= 1, B (n, m) with m >= 1, "
                f"Q (n, n), R (m, m)), got shape {matrix.shape}"
            )
    if R.shape != (m, m):
        raise ValueError(f"R must have shape {(m, m)} (m = the columns of B), got {R.shape}")
    _check_definite("Q", Q, strict=False)
    _check_definite("R", R, strict=True)
    return A, B, Q, R


def _matrix(name: str, value: Any) -> Matrix:
    array = real_array(name, value)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-d matrix of finite numbers, got {value!r}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers (no NaN or inf), got {value!r}")
    return array


def _check_definite(name: str, matrix: Matrix, *, strict: bool) -> None:
    """Symmetric (to rounding) and positive (semi-)definite, or a ValueError naming ``name``.

    Both tolerances are relative to the largest entry, so a tiny but definite R is accepted.
    """
    scale = float(np.max(np.abs(matrix)))
    kind = "positive definite" if strict else "positive semi-definite"
    if not np.allclose(matrix, matrix.T, rtol=0.0, atol=1e-12 * scale):
        raise ValueError(f"{name} must be symmetric and {kind}, got {matrix.tolist()}")
    smallest = float(np.linalg.eigvalsh(matrix)[0])
    if smallest < -1e-12 * scale or (strict and smallest <= 1e-12 * scale):
        raise ValueError(
            f"{name} must be symmetric and {kind}, got smallest eigenvalue {smallest:g}"
        )


class LinearQuadraticEnv(gym.Env[np.ndarray, np.ndarray]):
    """Steer a linear system to the origin at quadratic cost (the linear-quadratic regulator).

    ## Description
    The state x in R^n evolves linearly under the control u in R^m,

        x_{t+1} = A x_t + B u_t + w_t,   w_t ~ N(0, noise_std^2 I),

    and each step costs x_t^T Q x_t + u_t^T R u_t. Without noise the optimal total cost from x_0
    is x_0^T P x_0 and the optimal control u = -K x, with (P, K) the solution of the discrete
    algebraic Riccati equation (`riccati`); both are attributes (`P`, `K`) of the env. With the
    default A = B = Q = R = [[1]], P = (1 + sqrt 5) / 2 and K = P / (1 + P) = 0.618...

    ## Action Space
    `Box(-1, 1, (m,), float32)`: the control is u = max_control * action (a normalized box, as
    Stable-Baselines3 recommends). The optimal action is therefore -K x / max_control.

    ## Observation Space
    `Box(-state_bound, state_bound, (n,), float32)`: the state x, clipped to the box (only the
    last observation of a terminated episode is clipped; `info["state"]` is never).

    ## Rewards
    r_{t+1} = -(x_t^T Q x_t + u_t^T R u_t): the cost of the state the step starts from and of
    its control, so the return of an episode is minus its total cost.

    ## Transitions
    The linear dynamics above; the noise w_t is drawn from the env's `np_random`.

    ## Starting State
    x_0 uniform in [-x0_range, x0_range]^n (or `options={"x0": x}` in `reset`).

    ## Episode End
    Termination when a component of x exceeds `state_bound` in absolute value (the system was
    driven unstable). Truncation after 200 steps (TimeLimit wrapper of the registration).

    ## Information
    `reset` and `step` return `state` (x as float64), `control` (u of the last step; zeros at
    reset) and `optimal_cost` (x_0^T P x_0, the noise-free optimal cost from the episode's start).

    ## Arguments
    ```python
    gym.make("labcoat/LinearQuadratic-v0", A=[[1.0]], B=[[1.0]], Q=[[1.0]], R=[[1.0]],
             noise_std=0.0, max_control=10.0, x0_range=1.0, state_bound=1000.0,
             render_mode=None)
    ```
    * `A` (n, n), `B` (n, m): the dynamics; (A, B) must be stabilizable.
    * `Q` (n, n): symmetric positive semi-definite; `R` (m, m): symmetric positive definite.
    * `noise_std`: >= 0; `max_control`, `x0_range`: > 0; `state_bound`: > x0_range.
    * `render_mode`: None, "ansi" (a line of text) or "rgb_array" (a 64 x 96 picture: one row
      per state component, up to 16, a red bar from the centre of length tanh(x_i / x0_range)).

    ## Version History
    * v0: initial version.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        *,
        A: Any = ((1.0,),),
        B: Any = ((1.0,),),
        Q: Any = ((1.0,),),
        R: Any = ((1.0,),),
        noise_std: float = 0.0,
        max_control: float = 10.0,
        x0_range: float = 1.0,
        state_bound: float = 1000.0,
        render_mode: str | None = None,
    ) -> None:
        self.A, self.B, self.Q, self.R = system_matrices(A, B, Q, R)
        self.noise_std = check_float("noise_std", noise_std, 0.0)
        self.max_control = check_float("max_control", max_control, 0.0, low_open=True)
        self.x0_range = check_float("x0_range", x0_range, 0.0, low_open=True)
        self.state_bound = check_float("state_bound", state_bound, 0.0, low_open=True)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        # the relation between two arguments is checked after each argument on its own
        try:
            check_float("state_bound", state_bound, self.x0_range, low_open=True)
        except ValueError as error:  # name both: either argument may be the one to change
            raise ValueError(f"{error} (the bound on |x| must exceed x0_range)") from None
        self.P, self.K = riccati(self.A, self.B, self.Q, self.R)
        """The Riccati solution (optimal cost x^T P x) and gain (optimal control u = -K x)."""
        n, m = self.B.shape
        self.action_space = spaces.Box(-1.0, 1.0, shape=(m,), dtype=np.float32)
        self.observation_space = spaces.Box(
            -self.state_bound, self.state_bound, shape=(n,), dtype=np.float32
        )
        self._state = np.zeros(n)
        self._control = np.zeros(m)
        self._optimal_cost = 0.0
        self._started = False
        self._steps = 0

    def optimal_action(self, state: Any) -> np.ndarray:
        """The optimal action -K x / max_control of a state x (float32, clipped to [-1, 1])."""
        x = real_array("state", state)
        if x.shape != self._state.shape or not np.all(np.isfinite(x)):
            raise ValueError(f"state must be a finite vector of shape {self._state.shape}")
        return np.clip(-self.K @ x / self.max_control, -1.0, 1.0).astype(np.float32)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start at x_0 uniform in [-x0_range, x0_range]^n (or ``options["x0"]``)."""
        options = check_options(options, ("x0",))
        x0 = options.get("x0")
        if x0 is not None:
            x0 = real_array("options['x0']", x0)
            if x0.shape != self._state.shape or not np.all(np.abs(x0) <= self.x0_range):
                raise ValueError(
                    f"options['x0'] must be a vector of shape {self._state.shape} with values in "
                    f"[-{self.x0_range:g}, {self.x0_range:g}], got {options['x0']!r}"
                )
        super().reset(seed=seed)
        if x0 is None:
            x0 = self.np_random.uniform(-self.x0_range, self.x0_range, size=self._state.shape)
        self._state = np.array(x0, dtype=np.float64)
        self._control = np.zeros_like(self._control)
        self._optimal_cost = float(self._state @ self.P @ self._state)
        self._started = True
        self._steps = 0
        return self._observation(), self._info()

    def step(
        self, action: np.ndarray
    ) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        """Apply u = max_control * action for one step of the linear dynamics."""
        if not self._started:
            raise RuntimeError("call reset() before step()")
        u = self.max_control * np.array(box_action(action, self.action_space))
        x = self._state
        reward = -float(x @ self.Q @ x + u @ self.R @ u)
        x = self.A @ x + self.B @ u
        if self.noise_std > 0.0:
            x = x + self.noise_std * self.np_random.standard_normal(x.shape)
        self._state, self._control = x, u
        self._steps += 1
        terminated = bool(np.max(np.abs(x)) > self.state_bound)
        return self._observation(), reward, terminated, False, self._info()

    def _observation(self) -> np.ndarray:
        bound = self.state_bound
        return np.clip(self._state, -bound, bound).astype(np.float32)

    def _info(self) -> dict[str, Any]:
        return {
            "state": self._state.copy(),
            "control": self._control.copy(),
            "optimal_cost": self._optimal_cost,
        }

    def render(self) -> str | np.ndarray | None:  # type: ignore[override]
        """The current state as a line of text ("ansi") or a picture ("rgb_array")."""
        if not self._started:
            raise RuntimeError("call reset() before render()")
        return render_frame(self.render_mode, self._render_text, self._render_picture)

    def _render_text(self) -> str:
        state = np.array2string(self._state, precision=4)
        control = np.array2string(self._control, precision=4)
        return f"t = {self._steps}: x = {state}, u = {control}\n"

    def _render_picture(self) -> np.ndarray:
        """One row per state component (up to 16): a red bar from the centre, black axis."""
        image = np.full((64, 96, 3), 235, dtype=np.uint8)
        shown = self._state[:16]
        height = 64 // len(shown)
        for row, value in enumerate(shown):
            end = 48 + round(44 * float(np.tanh(value / self.x0_range)))
            left, right = min(48, end), max(48, end)
            image[row * height + 1 : (row + 1) * height - 1, left : right + 1] = (210, 40, 40)
        image[:, 47:49] = (0, 0, 0)
        return image
