"""The heater exercise in quick mode, and its controllers against hand computations."""

import dataclasses
import math

import numpy as np
import pytest

from labcoat.exercises.heater import (
    EXERCISE,
    PID,
    Config,
    Episode,
    Thermostat,
    TrackingObservation,
    make_env,
    run,
    run_episode,
    sarsa_epsilon,
    scores,
)

QUICK = dataclasses.replace(Config(), **EXERCISE.quick)


@pytest.fixture(scope="module")
def quick_result():
    return run(QUICK)


def test_pid_tracks_better_than_the_thermostat(quick_result):
    controllers = quick_result.metrics["controllers"]
    assert set(controllers) == {"thermostat", "PID", "semi-gradient Sarsa", "PPO (SB3)"}
    assert controllers["PID"]["rms_error"] < 0.5 * controllers["thermostat"]["rms_error"]
    # the thermostat's ripple is set by how far one full-power or off step moves T
    assert 0.2 < controllers["thermostat"]["rms_error"] < 5.0
    for summary in controllers.values():
        assert summary["energy_kj"] >= 0.0


def test_energy_matches_the_holding_power_of_the_target():
    """After the rise, a good controller's mean power is the steady-state (T* - T_amb) / R_th."""
    config = dataclasses.replace(QUICK, sarsa_timesteps=0, ppo_timesteps=0, n_episodes=2)
    result = run(config)
    trace = result.data["trace"]
    target = trace["target"][0]
    temperature = np.asarray(trace["PID temperature"])
    assert abs(temperature[-40:].mean() - target) < 0.5
    assert result.metrics["pid"]["kp"] == pytest.approx(
        100.0 / (2.0 * result.metrics["pid"]["lambda_s"])
    )


def test_trace_plot_and_table(quick_result):
    figure = quick_result.figures["trace"]
    top = figure.axes[0]
    labels = [line.get_label() for line in top.get_lines()]
    assert {"thermostat", "PID", "target"} <= set(labels)
    target_line = top.get_lines()[labels.index("target")]
    assert target_line.get_linestyle() == "--"
    assert [row[0] for row in quick_result.tables["summary"].rows][:2] == ["thermostat", "PID"]


def test_thermostat_switches_with_hysteresis():
    env = make_env(Config())
    thermostat = Thermostat(env, hysteresis=1.0)
    readings = [40.0, 49.5, 50.5, 51.5, 50.5, 49.5, 48.5, 49.5]
    actions = [thermostat(np.array([t, 50.0, 50.0 - t])) for t in readings]
    assert actions == [10, 10, 10, 0, 0, 0, 10, 10]


def test_pid_imc_gains_and_one_step_output():
    env = make_env(Config())
    pid = PID.imc(env, closed_loop_time=20.0, derivative_time=5.0)
    tau = 2.0 * 50.0
    assert pid.kp == pytest.approx(tau / (2.0 * 20.0))
    assert pid.ki == pytest.approx(pid.kp / tau)
    assert pid.kd == pytest.approx(pid.kp * 5.0)
    # error 2 K: u = Kp * 2 = 5 W -> nearest level in power: I = 0.6 A (3.6 W) or 0.8 (6.4 W)
    action = pid(np.array([48.0, 50.0, 2.0]))
    powers = env.currents**2 * env.resistance
    assert action == int(np.argmin(np.abs(powers - 5.0)))
    assert pid.integral == pytest.approx(2.0 * env.time_step)


def test_scores_by_hand():
    temperature = np.array([20.0, 30.0, 39.5, 40.5, 40.0, 39.0])
    episode = Episode(temperature, 40.0, np.array([40.0, 40.0, 20.0, 10.0, 10.0]), -3.0)
    s = scores(episode, time_step=5.0, settle_time=15.0)
    assert s["rms_error"] == pytest.approx(math.sqrt((0.25 + 0 + 1) / 3))
    assert s["rise_time"] == 10.0
    assert s["energy_kj"] == pytest.approx(120.0 * 5.0 / 1000)


def test_same_seed_same_numbers():
    config = dataclasses.replace(QUICK, n_episodes=1, sarsa_timesteps=200, ppo_timesteps=64)
    assert run(config).metrics == run(config).metrics


@pytest.mark.parametrize(
    ("field", "value"),
    [("n_episodes", 0), ("sensor_noise", -0.1), ("hysteresis", math.nan), ("settle_time", 1e4)],
)
def test_bad_config_raises_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        Config(**{field: value})


def test_sarsa_in_quick_mode_is_far_better_than_random_currents(quick_result):
    config = QUICK
    env = make_env(config)
    rng = np.random.default_rng(0)
    seeds = [int(s) for s in np.random.SeedSequence(config.seed).spawn(3)[0].generate_state(3)]
    random_rms = np.mean(
        [
            scores(
                run_episode(lambda _: int(rng.integers(11)), env, seed),
                env.time_step,
                config.settle_time,
            )["rms_error"]
            for seed in seeds
        ]
    )
    sarsa = quick_result.metrics["controllers"]["semi-gradient Sarsa"]["rms_error"]
    assert random_rms > 5.0
    assert sarsa < 0.2 * random_rms
    assert sarsa < quick_result.metrics["controllers"]["thermostat"]["rms_error"]


def test_tracking_observation_by_hand():
    env = TrackingObservation(make_env(dataclasses.replace(Config(), sensor_noise=0.0)))
    obs, info = env.reset(seed=0, options={"target": 50.0})
    # cold start: e = 50 - 20 = 30 K, no change yet
    np.testing.assert_allclose(obs, [math.log1p(30.0) / math.log1p(100.0), 50.0, 0.0], rtol=1e-6)
    obs, _, _, _, info = env.step(10)
    e = 50.0 - info["temperature"]
    expected = [math.log1p(e) / math.log1p(100.0), 50.0, math.tanh(e - 30.0)]
    np.testing.assert_allclose(obs, expected, rtol=1e-6)
    assert env.observation_space.contains(obs)
    obs, _ = env.reset(seed=0, options={"target": 50.0})
    assert obs[2] == 0.0  # the previous error is forgotten at reset


def test_sarsa_epsilon_schedule():
    epsilon = sarsa_epsilon(1000)
    assert epsilon(0) == pytest.approx(0.2)
    assert epsilon(300) == pytest.approx(0.1)
    assert epsilon(600) == epsilon(999) == 0.01


def test_agents_are_reported_over_training_seeds(quick_result):
    """3 quick training seeds per agent: per-seed RMS errors, their IQM (with 3 seeds none is
    cut: the mean, which is the pooled mean over seeds and episodes) and a 95 % CI."""
    block = quick_result.metrics["rms_error_over_seeds"]
    assert block["training_seeds"] == QUICK.training_seeds == 3
    assert set(block["iqm"]) == {"semi-gradient Sarsa", "PPO (SB3)"}
    for name, iqm in block["iqm"].items():
        assert iqm == pytest.approx(quick_result.metrics["controllers"][name]["rms_error"])
        assert block["ci95_low"][name] <= iqm <= block["ci95_high"][name]
    rows = {row[0]: row for row in quick_result.tables["summary"].rows}
    assert rows["PID"][3] == "no training"
    top = quick_result.figures["trace"].axes[0]
    labels = [line.get_label() for line in top.get_lines()]
    assert "semi-gradient Sarsa: 20,000 steps (first of 3 training seeds)" in labels
    assert top.get_title().endswith("(quick)")
