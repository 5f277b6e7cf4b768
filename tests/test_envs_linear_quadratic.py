"""LinearQuadratic-v0: the Riccati solution against scipy and closed forms, exact costs, checks."""

from __future__ import annotations

import math
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import solve_discrete_are
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import labcoat.envs  # noqa: F401  (registration)
from labcoat.envs.linear_quadratic import LinearQuadraticEnv, riccati

GOLDEN = (1.0 + math.sqrt(5.0)) / 2.0


def random_system(seed: int, n: int, m: int) -> tuple[np.ndarray, ...]:
    """A random (A, B, Q, R) with B of full rank and Q, R positive definite (stabilizable)."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n)) * 1.2 / math.sqrt(n)  # often unstable: the control matters
    B = rng.normal(size=(n, m))
    L = rng.normal(size=(n, n))
    M = rng.normal(size=(m, m))
    return A, B, L @ L.T + 0.1 * np.eye(n), M @ M.T + 0.1 * np.eye(m)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("n,m", [(1, 1), (2, 1), (3, 2), (4, 4)])
def test_riccati_matches_scipy_solve_discrete_are(seed, n, m):
    A, B, Q, R = random_system(seed, n, m)
    P, K = riccati(A, B, Q, R)
    expected = solve_discrete_are(A, B, Q, R)
    np.testing.assert_allclose(P, expected, rtol=1e-8, atol=1e-9)
    gain = np.linalg.solve(R + B.T @ expected @ B, B.T @ expected @ A)
    np.testing.assert_allclose(K, gain, rtol=1e-7, atol=1e-9)
    assert np.max(np.abs(np.linalg.eigvals(A - B @ K))) < 1.0  # the closed loop is stable


def test_scalar_closed_form_is_the_golden_ratio():
    """A = B = Q = R = 1: P = 1 + P - P^2 / (1 + P), i.e. P^2 = P + 1."""
    P, K = riccati([[1.0]], [[1.0]], [[1.0]], [[1.0]])
    assert P[0, 0] == pytest.approx(GOLDEN, rel=1e-12)
    assert K[0, 0] == pytest.approx(GOLDEN / (1.0 + GOLDEN), rel=1e-12)
    env = LinearQuadraticEnv()
    assert env.P[0, 0] == pytest.approx(GOLDEN, rel=1e-12)


def test_a_tiny_control_cost_is_definite_and_tends_to_dead_beat_control():
    """R -> 0 with A = B = Q = 1: P -> 1 and K -> 1 (u = -x reaches 0 in one step)."""
    env = LinearQuadraticEnv(R=[[1e-13]])
    assert env.P[0, 0] == pytest.approx(1.0, rel=1e-9)
    assert env.K[0, 0] == pytest.approx(1.0, rel=1e-9)


def test_discounted_riccati_matches_the_scaled_undiscounted_problem():
    """Discounting by g is the undiscounted problem of (sqrt(g) A, sqrt(g) B)."""
    A, B, Q, R = random_system(3, 3, 2)
    gamma = 0.9
    P, K = riccati(A, B, Q, R, gamma=gamma)
    expected = solve_discrete_are(math.sqrt(gamma) * A, math.sqrt(gamma) * B, Q, R)
    np.testing.assert_allclose(P, expected, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(K, gamma * np.linalg.solve(R + gamma * B.T @ P @ B, B.T @ P @ A))


def optimal_rollout(env: LinearQuadraticEnv, seed: int, steps: int) -> tuple[float, dict]:
    """Total cost of u = -K x (actions in float64) and the reset info."""
    _, info = env.reset(seed=seed)
    start, cost = info, 0.0
    for _ in range(steps):
        action = -env.K @ info["state"] / env.max_control
        _, reward, terminated, _, info = env.step(action)
        assert not terminated
        cost -= reward
    return cost, start


@pytest.mark.parametrize("seed", range(4))
def test_noise_free_optimal_rollout_costs_x0_p_x0(seed):
    A, B, Q, R = random_system(seed, 3, 2)
    env = LinearQuadraticEnv(A=A, B=B, Q=Q, R=R, max_control=100.0)
    cost, start = optimal_rollout(env, seed, steps=400)
    x0 = start["state"]
    assert start["optimal_cost"] == pytest.approx(x0 @ env.P @ x0, rel=1e-12)
    assert cost == pytest.approx(start["optimal_cost"], rel=1e-8)


def test_any_other_gain_costs_more():
    env = LinearQuadraticEnv()
    _, info = env.reset(seed=1, options={"x0": [0.8]})
    for scale in (0.8, 1.2):
        _, info = env.reset(options={"x0": [0.8]})
        cost = 0.0
        for _ in range(300):
            _, reward, _, _, info = env.step(-scale * env.K @ info["state"] / env.max_control)
            cost -= reward
        assert cost > info["optimal_cost"] * (1.0 + 1e-4)


def test_step_follows_the_dynamics_and_the_reward():
    A, B, Q, R = random_system(5, 2, 2)
    env = LinearQuadraticEnv(A=A, B=B, Q=Q, R=R, max_control=2.0)
    _, info = env.reset(seed=0)
    x, action = info["state"], np.array([0.5, -0.25])
    u = 2.0 * action
    obs, reward, terminated, truncated, info = env.step(action)
    np.testing.assert_allclose(info["state"], A @ x + B @ u, rtol=1e-12)
    np.testing.assert_allclose(obs, (A @ x + B @ u).astype(np.float32))
    assert reward == pytest.approx(-(x @ Q @ x + u @ R @ u), rel=1e-12)
    np.testing.assert_allclose(info["control"], u)
    assert not terminated and not truncated


def test_noise_has_the_stated_standard_deviation_and_is_seeded():
    env = LinearQuadraticEnv(A=[[0.0]], noise_std=0.5, state_bound=100.0)
    env.reset(seed=11)
    states = [env.step(np.zeros(1, dtype=np.float32))[4]["state"][0] for _ in range(4000)]
    assert np.std(states) == pytest.approx(0.5, rel=0.05)  # 4000 samples: std error ~1.1 %
    assert abs(np.mean(states)) < 4 * 0.5 / math.sqrt(4000)
    again = LinearQuadraticEnv(A=[[0.0]], noise_std=0.5, state_bound=100.0)
    again.reset(seed=11)
    repeat = [again.step(np.zeros(1, dtype=np.float32))[4]["state"][0] for _ in range(4000)]
    np.testing.assert_array_equal(states, repeat)


def test_leaving_the_state_bound_terminates_and_the_observation_stays_in_the_box():
    env = LinearQuadraticEnv(A=[[3.0]], x0_range=1.0, state_bound=50.0)
    env.reset(seed=0, options={"x0": [1.0]})
    step = 0
    while step < 10:
        step += 1
        obs, _, terminated, _, info = env.step(np.zeros(1))
        if terminated:
            break
    assert step == 4 and info["state"][0] == pytest.approx(81.0)
    assert env.observation_space.contains(obs) and obs[0] == pytest.approx(50.0)


def test_registered_spaces_and_time_limit():
    env = gym.make("labcoat/LinearQuadratic-v0")
    assert env.spec.max_episode_steps == 200
    assert env.action_space == gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    assert env.observation_space == gym.spaces.Box(-1000.0, 1000.0, (1,), np.float32)
    B = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]  # A is stable: (A, B) is stabilizable
    big = gym.make("labcoat/LinearQuadratic-v0", A=0.5 * np.eye(3), B=B, Q=np.eye(3), R=np.eye(2))
    assert big.action_space.shape == (2,) and big.observation_space.shape == (3,)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4), m=st.integers(1, 3))
def test_observations_are_in_the_space_and_seeding_repeats_them(seed, n, m):
    A, B, Q, R = random_system(seed % 1000, n, m)
    runs = []
    for _ in range(2):
        env = LinearQuadraticEnv(A=A, B=B, Q=Q, R=R, noise_std=0.1)
        env.action_space.seed(seed)
        obs, _ = env.reset(seed=seed)
        run = [obs]
        for _ in range(30):
            obs, reward, terminated, _, _ = env.step(env.action_space.sample())
            assert env.observation_space.contains(obs) and math.isfinite(reward)
            run.append(obs)
            if terminated:
                break
        runs.append(run)
    np.testing.assert_array_equal(np.concatenate(runs[0]), np.concatenate(runs[1]))


def test_checkers_pass_without_warnings_on_a_multivariate_system():
    A, B, Q, R = random_system(2, 3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make("labcoat/LinearQuadratic-v0", A=A, B=B, Q=Q, R=R, noise_std=0.1)
        gymnasium_check_env(env.unwrapped)
        sb3_check_env(env.unwrapped, warn=True)


def test_render_modes():
    env = LinearQuadraticEnv(render_mode="ansi")
    env.reset(seed=0, options={"x0": [0.5]})
    assert env.render() == "t = 0: x = [0.5], u = [0.]\n"
    picture = LinearQuadraticEnv(render_mode="rgb_array")
    picture.reset(seed=0, options={"x0": [1.0]})
    frame = picture.render()
    assert frame.shape == (64, 96, 3) and frame.dtype == np.uint8
    red = np.flatnonzero((frame[30] == (210, 40, 40)).all(axis=1))
    assert red.min() == 49 and red.max() == 48 + round(44 * math.tanh(1.0))


GOOD = {"A": [[1.0]], "B": [[1.0]], "Q": [[1.0]], "R": [[1.0]]}


@pytest.mark.parametrize(
    "name,value,error,words",
    [
        ("A", [[1.0, 0.0]], ValueError, "shape (1, 1)"),
        ("A", [1.0], ValueError, "2-d matrix"),
        ("A", [[math.nan]], ValueError, "finite"),
        ("B", [[math.inf]], ValueError, "finite"),
        ("B", [["1"]], TypeError, "real numbers"),
        ("Q", [[1.0, 0.0], [0.0, 1.0]], ValueError, "shape (1, 1)"),
        ("Q", [[-1.0]], ValueError, "positive semi-definite"),
        ("R", [[0.0]], ValueError, "positive definite"),
        ("R", [[1.0, 0.0]], ValueError, "shape (1, 1)"),
        ("R", None, TypeError, "real numbers"),
    ],
)
def test_bad_matrices_are_refused_naming_them(name, value, error, words):
    with pytest.raises(error, match=rf"^{name} .*{words.replace('(', '.').replace(')', '.')}"):
        riccati(**{**GOOD, name: value})
    with pytest.raises(error, match=rf"^{name} "):
        LinearQuadraticEnv(**{**GOOD, name: value})


def test_non_symmetric_costs_and_mismatched_dimensions_are_refused():
    A, B = np.eye(2), np.ones((2, 1))
    with pytest.raises(ValueError, match="^Q must be symmetric"):
        riccati(A, B, [[1.0, 0.5], [0.0, 1.0]], [[1.0]])
    with pytest.raises(ValueError, match=r"^Q must be symmetric and positive semi-definite"):
        riccati(A, B, [[1.0, 2.0], [2.0, 1.0]], [[1.0]])  # eigenvalues 3 and -1
    with pytest.raises(ValueError, match=r"^R must have shape \(1, 1\)"):
        riccati(A, B, np.eye(2), np.eye(2))
    with pytest.raises(ValueError, match=r"^B must have shape \(2, "):
        riccati(A, np.ones((3, 1)), np.eye(2), [[1.0]])


def test_a_bad_argument_is_named_before_a_conflict_between_good_ones():
    """x0_range > state_bound are both fine alone: the bad render_mode is the one named."""
    with pytest.raises(ValueError, match="^render_mode"):
        LinearQuadraticEnv(x0_range=5.0, state_bound=2.0, render_mode="human")


def test_unstabilizable_system_and_bad_scalars_are_refused():
    with pytest.raises(ValueError, match="stabilizable"):
        riccati([[2.0, 0.0], [0.0, 0.5]], [[0.0], [1.0]], np.eye(2), [[1.0]], max_iter=2000)
    with pytest.raises(ValueError, match=r"gamma must be a finite number in \(0, 1\]"):
        riccati(**GOOD, gamma=1.5)
    with pytest.raises(TypeError, match="max_iter must be an integer >= 1"):
        riccati(**GOOD, max_iter=10.0)
    with pytest.raises(ValueError, match="tol must be a finite number in"):
        riccati(**GOOD, tol=0.0)
    for name, value in (("noise_std", -0.1), ("max_control", 0.0), ("x0_range", math.inf)):
        with pytest.raises(ValueError, match=f"^{name} must be a finite number"):
            LinearQuadraticEnv(**{name: value})
    with pytest.raises(ValueError, match=r"^state_bound must be a finite number > 2"):
        LinearQuadraticEnv(x0_range=2.0, state_bound=1.5)
    with pytest.raises(TypeError, match="^noise_std"):
        LinearQuadraticEnv(noise_std=True)


@pytest.mark.parametrize(
    "action", [np.array([1.5]), np.array([math.nan]), np.zeros(2), "0", [[0.0]], None]
)
def test_bad_actions_are_refused(action):
    env = LinearQuadraticEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="^action must be a real array of shape"):
        env.step(action)


def test_bad_reset_options_and_step_before_reset_are_refused():
    env = LinearQuadraticEnv()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(1))
    for x0 in ([2.0], [0.1, 0.2], [math.nan]):
        with pytest.raises(ValueError, match=r"^options\['x0'\] must be a vector of shape"):
            env.reset(options={"x0": x0})
    with pytest.raises(TypeError, match=r"^options\['x0'\]"):
        env.reset(options={"x0": "a"})
    with pytest.raises(ValueError, match="unknown keys"):
        env.reset(options={"start": [0.0]})


def test_optimal_action_is_minus_k_x_in_action_units_clipped_to_the_box():
    env = LinearQuadraticEnv(max_control=2.0)
    action = env.optimal_action([0.5])
    assert action.dtype == np.float32 and action.shape == (1,)
    assert action[0] == pytest.approx(-env.K[0, 0] * 0.5 / 2.0, rel=1e-6)
    assert env.optimal_action(np.array([100.0]))[0] == -1.0  # -K x = -61.8 is beyond the box
    with pytest.raises(ValueError, match="^state must be a finite vector of shape"):
        env.optimal_action([math.nan])
    with pytest.raises(TypeError, match="^state"):
        env.optimal_action("x")
