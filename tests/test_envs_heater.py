"""HeaterControl-v0: exact discretization, steady state, reward, spaces, seeding."""

import math

import gymnasium as gym
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm

import labcoat.envs  # noqa: F401  (registration)
from labcoat.envs.heater import TEMPERATURE_SCALE, HeaterControlEnv, zero_order_hold

C, R, R_TH, T_AMB, DT = 50.0, 10.0, 2.0, 20.0, 5.0


def continuous_model(power, sensor_time_constant):
    """The heater ODE (and the sensor ODE when it lags), T in deg C."""

    def rhs(_, y):
        d_temperature = (power - (y[0] - T_AMB) / R_TH) / C
        d_sensor = (y[0] - y[1]) / sensor_time_constant if sensor_time_constant else d_temperature
        return [d_temperature, d_sensor]

    return rhs


@pytest.mark.parametrize("sensor_time_constant", [0.0, 10.0, 3.0])
@pytest.mark.parametrize("power", [0.0, 14.4, 40.0])
def test_zero_order_hold_matches_the_ode_over_one_step(sensor_time_constant, power):
    a_d, b_d = zero_order_hold(C, R_TH, sensor_time_constant, DT)
    y0 = np.array([47.3, 41.2 if sensor_time_constant else 47.3])
    solution = solve_ivp(
        continuous_model(power, sensor_time_constant),
        (0.0, DT),
        y0,
        method="DOP853",
        rtol=1e-13,
        atol=1e-12,
    )
    exact = T_AMB + a_d @ (y0 - T_AMB) + b_d * power
    np.testing.assert_allclose(exact, solution.y[:, -1], atol=1e-8, rtol=0)


def test_zero_order_hold_equals_the_matrix_exponential_and_the_closed_form():
    tau, tau_s = R_TH * C, 7.0
    a = np.array([[-1 / tau, 0.0], [1 / tau_s, -1 / tau_s]])
    b = np.array([1 / C, 0.0])
    a_d, b_d = zero_order_hold(C, R_TH, tau_s, DT)
    np.testing.assert_allclose(a_d, expm(a * DT), atol=1e-14)
    np.testing.assert_allclose(b_d, np.linalg.solve(a, (expm(a * DT) - np.eye(2)) @ b), atol=1e-12)
    a_d0, b_d0 = zero_order_hold(C, R_TH, 0.0, DT)
    assert a_d0[0, 0] == pytest.approx(math.exp(-DT / tau), rel=1e-15)
    assert b_d0[0] == pytest.approx(R_TH * (1 - math.exp(-DT / tau)), rel=1e-14)


@pytest.mark.parametrize("tau_s", [R_TH * C, R_TH * C * (1 + 1e-9), 0.5, 1e3, 1e-3])
def test_zero_order_hold_closed_form_matches_the_matrix_exponential_near_equal_time_constants(
    tau_s,
):
    """b (e^{-a dt} - e^{-b dt}) / (b - a) is 0/0 at tau_s = tau: computed without cancelling."""
    tau = R_TH * C
    a = np.array([[-1 / tau, 0.0], [1 / tau_s, -1 / tau_s]])
    b = np.array([1 / C, 0.0])
    a_d, b_d = zero_order_hold(C, R_TH, tau_s, DT)
    np.testing.assert_allclose(a_d, expm(a * DT), atol=1e-13, rtol=1e-12)
    np.testing.assert_allclose(b_d, np.linalg.solve(a, (expm(a * DT) - np.eye(2)) @ b), atol=1e-11)


@pytest.mark.parametrize("tau_s", [1e-8, 1e-20, 1e-50, 1e-300, 5e-324])
def test_zero_order_hold_with_a_tiny_sensor_lag_tends_to_no_lag(tau_s):
    """A stiff sensor (tau_s << dt) follows T: the matrix exponential gave NaN from 1e-50 on."""
    a_d, b_d = zero_order_hold(C, R_TH, tau_s, DT)
    a_0, b_0 = zero_order_hold(C, R_TH, 0.0, DT)
    assert a_d[0, 0] == pytest.approx(math.exp(-DT / (R_TH * C)), rel=1e-15)
    np.testing.assert_allclose(a_d, a_0, atol=1e-6)
    np.testing.assert_allclose(b_d, b_0, atol=1e-6)


@pytest.mark.parametrize("tau_s", [0.0, 1e-300, 1e-320, 1e-100])
def test_zero_order_hold_when_r_th_times_c_underflows(tau_s):
    """R_th C = 1e-400 is 0.0 in floating point: T jumps to its steady state, no 1/0."""
    a_d, b_d = zero_order_hold(1e-200, 1e-200, tau_s, DT)
    np.testing.assert_array_equal(a_d[:, 0], [0.0, 0.0])
    np.testing.assert_allclose(b_d[0], 1e-200, rtol=1e-15)
    assert np.all(np.isfinite(a_d)) and np.all(np.isfinite(b_d))


def test_zero_order_hold_with_a_huge_sensor_lag_keeps_the_reading():
    a_d, b_d = zero_order_hold(C, R_TH, 1e300, DT)
    assert a_d[1, 1] == pytest.approx(1.0) and abs(a_d[1, 0]) < 1e-290 and abs(b_d[1]) < 1e-290
    assert np.all(np.isfinite(a_d)) and np.all(np.isfinite(b_d))


@pytest.mark.parametrize("action", [0, 3, 7, 10])
def test_env_step_is_the_closed_form_update(action):
    env = HeaterControlEnv(sensor_noise=0.0)
    env.reset(seed=0)
    for _ in range(4):
        env.step(10)
    before = env.step(10)[4]["temperature"]
    power = (action / 10 * 2.0) ** 2 * R
    _, _, _, _, info = env.step(action)
    ss = T_AMB + power * R_TH
    expected = ss + (before - ss) * math.exp(-DT / (R_TH * C))
    assert info["temperature"] == pytest.approx(expected, abs=1e-12)
    assert info["measured_temperature"] == info["temperature"]
    assert info["power"] == pytest.approx(power)


@pytest.mark.parametrize("sensor_time_constant", [0.0, 10.0])
@pytest.mark.parametrize("action", [2, 6, 10])
def test_steady_state_is_ambient_plus_joule_power_times_thermal_resistance(
    action, sensor_time_constant
):
    env = HeaterControlEnv(sensor_noise=0.0, sensor_time_constant=sensor_time_constant)
    env.reset(seed=0)
    for _ in range(1000):  # 5000 s = 50 tau
        obs, _, _, _, info = env.step(action)
    current = action / 10 * 2.0
    steady = T_AMB + current**2 * R * R_TH
    assert info["temperature"] == pytest.approx(steady, abs=1e-9)
    assert obs[0] == pytest.approx(steady, abs=1e-4)  # float32


def test_sensor_lag_reads_low_while_heating():
    env = HeaterControlEnv(sensor_noise=0.0, sensor_time_constant=20.0)
    env.reset(seed=0)
    for _ in range(10):
        obs, _, _, _, info = env.step(10)
        assert info["measured_temperature"] < info["temperature"]


@pytest.mark.parametrize("energy_weight", [0.0, 0.1, 0.5])
def test_reward_formula(energy_weight):
    env = HeaterControlEnv(energy_weight=energy_weight, sensor_noise=0.5)
    env.reset(seed=3, options={"target": 55.0})
    rng = np.random.default_rng(0)
    for _ in range(40):
        action = int(rng.integers(11))
        _, reward, terminated, truncated, info = env.step(action)
        power = (action / 10 * 2.0) ** 2 * R
        expected = (
            -abs(info["temperature"] - 55.0) / TEMPERATURE_SCALE - energy_weight * power / 40.0
        )
        assert reward == pytest.approx(expected, abs=1e-12)
        assert type(reward) is float and type(terminated) is bool and type(truncated) is bool
        assert terminated is False


def test_box_variant_maps_minus_one_to_zero_and_one_to_full_current():
    env = HeaterControlEnv(continuous=True)
    assert env.action_space == gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    assert env.power(np.array([-1.0])) == 0.0
    assert env.power(np.array([1.0])) == pytest.approx(40.0)
    assert env.power(np.array([0.0])) == pytest.approx(10.0)  # half the current
    for outside in (np.array([5.0]), np.array([-1.01]), np.array([np.nan])):
        with pytest.raises(ValueError, match=r"action .*Box\(-1\.0, 1\.0, \(1,\), float32\)"):
            env.power(outside)  # refused, not clipped
    discrete = HeaterControlEnv(n_levels=5)
    assert discrete.action_space == gym.spaces.Discrete(5)
    np.testing.assert_allclose(discrete.currents, [0.0, 0.5, 1.0, 1.5, 2.0])
    with pytest.raises(ValueError, match="action"):
        discrete.power(5)


def test_observations_stay_in_bounds_and_targets_in_range():
    env = gym.make("labcoat/HeaterControl-v0", sensor_noise=2.0, render_mode="ansi")
    env.action_space.seed(0)
    for seed in range(5):
        obs, info = env.reset(seed=seed)
        assert 30.0 <= info["target"] <= 80.0 and info["temperature"] == T_AMB
        truncated, steps = False, 0
        while not truncated:
            assert env.observation_space.contains(obs)
            assert obs[2] == pytest.approx(obs[1] - obs[0], abs=1e-4)
            obs, _, _, truncated, info = env.step(env.action_space.sample())
            steps += 1
        assert steps == 200
    assert "target" in env.render()


def test_same_seed_same_trajectory_and_targets_differ():
    def trajectory(seed):
        env = gym.make("labcoat/HeaterControl-v0", continuous=True)
        env.action_space.seed(1)
        obs, info = env.reset(seed=seed)
        rows = [obs]
        for _ in range(30):
            obs, reward, *_ = env.step(env.action_space.sample())
            rows.append(np.append(obs, reward))
        return np.concatenate(rows), info["target"]

    a, target_a = trajectory(4)
    b, target_b = trajectory(4)
    np.testing.assert_array_equal(a, b)
    assert target_a == target_b != trajectory(5)[1]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_levels": 1}, "n_levels"),
        ({"max_current": 0.0}, "max_current"),
        ({"heat_capacity": -1.0}, "heat_capacity"),
        ({"time_step": math.inf}, "time_step"),
        ({"sensor_noise": -0.1}, "sensor_noise"),
        ({"sensor_time_constant": -1.0}, "sensor_time_constant"),
        ({"energy_weight": -1.0}, "energy_weight"),
        ({"target_range": (10.0, 50.0)}, "target_range"),
        ({"target_range": (30.0, 150.0)}, "target_range"),
        ({"target_range": 40.0}, "target_range"),
        ({"render_mode": "human"}, "render_mode"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=name):
        HeaterControlEnv(**kwargs)


def test_bad_type_and_bad_target_option():
    with pytest.raises(TypeError, match="continuous"):
        HeaterControlEnv(continuous="yes")
    env = HeaterControlEnv()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    with pytest.raises(ValueError, match="target"):
        env.reset(options={"target": 95.0})


@pytest.mark.parametrize("kwargs", [{"continuous": True}, {"sensor_time_constant": 10.0}])
def test_variants_pass_the_gymnasium_and_sb3_checkers_without_warnings(kwargs):
    import warnings

    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gym.make("labcoat/HeaterControl-v0", **kwargs).unwrapped)
        sb3_check_env(gym.make("labcoat/HeaterControl-v0", **kwargs).unwrapped)
