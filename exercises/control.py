"""Reinforcement learning as optimal control: every learner against the Riccati answer.

Seed 002, project P7 (Bellman <-> Hamilton-Jacobi-Bellman) on the linear-quadratic regulator
x' = A x + B u, reward -(x^T Q x + u^T R u) (labcoat/LinearQuadratic-v0), whose discounted
optimum is known exactly: V(x) = -x^T P x and u = -K x from the discrete Riccati equation
(:func:`labcoat.envs.linear_quadratic.riccati`, with the discount gamma). Each method learns
a gain and is judged against K (target: within 5 %):

- value iteration (eq. 7.18) on a state grid whose interpolation weights are the transition
  probabilities (a Markov-chain approximation of the HJB equation), solved by
  :func:`labcoat.agents.value_iteration` (scalar system);
- least-squares policy iteration (LSTD-Q) with quadratic features q(x, u) = z^T H z,
  z = (x, u), from sampled transitions, each improvement u = -H_uu^-1 H_ux x;
- REINFORCE with a learned baseline and the one-step actor-critic with a linear-Gaussian
  policy N(-K x, sigma^2) (labcoat.agents.policy_gradient), the gain averaged over the second
  half of training (Polyak-Ruppert);
- the cross-entropy method and an evolution strategy on the gain (footnote 30's direct
  policy search, labcoat.agents.policy_search).

All learners start from the same stabilizing gain (``initial_gain``; policy gradient on the
LQR converges from a stabilizing gain, Fazel et al. 2018). The continuous limit: with A = 1,
B = Q = R = dt the Riccati P and K tend to 1 as dt -> 0, i.e. V = x^2 and u = -x of the HJB
equation of dx = u dt with cost int (x^2 + u^2) dt; value iteration and LSPI are run at
dt = 0.1, 0.03, 0.01 against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import scipy.sparse as sp
from matplotlib.figure import Figure

from labcoat.agents import TabularModel, value_iteration
from labcoat.agents.parametric_policies import LinearGaussianPolicy
from labcoat.agents.policy_gradient import ActorCritic, Reinforce
from labcoat.agents.policy_search import CrossEntropyMethod, EvolutionStrategy
from labcoat.envs.linear_quadratic import LinearQuadraticEnv, riccati
from labcoat.exercises._framework import (
    Exercise,
    Result,
    Table,
    check_float,
    check_int,
    check_ints,
    track,
)

SYSTEMS: dict[str, dict[str, Any]] = {
    "scalar": {"A": [[1.0]], "B": [[1.0]], "Q": [[1.0]], "R": [[1.0]], "max_control": 2.0},
    "double integrator": {
        "A": [[1.0, 0.2], [0.0, 1.0]],
        "B": [[0.02], [0.2]],
        "Q": [[0.2, 0.0], [0.0, 0.2]],
        "R": [[0.2]],
        "max_control": 2.0,
    },
}
"""The systems: x' = x + u, and a double integrator (position, velocity) with time step 0.2."""

PG_STEP_SCALE = {1: 1.0, 2: 4.0}
"""The policy-gradient step sizes are multiplied by this per state dimension: the double
integrator's gradient is about 4 times smaller (B and Q scaled by 0.2), and at the scalar
system's step REINFORCE there is still 12 % short of K after 60 000 steps (seed 0)."""

DTS = (0.1, 0.03, 0.01)
"""Time steps of the continuous limit."""

TARGET = 0.05
"""The target relative error of a learned gain."""


_RATES = (
    "reinforce_learning_rate",
    "actor_learning_rate",
    "baseline_learning_rate",
    "critic_learning_rate",
    "action_std",
    "es_sigma",
    "es_learning_rate",
)
"""The step sizes and spreads of the learners: each > 0."""


@dataclass(frozen=True)
class Config:
    """Settings of the control exercise."""

    gamma: float = 0.9
    """Discount γ of the learning problems (0.5..0.99); the reference is the Riccati K of γ."""
    horizon: int = 30
    """Steps per episode (10..1000); a cut episode bootstraps from the critic (PG)."""
    initial_gain: float = 0.3
    """The stabilizing gain every learner starts from (u = -k x, scaled per system; 0..1)."""
    grid_states: int = 201
    """Grid points of value iteration on [-2, 2] (≥ 21, odd so that 0 is one)."""
    grid_actions: int = 201
    """Controls of value iteration on [-2, 2] (≥ 11)."""
    limit_grid: int = 101
    """Grid points (states and controls) of value iteration in the dt -> 0 limit (≥ 21, odd)."""
    lspi_samples: int = 200
    """Transitions (x, u, r, x') of LSPI, x and u uniform (≥ 10)."""
    lspi_iterations: int = 10
    """Policy-iteration steps of LSPI (≥ 1)."""
    pg_timesteps: int = 60_000
    """Environment steps of REINFORCE and of the actor-critic (≥ 100)."""
    reinforce_learning_rate: float = 0.0005
    """α of REINFORCE's policy (> 0)."""
    actor_learning_rate: float = 0.001
    """α of the actor-critic's actor (> 0)."""
    baseline_learning_rate: float = 0.01
    """α_w of REINFORCE's baseline v(x; w) on the features (1, x²) (> 0)."""
    critic_learning_rate: float = 0.1
    """α_w of the actor-critic's critic v(x; w) on the features (1, x²) (> 0)."""
    action_std: float = 0.3
    """σ of the linear-Gaussian policy of the policy-gradient agents (fixed; > 0)."""
    generations: int = 30
    """Generations of CEM and ES (≥ 1)."""
    population: int = 20
    """Candidates per generation (even, ≥ 4)."""
    episodes_per_score: int = 2
    """Episodes (start states) scoring one candidate (≥ 1)."""
    es_sigma: float = 0.02
    """σ of the evolution strategy's search distribution (> 0)."""
    es_learning_rate: float = 0.1
    """α of the evolution strategy (> 0)."""
    seed: int = 0
    """Seed of the samples, the policies and the envs."""

    def __post_init__(self) -> None:
        check_int("seed", self.seed, 0)
        check_float("gamma", self.gamma, 0.5, 0.99)
        check_int("horizon", self.horizon, 10, 1000)
        check_float("initial_gain", self.initial_gain, 0.0, 1.0)
        for name in ("grid_states", "limit_grid"):
            check_int(name, getattr(self, name), 21)
            if getattr(self, name) % 2 == 0:
                raise ValueError(f"{name} must be odd (0 on the grid), got {getattr(self, name)}")
        check_int("population", self.population, 4)
        if self.population % 2:
            raise ValueError(f"population must be even, got {self.population}")
        check_ints(
            self,
            {
                "grid_actions": 11,
                "lspi_samples": 10,
                "lspi_iterations": 1,
                "pg_timesteps": 100,
                "generations": 1,
                "episodes_per_score": 1,
            },
        )
        for name in _RATES:
            check_float(name, getattr(self, name), 0.0, low_open=True)


# ---------------------------------------------------------------------- value iteration on a grid


def grid_model(
    A: float, B: float, Q: float, R: float, x: np.ndarray, u: np.ndarray, absorbing_origin: bool
) -> TabularModel:
    """The scalar LQR on a grid: x' = A x + B u split between its two grid neighbours.

    p(x_i | x, u) are the linear-interpolation weights of x' (clipped to the grid), r(x, u) =
    -(Q x^2 + R u^2): a finite MDP whose Bellman equation is a consistent discretization of the
    HJB equation (Kushner & Dupuis). With ``absorbing_origin`` the state 0 is terminal (its
    value is 0, as the optimal cost from 0), so that gamma = 1 is well posed.
    """
    n, m = len(x), len(u)
    step = x[1] - x[0]
    nxt = np.clip(A * x[:, None] + B * u[None, :], x[0], x[-1]).ravel()  # (n * m,)
    low = np.minimum(((nxt - x[0]) / step).astype(np.int64), n - 2)
    weight = np.clip((nxt - x[low]) / step, 0.0, 1.0)  # rounding may step outside [0, 1]
    rows = np.repeat(np.arange(n * m), 2)
    cols = np.stack([low, low + 1], axis=1).ravel()
    probs = np.stack([1.0 - weight, weight], axis=1).ravel()
    T = sp.csr_matrix((probs, (rows, cols)), shape=(n * m, n))
    reward = -(Q * x[:, None] ** 2 + R * u[None, :] ** 2)
    terminal = np.isclose(x, 0.0) if absorbing_origin else False
    return TabularModel(T, reward, terminal, True)


def grid_solution(
    system: dict[str, Any], gamma: float, n_states: int, n_actions: int, absorbing: bool
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Value iteration on the grid; (P, K) fitted on |x| <= 1 (v = -P x^2, u = -K x), x, v."""
    x, u = np.linspace(-2.0, 2.0, n_states), np.linspace(-2.0, 2.0, n_actions)
    a, b, q, r = (float(np.asarray(system[k])[0, 0]) for k in "ABQR")
    model = grid_model(a, b, q, r, x, u, absorbing_origin=absorbing)
    result = value_iteration(model, gamma, tol=1e-9)
    inner = np.abs(x) <= 1.0
    P = -float(result.v[inner] @ x[inner] ** 2 / np.sum(x[inner] ** 4))
    K = -float(u[result.policy][inner] @ x[inner] / np.sum(x[inner] ** 2))
    return P, K, x, result.v


# ---------------------------------------------------------------- LSPI with quadratic features


def quadratic_features(z: np.ndarray) -> np.ndarray:
    """phi(z) = (z_i z_j)_{i <= j}: q(x, u) = z^T H z is linear in these, z = (x, u)."""
    i, j = np.triu_indices(z.shape[-1])
    return z[..., i] * z[..., j]


class QuadraticFeatures:
    """x(s) = (1, s_i s_j for i <= j): a value -s^T P s - c is linear in these (the critic's map).

    Args:
        n: dimension of the state s.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.n_features = 1 + n * (n + 1) // 2
        self._i, self._j = np.triu_indices(n)

    def __call__(self, observation: Any) -> np.ndarray:
        """x(s) (n_features,) for one state, (batch, n_features) for a batch."""
        s = np.asarray(observation, dtype=float)
        rows = s.reshape(-1, self.n)
        x = np.ones((len(rows), self.n_features))
        x[:, 1:] = rows[:, self._i] * rows[:, self._j]  # the products of quadratic_features
        return x[0] if s.ndim <= 1 else x


def _symmetric(w: np.ndarray, d: int) -> np.ndarray:
    """H with z^T H z = w . phi(z): diagonal w_ii, off-diagonal w_ij / 2."""
    H = np.zeros((d, d))
    H[np.triu_indices(d)] = w
    return (H + H.T) / 2.0


def lspi_gain(
    env: LinearQuadraticEnv,
    gamma: float,
    K0: np.ndarray,
    n_samples: int,
    iterations: int,
    seed: int,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Least-squares policy iteration (Lagoudakis & Parr 2003) with q(x, u) = z^T H z.

    Transitions (x, u, r, x') are sampled from the env with x, u uniform. Policy evaluation
    of u = -K x is LSTD-Q, sum_i phi_i (phi_i - gamma phi'_i)^T w = sum_i phi_i r_i with
    phi' = phi(x', -K x') (the fixed point of eq. 7.15's Bellman equation for q in the span);
    improvement is the greedy u maximizing q: K = H_uu^-1 H_ux (Hewer's iteration).
    """
    rng = np.random.default_rng(seed)
    n, m = env.B.shape
    x = rng.uniform(-env.x0_range, env.x0_range, size=(n_samples, n))
    a = rng.uniform(-1.0, 1.0, size=(n_samples, m))
    rewards, nxt = np.empty(n_samples), np.empty((n_samples, n))
    for i in range(n_samples):
        env.reset(options={"x0": x[i]})
        _, rewards[i], _, _, info = env.step(a[i].astype(np.float32))
        nxt[i] = info["state"]
    u = env.max_control * a.astype(np.float32).astype(float)
    phi = quadratic_features(np.hstack([x, u]))
    K, gains = np.array(K0, dtype=float), []
    for _ in range(iterations):
        phi_next = quadratic_features(np.hstack([nxt, -nxt @ K.T]))
        w = np.linalg.lstsq(phi.T @ (phi - gamma * phi_next), phi.T @ rewards, rcond=None)[0]
        H = _symmetric(w, n + m)
        K = np.linalg.solve(H[n:, n:], H[n:, :n])
        gains.append(K.copy())
    return K, gains


# ---------------------------------------------------------------------- learners on the env


def make_env(system: dict[str, Any], horizon: int, dt: float | None = None) -> gym.Env:
    """LinearQuadratic-v0 of a system (or of the dt problem A = 1, B = Q = R = dt)."""
    if dt is not None:
        system = {"A": [[1.0]], "B": [[dt]], "Q": [[dt]], "R": [[dt]], "max_control": 2.0}
    env = LinearQuadraticEnv(**system, x0_range=1.0)
    return gym.wrappers.TimeLimit(env, horizon)


def _lq(env: gym.Env) -> LinearQuadraticEnv:
    """The LinearQuadraticEnv inside the TimeLimit wrapper."""
    unwrapped = env.unwrapped
    assert isinstance(unwrapped, LinearQuadraticEnv)
    return unwrapped


def _gain(theta: np.ndarray, env: gym.Env) -> np.ndarray:
    """K of a linear policy a = W x in action units: u = max_control W x = -K x."""
    lq = _lq(env)
    return -lq.max_control * np.asarray(theta)[: lq.A.shape[0]][None, :]


def _start(env: gym.Env, gain: float) -> np.ndarray:
    """W of u = -gain (1, ..., 1) x scaled to the action box (the shared stabilizing start)."""
    lq = _lq(env)
    return -gain * np.ones((1, lq.A.shape[0])) / lq.max_control


def policy_gradient_gain(
    config: Config, env: gym.Env, kind: str, seed: int
) -> tuple[np.ndarray, list[tuple[int, float]]]:
    """Train REINFORCE or the actor-critic; (K, [(steps, k_0 so far)])."""
    lq = _lq(env)
    features = QuadraticFeatures(_lq(env).A.shape[0])
    policy = LinearGaussianPolicy(
        lq.A.shape[0],
        1,
        log_std=float(np.log(config.action_std / lq.max_control)),
        learn_std=False,
        weights=_start(env, config.initial_gain),
    )
    common = {"gamma": config.gamma, "critic_features": features, "seed": seed}
    if kind == "REINFORCE":
        lr = config.reinforce_learning_rate * PG_STEP_SCALE[lq.A.shape[0]]
        agent: Any = Reinforce(
            env,
            policy,
            learning_rate=lr,
            critic_learning_rate=config.baseline_learning_rate,
            **common,
        )
    else:
        lr = config.actor_learning_rate * PG_STEP_SCALE[lq.A.shape[0]]
        agent = ActorCritic(
            env,
            policy,
            learning_rate=lr,
            critic_learning_rate=config.critic_learning_rate,
            **common,
        )
    # Polyak-Ruppert: the reported gain is theta averaged over the episodes of the second half
    # (a constant step leaves theta fluctuating around the optimum; its average does not).
    total, count, curve = np.zeros(policy.n_parameters), 0, []

    def average(agent: Any) -> None:
        nonlocal total, count
        theta = agent.pi.parameters
        if agent.num_timesteps >= config.pg_timesteps // 2:
            total, count = total + theta, count + 1
        if len(agent.episode_returns) % 10 == 0:
            curve.append((agent.num_timesteps, float(_gain(theta, env)[0, 0])))

    agent.learn(total_timesteps=config.pg_timesteps, callback=average)
    theta = total / count if count else policy.parameters
    return _gain(theta, env), curve


def search_gain(
    config: Config, env: gym.Env, kind: str, seed: int
) -> tuple[np.ndarray, list[tuple[int, float]]]:
    """Run CEM or ES on W of a = W x; (K, [(episodes, k_0 so far)])."""
    policy = LinearGaussianPolicy(_lq(env).A.shape[0], 1, learn_std=False)
    common = {
        "population": config.population,
        "n_episodes": config.episodes_per_score,
        "gamma": config.gamma,
        "seed": seed,
        "initial_mean": _start(env, config.initial_gain).ravel(),
    }
    search: Any
    if kind == "CEM":
        scale = 0.5 / _lq(env).max_control
        # the floor on s (0.01 in gain units) keeps the elite moving along the double
        # integrator's long valley, where an unfloored CEM stalls 20 % short of K
        search = CrossEntropyMethod(
            env, policy, initial_std=scale, elite_fraction=0.25, min_std=0.02 * scale, **common
        )
    else:
        search = EvolutionStrategy(
            env, policy, sigma=config.es_sigma, learning_rate=config.es_learning_rate, **common
        )
    per_generation = (config.population + 1) * config.episodes_per_score
    curve = [(0, float(_gain(search.mean, env)[0, 0]))]

    def record(s: Any) -> None:
        curve.append((len(s.history) * per_generation, float(_gain(s.mean, env)[0, 0])))

    search.learn(config.generations, callback=record)
    return _gain(search.mean, env), curve


# ---------------------------------------------------------------------- the exercise


def _row(system: str, method: str, K: np.ndarray, reference: np.ndarray, budget: str) -> list[Any]:
    error = float(np.max(np.abs(K - reference) / np.abs(reference)))
    return [
        system,
        method,
        np.array2string(np.asarray(K).ravel(), precision=4),
        np.array2string(reference.ravel(), precision=4),
        error,
        "yes" if error <= TARGET else "no",
        budget,
    ]


def _learners(
    config: Config, name: str, system: dict[str, Any]
) -> tuple[list[list[Any]], dict[str, list[tuple[int, float]]]]:
    env = make_env(system, config.horizon)
    lq = _lq(env)
    _, reference = riccati(lq.A, lq.B, lq.Q, lq.R, config.gamma)
    rows, curves = [], {}
    methods: list[tuple[str, Any, str]] = []
    if lq.A.shape[0] == 1:
        methods.append(
            ("value iteration (grid)", None, f"{config.grid_states} x {config.grid_actions} grid")
        )
    methods.append(("LSPI (quadratic q)", None, f"{config.lspi_samples} transitions"))
    methods += [
        (k, policy_gradient_gain, f"{config.pg_timesteps} steps")
        for k in ("REINFORCE", "actor-critic")
    ]
    episodes = config.generations * (config.population + 1) * config.episodes_per_score
    methods += [(k, search_gain, f"{episodes} episodes") for k in ("CEM", "ES")]
    for method, learner, budget in track(methods, f"control: {name}", total=len(methods)):
        if method.startswith("value iteration"):
            _, k, _, _ = grid_solution(
                system, config.gamma, config.grid_states, config.grid_actions, False
            )
            K = np.array([[k]])
        elif method.startswith("LSPI"):
            K, _ = lspi_gain(
                lq,
                config.gamma,
                -_start(env, config.initial_gain) * lq.max_control,
                config.lspi_samples,
                config.lspi_iterations,
                config.seed,
            )
        else:
            K, curves[f"{name}: {method}"] = learner(config, env, method, config.seed)
        rows.append(_row(name, method, K, reference, budget))
    return rows, curves


def continuous_limit(config: Config) -> tuple[list[list[Any]], dict[str, np.ndarray]]:
    """Riccati, grid value iteration and LSPI at each dt (gamma = 1) against V = x^2, u = -x."""
    rows = []
    for dt in DTS:
        system = {"A": [[1.0]], "B": [[dt]], "Q": [[dt]], "R": [[dt]]}
        P, K = riccati(system["A"], system["B"], system["Q"], system["R"])
        P_vi, K_vi, _, _ = grid_solution(system, 1.0, config.limit_grid, config.limit_grid, True)
        env = make_env(system, config.horizon, dt=dt).unwrapped
        K_lspi, _ = lspi_gain(
            env,
            1.0,
            np.array([[config.initial_gain]]),
            config.lspi_samples,
            config.lspi_iterations,
            config.seed,
        )
        rows.append([dt, float(P[0, 0]), float(K[0, 0]), P_vi, K_vi, float(K_lspi[0, 0])])
    dense = np.geomspace(0.003, 0.3, 60)
    p_dense = (dense + np.sqrt(dense**2 + 4.0)) / 2.0  # the root of the scalar Riccati equation
    curve = np.stack([p_dense, p_dense / (1.0 + dense * p_dense)], axis=1)  # K = BPA/(R + BPB)
    return rows, {"dt": dense, "P": curve[:, 0], "K": curve[:, 1]}


def _figures(
    config: Config,
    limit_rows: list[list[Any]],
    dense: dict[str, np.ndarray],
    curves: dict[str, list[tuple[int, float]]],
    scalar_K: float,
) -> dict[str, Figure]:
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    rows = np.array(limit_rows, dtype=float)
    for ax, column, name in ((left, (1, 3), "P"), (right, (2, 4), "K")):
        ax.plot(dense["dt"], dense[name], color="k", label=f"Riccati {name}(dt)")
        ax.plot(rows[:, 0], rows[:, column[1]], "o", label="value iteration on a grid")
        if name == "K":
            ax.plot(rows[:, 0], rows[:, 5], "x", markersize=9, label="LSPI (quadratic q)")
        ax.axhline(
            1.0, color="grey", ls="--", label=f"HJB: {'V = x²' if name == 'P' else 'u = -x'}"
        )
        ax.set(xscale="log", xlabel="time step dt", ylabel=name)
        ax.legend()
    left.set_title("Value x^T P x: Bellman -> HJB as dt -> 0")
    right.set_title("Gain K: u = -K x -> -x")
    learn = Figure(figsize=(7.5, 4.5), layout="constrained")
    ax = learn.subplots()
    for label, curve in curves.items():
        if label.startswith("scalar"):
            steps, gains = zip(*curve, strict=True)
            ax.plot(np.maximum(steps, 1), gains, marker=".", label=label.split(": ")[1])
    ax.axhline(scalar_K, color="k", ls="--", label=f"Riccati K_γ = {scalar_K:.4f}")
    ax.axhspan(
        scalar_K * (1 - TARGET), scalar_K * (1 + TARGET), color="grey", alpha=0.2, label="±5 %"
    )
    ax.set(
        xscale="log",
        xlabel="environment steps (PG) / episodes (CEM, ES)",
        ylabel="gain k",
        title=f"Scalar LQR, γ = {config.gamma}: learned gains (seed {config.seed})",
    )
    ax.legend()
    return {"continuous_limit": fig, "learning": learn}


def run(config: Config) -> Result:
    """Every method's gain against Riccati on two systems, and the continuous limit dt -> 0."""
    rows: list[list[Any]] = []
    curves: dict[str, list[tuple[int, float]]] = {}
    for name, system in SYSTEMS.items():
        more, more_curves = _learners(config, name, system)
        rows += more
        curves.update(more_curves)
    limit_rows, dense = continuous_limit(config)
    scalar = SYSTEMS["scalar"]
    scalar_K = float(
        riccati(scalar["A"], scalar["B"], scalar["Q"], scalar["R"], config.gamma)[1][0, 0]
    )
    columns = [
        "system",
        "method",
        "learned K",
        "Riccati K_γ",
        "relative error",
        "within 5 %",
        "budget",
    ]
    metrics: dict[str, Any] = {
        f"{r[0]}/{r[1]}": {"relative_error": r[4], "within_target": r[5] == "yes"} for r in rows
    }
    metrics["continuous_limit"] = {
        f"dt={r[0]}": {"P": r[1], "K": r[2], "P_grid": r[3], "K_grid": r[4], "K_lspi": r[5]}
        for r in limit_rows
    }
    data = {
        "curve_" + label.replace(": ", "_").replace(" ", "_"): {
            "progress": np.array([c[0] for c in curve]),
            "gain": np.array([c[1] for c in curve]),
        }
        for label, curve in curves.items()
    }
    data["riccati_dt"] = {k: np.asarray(v) for k, v in dense.items()}
    return Result(
        tables={
            "gains": Table(
                f"Learned gains against the discounted Riccati gain (γ = {config.gamma}, "
                "target 5 %)",
                columns,
                rows,
            ),
            "continuous_limit": Table(
                "The continuous limit (γ = 1): A = 1, B = Q = R = dt; HJB gives P = K = 1",
                ["dt", "Riccati P", "Riccati K", "grid VI P", "grid VI K", "LSPI K"],
                limit_rows,
            ),
        },
        figures=_figures(config, limit_rows, dense, curves, scalar_K),
        data=data,
        metrics=metrics,
    )


EXERCISE = Exercise(
    name="control",
    summary="LQR: value iteration, LSPI, policy gradients, CEM/ES vs Riccati; dt -> 0",
    config=Config,
    run=run,
    quick={
        "grid_states": 61,
        "limit_grid": 41,
        "grid_actions": 61,
        "lspi_samples": 40,
        "lspi_iterations": 5,
        "pg_timesteps": 3000,
        "generations": 8,
        "population": 8,
        "episodes_per_score": 1,
    },
    groups={
        "environment": ("gamma", "horizon"),
        "agent": ("initial_gain", *_RATES),
    },
)
