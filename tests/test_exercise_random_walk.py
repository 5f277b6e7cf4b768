"""The random-walk exercise in quick mode: exact values, Fig. 6.2's ordering, the TD fixed point."""

import dataclasses

import numpy as np
import pytest

from labcoat.exercises.random_walk import EXERCISE, Config, run


@pytest.fixture(scope="module")
def quick():
    return run(dataclasses.replace(Config(), **EXERCISE.quick))


def test_true_values_and_initial_error_are_exact(quick):
    m = quick.metrics
    v = 2 * np.arange(1, 6) / 6 - 1  # v(i) = 2 i / 6 - 1 (Example 6.2 with rewards -1 / +1)
    np.testing.assert_allclose(m["true_values_small"], v, atol=1e-12)
    initial = np.sqrt(np.mean(v**2))  # every estimate starts at 0
    for name, curve in quick.data["rms"].items():
        if name != "episode":
            assert curve[0] == pytest.approx(initial, abs=1e-12)


def test_td_beats_constant_alpha_monte_carlo_as_in_figure_6_2(quick):
    """S&B Fig. 6.2 (errors doubled by the -1/+1 rewards): TD below MC at every step size."""
    m = quick.metrics
    assert m["best_final_rms"]["TD"] < m["best_final_rms"]["MC"] - 0.03
    assert 0.08 < m["final_rms"]["TD alpha=0.1"] < 0.2
    assert 0.15 < m["final_rms"]["MC alpha=0.02"] < 0.32


def test_semi_gradient_td_approaches_the_exact_td_fixed_point(quick):
    agg = quick.metrics["aggregation"]
    w, w_td, w_ve = (
        np.asarray(agg[k]) for k in ("learned_weights", "td_fixed_point", "ve_minimum")
    )
    assert np.max(np.abs(w - w_td)) < 0.08
    assert np.max(np.abs(w - w_ve)) > 0.1  # S&B Fig. 9.1: not the gradient-MC solution
    ve = agg["value_error"]
    assert ve["ve_minimum"] < ve["td_fixed_point"]  # the VE minimum is the minimum
    # the group values of the VE minimum are mu-weighted means of v_pi over each group
    data = quick.data["aggregation"]
    v, mu = np.asarray(data["true_value"]), np.asarray(data["on_policy_distribution"])
    group = slice(101, 201)
    expected = np.sum(mu[group] * v[group]) / np.sum(mu[group])
    assert w_ve[1] == pytest.approx(expected, abs=1e-10)


def test_runs_are_reproducible_and_config_is_checked():
    config = Config(
        n_runs=2, n_episodes=5, size=60, max_jump=6, n_groups=6, aggregation_episodes=20, seed=3
    )
    first, second = run(config), run(config)
    assert first.metrics["final_rms"] == second.metrics["final_rms"]
    np.testing.assert_array_equal(
        first.metrics["aggregation"]["learned_weights"],
        second.metrics["aggregation"]["learned_weights"],
    )
    with pytest.raises(ValueError, match="n_groups"):
        Config(size=10, n_groups=11)
    with pytest.raises(ValueError, match="td_learning_rates"):
        Config(td_learning_rates=(0.1, 1.5))
    words = r"mc_learning_rates must be a tuple of at least 1 finite numbers in \(0, 1\]"
    for rates in (0.1, [0.1]):  # a bare number or a mutable sequence: the wrong type
        with pytest.raises(TypeError, match=words):
            Config(mc_learning_rates=rates)
    with pytest.raises(ValueError, match=words):
        Config(mc_learning_rates=())
    with pytest.raises(ValueError, match="aggregation_episodes"):
        Config(aggregation_episodes=1)
