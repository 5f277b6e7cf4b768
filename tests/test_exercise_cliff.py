"""The cliff exercise in quick mode: Sutton & Barto Example 6.6 within its spread."""

import dataclasses

import numpy as np
import pytest

from labcoat.exercises.cliff import EXERCISE, Config, greedy_path, run, smooth


@pytest.fixture(scope="module")
def quick():
    return run(dataclasses.replace(Config(), **EXERCISE.quick))


def test_sarsa_is_safer_online_and_q_learning_takes_the_edge(quick):
    """Figure 6.4: Sarsa about -25 per episode, Q-learning about -50; Q-learning's greedy path
    is the optimal 13 steps (= -v*(start) by policy iteration), Sarsa's is longer."""
    m = quick.metrics
    assert m["online_return"]["Sarsa"] > m["online_return"]["Q-learning"] + 10
    assert -35 < m["online_return"]["Sarsa"] < -20
    assert -60 < m["online_return"]["Q-learning"] < -40
    assert m["path_length"]["Q-learning"] == m["optimal_path_length"] == 13
    assert m["path_length"]["Sarsa"] > 13


def test_runs_are_reproducible_and_helpers_are_exact():
    config = Config(n_runs=3, n_episodes=20, expected_sarsa=False, seed=4)
    first, second = run(config), run(config)
    np.testing.assert_array_equal(
        first.data["returns"]["sarsa_return"], second.data["returns"]["sarsa_return"]
    )
    np.testing.assert_allclose(smooth(np.array([1.0, 3.0, 5.0, 7.0]), 2), [1, 2, 4, 6])
    q = np.zeros((48, 4))
    q[:, 2] = 1.0  # always down: from the start, bumps into the bottom wall forever
    assert len(greedy_path(q, limit=5)) == 6
    with pytest.raises(ValueError, match="epsilon"):
        Config(epsilon=2.0)
    with pytest.raises(ValueError, match="seed"):
        Config(seed=-1)


def test_report_is_over_training_seeds_with_intervals(quick):
    """IQM with a 95 % bootstrap CI over the 10 quick runs; Sarsa's CI lies above Q-learning's."""
    block = quick.metrics["online_return_over_seeds"]
    assert block["training_seeds"] == 10 and "training seeds" in block["interval"]
    for name in ("Sarsa", "Q-learning"):
        assert block["ci95_low"][name] <= block["iqm"][name] <= block["ci95_high"][name]
        assert block["iqm"][name] == pytest.approx(quick.metrics["online_return"][name], abs=10)
    assert block["ci95_low"]["Sarsa"] > block["ci95_high"]["Q-learning"]
    assert "IQM over seeds [95% CI]" in quick.tables["summary"].columns
    title = quick.figures["cliff"].axes[0].get_title()
    assert "10 training seeds x 200 episodes" in title and title.endswith("(quick)")
    full = run(Config(n_runs=3, n_episodes=20, expected_sarsa=False))
    assert "(quick)" not in full.figures["cliff"].axes[0].get_title()
