"""The control exercise in quick mode, against the Riccati solution and its dt -> 0 limit."""

import dataclasses

import numpy as np
import pytest

from labcoat.envs.linear_quadratic import riccati
from labcoat.exercises import control


def _quick(**changes):
    return dataclasses.replace(control.Config(), **{**control.EXERCISE.quick, **changes})


@pytest.fixture(scope="module")
def result():
    return control.run(_quick())


def test_exact_methods_reach_the_riccati_gain(result):
    m = result.metrics
    # LSPI with q = z^T H z is exact for noise-free data: Hewer's iteration
    assert m["scalar/LSPI (quadratic q)"]["relative_error"] < 1e-6
    assert m["double integrator/LSPI (quadratic q)"]["relative_error"] < 1e-6
    # a 61 x 61 grid is coarse, yet value iteration's gain is within the 5 % target
    assert m["scalar/value iteration (grid)"]["within_target"]
    assert m["scalar/CEM"]["relative_error"] < 0.05
    rows = result.tables["gains"].rows
    learners = {"LSPI (quadratic q)", "REINFORCE", "actor-critic", "CEM", "ES"}
    assert {r[1] for r in rows if r[0] == "scalar"} == {"value iteration (grid)", *learners}
    assert {r[1] for r in rows if r[0] == "double integrator"} == learners


def test_continuous_limit_matches_the_published_numbers(result):
    limit = result.metrics["continuous_limit"]
    # REFERENCES.md, Optimal control: dt = 0.01 gives P = 1.0050125, K = 0.9950125
    assert limit["dt=0.01"]["P"] == pytest.approx(1.0050125, abs=1e-7)
    assert limit["dt=0.01"]["K"] == pytest.approx(0.9950125, abs=1e-7)
    for dt in control.DTS:
        row = limit[f"dt={dt}"]
        assert row["P"] == pytest.approx((dt + np.sqrt(dt * dt + 4)) / 2, rel=1e-9)
        assert row["K_lspi"] == pytest.approx(row["K"], rel=1e-6)
        assert abs(row["P_grid"] - 1.0) < 0.2  # the grid's error, shown in the figure
    assert set(result.figures) == {"continuous_limit", "learning"}


def test_grid_model_is_value_iteration_of_the_interpolated_chain():
    x, u = np.linspace(-2, 2, 41), np.linspace(-2, 2, 41)
    model = control.grid_model(1.0, 1.0, 1.0, 1.0, x, u, absorbing_origin=False)
    T = model.T
    assert np.allclose(T.sum(axis=2), 1.0)
    # the mean of the next grid state is x' = x + u wherever x' stays on the grid
    mean = T @ x
    inside = np.abs(x[:, None] + u[None, :]) <= 2
    assert np.allclose(mean[inside], (x[:, None] + u[None, :])[inside])
    P, K, _, _ = control.grid_solution(control.SYSTEMS["scalar"], 0.9, 101, 101, False)
    P_exact, K_exact = riccati([[1.0]], [[1.0]], [[1.0]], [[1.0]], 0.9)
    assert K == pytest.approx(K_exact[0, 0], rel=0.05)
    assert P == pytest.approx(P_exact[0, 0], rel=0.05)


def test_same_seed_same_gains():
    config = _quick(pg_timesteps=300, generations=2)
    env = control.make_env(control.SYSTEMS["scalar"], config.horizon)
    first = control.policy_gradient_gain(config, env, "actor-critic", 3)[0]
    second = control.policy_gradient_gain(config, env, "actor-critic", 3)[0]
    assert np.array_equal(first, second)


def test_config_refuses_bad_values():
    with pytest.raises(ValueError, match="grid_states must be odd"):
        control.Config(grid_states=100)
    with pytest.raises(ValueError, match="population must be even"):
        control.Config(population=5)
    with pytest.raises(ValueError, match="gamma"):
        control.Config(gamma=1.0)
    with pytest.raises(ValueError, match="action_std"):
        control.Config(action_std=0.0)
