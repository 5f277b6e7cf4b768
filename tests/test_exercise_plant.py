"""The plant exercise in quick mode: planning agrees exactly, the agents approach q*."""

import dataclasses

import numpy as np
import pytest

from labcoat.exercises._framework import apply_overrides
from labcoat.exercises.plant import EXERCISE, Config, run


@pytest.fixture(scope="module")
def quick():
    return run(dataclasses.replace(Config(), **EXERCISE.quick))


def test_planning_methods_agree_with_the_linear_solve(quick):
    m = quick.metrics
    assert m["max_difference_planning"] < 1e-9
    np.testing.assert_allclose(m["value_iteration_v"], m["linear_solve_v"], atol=1e-9)
    # v* is the largest of the six policy values, state by state
    best = np.max(np.array(list(m["policy_values"].values())), axis=0)
    np.testing.assert_allclose(m["policy_iteration_v"], best, atol=1e-12)
    assert m["optimal_policy"] == ["on", "text"]  # the defaults: far-sighted agents text
    assert len(quick.tables["policies"].rows) == 6


def test_learned_q_approaches_q_star(quick):
    """20k steps, alpha_n = n^-0.7: Q-learning within 0.35 (5 % of max q* = 6.95), Sarsa (on
    policy, epsilon still decaying) within 1.0; both errors fall by a factor >= 2."""
    m, curves = quick.metrics, quick.data["curves"]
    assert m["final_max_error"]["Q-learning"] < 0.35
    assert m["final_max_error"]["Sarsa"] < 1.0
    for key in ("q_learning_max_error", "sarsa_max_error"):
        assert curves[key][-1] < curves[key][0] / 2
    assert m["learned_policy"]["Q-learning"] == ["on", "text"]


def test_overrides_reach_the_environment_and_runs_are_reproducible():
    config = apply_overrides(
        Config(steps=2_000, snapshots=4),
        {"alpha": "0.7", "r_fail": "-10", "gamma": "0.9"},
    )
    assert (config.alpha, config.r_fail) == (0.7, -10.0)
    first, second = run(config), run(config)
    assert first.metrics["policy_values"]["on / on"][0] == pytest.approx(
        np.linalg.solve(
            [[1 - 0.9 * 0.7, -0.9 * 0.3], [-0.9 * 0.3, 1 - 0.9 * 0.7]],
            [1.0, 0.7 * 1.0 + 0.3 * -10.0],
        )[0]
    )  # eqs. 7.8-7.9 with alpha = 0.7, beta = 0.7, r_fail = -10
    np.testing.assert_array_equal(
        first.data["curves"]["sarsa_v_low"], second.data["curves"]["sarsa_v_low"]
    )
    with pytest.raises(ValueError, match="gamma"):
        Config(gamma=1.0)
    with pytest.raises(ValueError, match="alpha"):
        Config(alpha=1.5)
    with pytest.raises(ValueError, match="seed"):
        apply_overrides(Config(), {"seed": "-1"})  # rejected before any work
