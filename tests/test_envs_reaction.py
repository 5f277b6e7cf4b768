"""ReactionOptimization-v0: kinetics against an ODE solver, the optimum, noise, seeding."""

import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from scipy.integrate import solve_ivp
from scipy.optimize import minimize

import labcoat.envs  # noqa: F401  (registration)
from labcoat.envs.reaction import (
    GAS_CONSTANT,
    HIGH,
    LOW,
    ReactionLandscape,
    ReactionOptimizationEnv,
    consecutive_yield,
    find_optimum,
    search_optimum,
)


def ode_yield(k1, k2, t):
    """[B](t) of A -> B -> C integrated numerically."""

    def rhs(_, y):
        return [-k1 * y[0], k1 * y[0] - k2 * y[1]]

    solution = solve_ivp(rhs, (0.0, t), [1.0, 0.0], method="LSODA", rtol=1e-11, atol=1e-13)
    return solution.y[1, -1]


@pytest.mark.parametrize(
    ("k1", "k2", "t"),
    [
        (1e-3, 2e-4, 3600.0),
        (2e-4, 1e-3, 3600.0),
        (5e-4, 5e-4, 3600.0),
        (1e-2, 1e-5, 600.0),
        (5e-4, 5e-4 * (1 + 1e-9), 3600.0),
        (1e-6, 3e-3, 3600.0),
    ],
)
def test_consecutive_yield_matches_the_ode(k1, k2, t):
    assert consecutive_yield(k1, k2, t) == pytest.approx(ode_yield(k1, k2, t), abs=1e-9)


def test_consecutive_yield_vectorizes_and_stays_finite_for_huge_rates():
    k1 = np.array([0.0, 1e-3, 10.0, 10.0])
    k2 = np.array([1e-3, 0.0, 10.0, 0.0])
    y = consecutive_yield(k1, k2, 3600.0)
    np.testing.assert_allclose(y, [0.0, 1.0 - math.exp(-3.6), 0.0, 1.0], atol=1e-12)


def arrhenius_yield(p: ReactionLandscape, temperature, ph, water):
    """The landscape written out from the docstring, integrated by the ODE solver."""
    g = 1 / (1 + 10 ** (p.pka_acid - ph) + 10 ** (ph - p.pka_base))
    g_max = 1 / (1 + 2 * 10 ** ((p.pka_acid - p.pka_base) / 2))
    barrier = p.activation_energy_formation + p.solvent_energy * (water - p.solvent_optimum) ** 2
    k1 = p.prefactor_formation * math.exp(-barrier / (GAS_CONSTANT * temperature))
    k1 *= p.uncatalysed + g / g_max
    k2 = p.prefactor_degradation * math.exp(
        -p.activation_energy_degradation / (GAS_CONSTANT * temperature)
    )
    k2 *= 1 + p.hydrolysis * water
    return ode_yield(k1, k2, p.reaction_time)


@pytest.mark.parametrize("seed", [0, 1])
def test_landscape_yield_matches_arrhenius_kinetics_integrated(seed):
    env = ReactionOptimizationEnv(landscape_seed=seed)
    conditions = [(300.0, 4.0, 0.1), (340.0, 7.0, 0.5), (370.0, 10.0, 0.9), (320.0, 6.0, 0.7)]
    conditions.append(tuple(env.optimum_conditions))
    for temperature, ph, water in conditions:
        expected = arrhenius_yield(env.landscape, temperature, ph, water)
        assert env.yield_at(temperature, ph, water) == pytest.approx(expected, abs=1e-9)
    temperatures, phs, waters = np.array(conditions).T
    np.testing.assert_allclose(
        env.yield_at(temperatures, phs, waters),
        [env.landscape.yield_at(*c, math) for c in conditions],
        rtol=1e-12,
    )


@pytest.mark.parametrize("seed", range(6))
def test_optimum_is_the_maximum_and_interior(seed):
    landscape = ReactionLandscape.sample(np.random.default_rng(seed))
    best_x, best_y = find_optimum(landscape)
    axes = [np.linspace(lo, hi, n) for lo, hi, n in zip(LOW, HIGH, (81, 81, 41), strict=True)]
    dense = landscape.yield_at(*np.meshgrid(*axes, indexing="ij"))
    assert best_y >= dense.max() - 1e-12
    assert best_y == pytest.approx(float(landscape.yield_at(*best_x)), abs=1e-15)
    polished = minimize(
        lambda x: -landscape.yield_at(*x, math),
        best_x,
        method="Nelder-Mead",
        options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 2000},
    )
    assert -polished.fun <= best_y + 1e-9
    unit = (best_x - LOW) / (HIGH - LOW)
    assert np.all((unit > 0.02) & (unit < 0.98)), unit
    assert 0.3 < best_y < 0.95


def test_optimum_interior_and_above_every_visited_yield_over_many_landscapes():
    env = ReactionOptimizationEnv(continuous=False, budget=40)
    rng = np.random.default_rng(5)
    for seed in range(30):
        _, info = env.reset(seed=seed)
        unit = (env.optimum_conditions - LOW) / (HIGH - LOW)
        assert np.all((unit > 0.01) & (unit < 0.99))
        samples = rng.uniform(LOW, HIGH, size=(500, 3))
        assert env.yield_at(*samples.T).max() <= info["optimum_yield"] + 1e-12
        truncated = False
        while not truncated:
            _, _, _, truncated, info = env.step(int(rng.integers(7)))
            assert info["true_yield"] <= info["optimum_yield"] + 1e-12


def test_measurement_noise_has_the_stated_mean_and_standard_deviation():
    n, sigma = 4000, 0.03
    env = ReactionOptimizationEnv(continuous=False, budget=n, noise=sigma, landscape_seed=3)
    _, info = env.reset(seed=0, options={"conditions": env.optimum_conditions})
    errors = []
    for _ in range(n):
        _, reward, _, _, info = env.step(0)
        errors.append(reward - info["true_yield"])
    errors = np.array(errors)
    assert abs(errors.mean()) < 4 * sigma / math.sqrt(n)
    assert errors.std(ddof=1) == pytest.approx(sigma, rel=4 / math.sqrt(2 * n))
    # the noise is independent between experiments
    assert abs(np.corrcoef(errors[:-1], errors[1:])[0, 1]) < 4 / math.sqrt(n)


def test_noise_free_measurement_is_the_true_yield_and_clipping():
    env = ReactionOptimizationEnv(noise=0.0, landscape_seed=1)
    obs, info = env.reset(seed=0)
    assert obs[3] == np.float32(info["true_yield"])
    env = ReactionOptimizationEnv(continuous=False, noise=1.0, budget=300, landscape_seed=1)
    env.reset(seed=0)
    rewards = [env.step(0)[1] for _ in range(300)]
    assert min(rewards) == 0.0 and max(rewards) == 1.0


def test_landscapes_differ_across_seeds_and_repeat_for_equal_seeds():
    env = ReactionOptimizationEnv()
    env.reset(seed=7)
    first = env.landscape
    env.reset(seed=7)
    assert env.landscape == first
    env.reset(seed=8)
    assert env.landscape != first
    fixed = ReactionOptimizationEnv(landscape_seed=11)
    fixed.reset(seed=1)
    landscape = fixed.landscape
    fixed.reset(seed=2)
    assert fixed.landscape is landscape
    assert ReactionOptimizationEnv(landscape_seed=11).landscape == landscape
    optima = set()
    for seed in range(5):
        env.reset(seed=seed)
        optima.add(round(env.optimum_yield, 9))
    assert len(optima) == 5


@pytest.mark.parametrize("continuous", [True, False])
def test_same_seed_same_trajectory(continuous):
    def trajectory():
        env = gym.make("labcoat/ReactionOptimization-v0", continuous=continuous, budget=12)
        env.action_space.seed(3)
        obs, _ = env.reset(seed=42)
        out, truncated = [obs], False
        while not truncated:
            obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            out.append(np.append(obs, reward))
        return out

    for a, b in zip(trajectory(), trajectory(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_discrete_actions_move_one_variable_by_one_step_and_clip():
    env = ReactionOptimizationEnv(continuous=False, step_size=0.1, landscape_seed=0)
    start = np.array([330.0, 7.0, 0.5])
    step = 0.1 * (HIGH - LOW)
    for action in range(7):
        env.reset(seed=0, options={"conditions": start})
        obs, reward, terminated, truncated, info = env.step(action)
        expected = start.copy()
        if action:
            axis, sign = (action - 1) // 2, (-1, 1)[(action - 1) % 2]
            expected[axis] += sign * step[axis]
        np.testing.assert_allclose(obs[:3], expected, rtol=1e-6)
        assert info["true_yield"] == pytest.approx(float(env.yield_at(*expected)), rel=1e-12)
        assert type(reward) is float and type(terminated) is bool and type(truncated) is bool
        assert env.observation_space.contains(obs)
    env.reset(seed=0, options={"conditions": HIGH})
    obs = env.step(2)[0]
    np.testing.assert_allclose(obs[:3], HIGH.astype(np.float32))
    with pytest.raises(ValueError, match="action"):
        env.step(7)


def test_box_actions_scale_by_step_size_and_conditions_clip():
    env = ReactionOptimizationEnv(step_size=0.2, landscape_seed=0)
    start = np.array([330.0, 7.0, 0.5])
    env.reset(seed=0, options={"conditions": start})
    obs = env.step(np.array([0.5, -1.0, 0.25], dtype=np.float32))[0]
    np.testing.assert_allclose(obs[:3], start + np.array([0.5, -1.0, 0.25]) * 0.2 * (HIGH - LOW))
    for expected in (0.75, 0.95, 1.0):  # 0.55 + 0.2 + 0.2 + 0.2, the last clipped to 1
        obs = env.step(np.array([0.0, 0.0, 1.0], dtype=np.float32))[0]
        assert obs[2] == pytest.approx(expected, abs=1e-6)
    with pytest.raises(ValueError, match=r"action .*Box\(-1\.0, 1\.0, \(3,\), float32\)"):
        env.step(np.array([0.5, -1.0, 3.0], dtype=np.float32))  # refused, not clipped


def test_budget_truncates_inside_the_env():
    env = gym.make("labcoat/ReactionOptimization-v0", continuous=False, budget=5)
    env.reset(seed=0)
    flags = [env.step(0)[3] for _ in range(5)]
    assert flags == [False] * 4 + [True]
    raw = ReactionOptimizationEnv(budget=1, landscape_seed=0)
    raw.reset(seed=0)
    raw.step(np.zeros(3))
    with pytest.raises(RuntimeError, match="reset"):
        raw.step(np.zeros(3))


def test_observation_bounds_and_render():
    env = gym.make("labcoat/ReactionOptimization-v0", budget=50, render_mode="ansi")
    env.action_space.seed(0)
    obs, _ = env.reset(seed=0)
    for _ in range(50):
        assert env.observation_space.contains(obs)
        obs = env.step(env.action_space.sample())[0]
    assert "measured yield" in env.render()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"budget": 0}, "budget"),
        ({"noise": -0.1}, "noise"),
        ({"step_size": 0.0}, "step_size"),
        ({"step_size": 1.5}, "step_size"),
        ({"render_mode": "human"}, "render_mode"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ReactionOptimizationEnv(**kwargs)


def test_bad_types_and_conditions():
    with pytest.raises(TypeError, match="continuous"):
        ReactionOptimizationEnv(continuous=1)
    with pytest.raises(TypeError, match="landscape_seed"):
        ReactionOptimizationEnv(landscape_seed=1.5)
    env = ReactionOptimizationEnv()
    with pytest.raises(RuntimeError, match="reset"):
        env.yield_at(300.0, 7.0, 0.5)
    with pytest.raises(ValueError, match="conditions"):
        env.reset(seed=0, options={"conditions": (500.0, 7.0, 0.5)})


@pytest.mark.parametrize("continuous", [True, False])
def test_both_variants_pass_the_gymnasium_and_sb3_checkers_without_warnings(continuous):
    import warnings

    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gym.make("labcoat/ReactionOptimization-v0", continuous=continuous).unwrapped)
        sb3_check_env(gym.make("labcoat/ReactionOptimization-v0", continuous=continuous).unwrapped)


def test_newton_optimum_matches_the_general_3d_search_over_many_landscapes():
    rng = np.random.default_rng(123)
    for _ in range(25):
        landscape = ReactionLandscape.sample(rng)
        best_x, best_y = find_optimum(landscape)
        searched_x, searched_y = search_optimum(landscape)
        assert searched_y - 1e-12 <= best_y <= searched_y + 1e-9
        assert np.abs((best_x - searched_x) / (HIGH - LOW)).max() < 1e-4
        assert best_x[1] == landscape.best_ph


@pytest.mark.parametrize(
    "changes",
    [
        {"prefactor_formation": 1e6},  # k1 t_r > 1 at the lowest temperature
        {"pka_acid": 10.5, "pka_base": 12.5},  # the best pH lies above the range
    ],
)
def test_landscapes_outside_the_newton_proof_use_the_general_search(changes):
    import dataclasses

    landscape = dataclasses.replace(ReactionLandscape.sample(np.random.default_rng(0)), **changes)
    best_x, best_y = find_optimum(landscape)
    assert (best_x.tolist(), best_y) == (
        search_optimum(landscape)[0].tolist(),
        search_optimum(landscape)[1],
    )
    axes = [np.linspace(lo, hi, n) for lo, hi, n in zip(LOW, HIGH, (41, 41, 21), strict=True)]
    assert best_y >= landscape.yield_at(*np.meshgrid(*axes, indexing="ij")).max() - 1e-12


def test_psi_slopes_match_finite_differences_and_the_limit():
    from labcoat.envs.reaction import _psi_slopes

    def psi(d):
        return math.log(math.expm1(d) / d)

    assert _psi_slopes(0.0) == (0.5, 1.0 / 12.0)
    for d in (-30.0, -2.0, -0.0101, -0.0099, 1e-5, 0.0099, 0.0101, 0.7, 5.0, 40.0):
        h = 1e-4 * max(1.0, abs(d))
        slope, curvature = _psi_slopes(d)
        assert slope == pytest.approx((psi(d + h) - psi(d - h)) / (2 * h), abs=1e-8)
        assert curvature == pytest.approx((psi(d + h) - 2 * psi(d) + psi(d - h)) / h**2, abs=2e-5)


@pytest.mark.parametrize("seed", [0, 4])
def test_log_yield_derivatives_match_finite_differences(seed):
    from labcoat.envs.reaction import _log_yield_derivatives

    landscape = ReactionLandscape.sample(np.random.default_rng(seed))

    def log_yield(x, s):
        return math.log(landscape.yield_at(1.0 / x, landscape.best_ph, s, math))

    for x, s in [(1 / 300.0, 0.2), (1 / 340.0, 0.6), (1 / 365.0, 0.95)]:
        hx, hs = 1e-4 * x, 1e-4
        numeric = (
            (log_yield(x + hx, s) - log_yield(x - hx, s)) / (2 * hx),
            (log_yield(x, s + hs) - log_yield(x, s - hs)) / (2 * hs),
            (log_yield(x + hx, s) - 2 * log_yield(x, s) + log_yield(x - hx, s)) / hx**2,
            (
                log_yield(x + hx, s + hs)
                - log_yield(x + hx, s - hs)
                - log_yield(x - hx, s + hs)
                + log_yield(x - hx, s - hs)
            )
            / (4 * hx * hs),
            (log_yield(x, s + hs) - 2 * log_yield(x, s) + log_yield(x, s - hs)) / hs**2,
        )
        exact = _log_yield_derivatives(landscape, x, s)
        np.testing.assert_allclose(exact, numeric, rtol=1e-5, atol=1e-6 * np.abs(exact).max())


def ode_concentrations(k1, k2, t):
    """[A](t), [B](t), [C](t) of A -> B -> C with d[C]/dt = k2 [B], integrated numerically."""

    def rhs(_, y):
        return [-k1 * y[0], k1 * y[0] - k2 * y[1], k2 * y[1]]

    solution = solve_ivp(rhs, (0.0, t), [1.0, 0.0, 0.0], method="LSODA", rtol=1e-11, atol=1e-13)
    return solution.y[:, -1]


def test_purity_and_cost_enter_the_reward_as_documented():
    env = ReactionOptimizationEnv(
        continuous=False, noise=0.0, landscape_seed=2, purity_weight=0.5, cost_weight=0.3
    )
    landscape = env.landscape
    for conditions in [(300.0, 5.0, 0.2), (350.0, 8.0, 0.7), (373.15, 11.0, 1.0)]:
        env.reset(seed=0, options={"conditions": conditions})
        _, reward, _, _, info = env.step(0)
        k1, k2 = landscape.rates(*conditions, math)
        a, b, c = ode_concentrations(k1, k2, landscape.reaction_time)
        temperature, _, water = conditions
        cost = ((temperature - 293.15) / 80.0 + (1.0 - water)) / 2.0
        assert info["purity"] == pytest.approx(b / (b + c), abs=1e-8)
        assert info["cost"] == pytest.approx(cost, abs=1e-12)
        assert info["true_yield"] == pytest.approx(b, abs=1e-9)
        assert reward == pytest.approx(b + 0.5 * b / (b + c) - 0.3 * cost, abs=1e-8)
        assert type(reward) is float
    default = ReactionOptimizationEnv(continuous=False, noise=0.0, landscape_seed=2)
    default.reset(seed=0)
    _, reward, _, _, info = default.step(0)
    assert reward == info["true_yield"]  # weights 0 by default: the reward is the yield


@pytest.mark.parametrize("name", ["purity_weight", "cost_weight"])
def test_negative_reward_weights_raise_naming_them(name):
    with pytest.raises(ValueError, match=name):
        ReactionOptimizationEnv(**{name: -1.0})


def test_named_landscapes_are_frozen_and_classified():
    from labcoat.envs.reaction import NAMED_LANDSCAPES

    points = LOW + np.random.default_rng(0).uniform(size=(20000, 3)) * (HIGH - LOW)
    fractions = {}
    for name, (seed, optimum) in NAMED_LANDSCAPES.items():
        env = ReactionOptimizationEnv(landscape=name)
        assert env.landscape_seed == seed and seed % 2 == 1  # the evaluation stream
        assert env.optimum_yield == pytest.approx(optimum, abs=5e-7)
        landscape = ReactionLandscape.sample(np.random.default_rng(seed))
        fractions[name] = np.mean(landscape.yield_at(*points.T) >= 0.95 * env.optimum_yield)
    easy = [fractions[f"easy-{i}"] for i in range(1, 6)]
    hard = [fractions[f"hard-{i}"] for i in range(1, 6)]
    assert easy == sorted(easy, reverse=True) and hard == sorted(hard, reverse=True)
    assert min(easy) >= 0.01 and max(hard) <= 0.00165
    with pytest.raises(ValueError, match="landscape"):
        ReactionOptimizationEnv(landscape="medium-1")
    with pytest.raises(ValueError, match="not both"):
        ReactionOptimizationEnv(landscape="easy-1", landscape_seed=3)


def test_gaussian_mixture_yield_is_the_dro_formula():
    from scipy.stats import multivariate_normal

    from labcoat.envs.reaction import GaussianMixtureLandscape

    landscape = GaussianMixtureLandscape.sample(np.random.default_rng(7))
    assert landscape.means.shape == landscape.sds.shape == (6, 3)
    assert np.all(np.abs(landscape.sds - 0.3) <= 0.12)
    unit = np.random.default_rng(1).uniform(size=(50, 3))
    f = sum(
        c * multivariate_normal(mu, np.diag(sd**2)).pdf(unit)
        for c, mu, sd in zip(landscape.weights, landscape.means, landscape.sds, strict=True)
    )
    modes = landscape.weights / landscape.sds.prod(axis=1)
    expected = (f * (2 * np.pi) ** 1.5 - modes.min()) / (modes.max() - modes.min())
    conditions = LOW + unit * (HIGH - LOW)
    np.testing.assert_allclose(landscape.yield_at(*conditions.T), expected, rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gaussian_mixture_optimum_beats_dense_grid_and_local_searches(seed):
    env = ReactionOptimizationEnv(kind="gaussians", landscape_seed=seed)
    axes = [np.linspace(lo, hi, 31) for lo, hi in zip(LOW, HIGH, strict=True)]
    dense = env.yield_at(*np.meshgrid(*axes, indexing="ij")).max()
    assert dense - 1e-12 <= env.optimum_yield
    assert env.optimum_yield == pytest.approx(float(env.yield_at(*env.optimum_conditions)))
    for start in np.random.default_rng(seed).uniform(size=(10, 3)):
        local = minimize(
            lambda u: -float(env.yield_at(*(LOW + u * (HIGH - LOW)))),
            start,
            method="L-BFGS-B",
            bounds=[(0.0, 1.0)] * 3,
        )
        assert -local.fun <= env.optimum_yield + 1e-8
    _, info = env.reset(seed=0)
    assert "purity" not in info and 0.0 <= info["cost"] <= 1.0
    check_env(ReactionOptimizationEnv(kind="gaussians"), skip_render_check=True)
    with pytest.raises(ValueError, match="gaussians"):
        ReactionOptimizationEnv(kind="gaussians", purity_weight=1.0)
