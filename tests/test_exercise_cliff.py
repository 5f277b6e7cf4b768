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
