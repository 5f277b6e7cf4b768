"""The arm exercise: value iteration's tour against breadth-first search, Q-learning's bounds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_envs_sample_collector import fewest_moves

from labcoat.exercises.arm import EXERCISE, Config, make_env, run

QUICK = dataclasses.replace(Config(), **EXERCISE.quick)


@pytest.fixture(scope="module")
def quick_result():
    return run(QUICK)


def test_the_planned_tour_is_the_shortest(quick_result):
    env = make_env(QUICK)
    moves = fewest_moves(QUICK.n_angles, env.samples, env.radius)
    metrics = quick_result.metrics
    assert metrics["optimal_steps"] == moves
    assert metrics["expected_optimal_steps"] == pytest.approx(moves, abs=1e-6)
    assert metrics["v_star_start"] == pytest.approx(QUICK.n_samples - 0.01 * moves, abs=1e-8)


def test_q_learning_never_beats_the_optimum_and_learns(quick_result):
    metrics = quick_result.metrics
    steps = np.array(metrics["q_learning_greedy_steps"])
    assert len(steps) == QUICK.n_runs and np.all(steps >= metrics["optimal_steps"])
    lengths = np.asarray(quick_result.data["learning"]["length mean"])
    assert np.all(lengths >= metrics["optimal_steps"])
    assert lengths[-10:].mean() < lengths[:10].mean() / 2  # the episodes shorten
    assert metrics["q_learning_fraction_finished"] >= 0.6


def test_same_seed_same_numbers_and_config_checks(quick_result):
    assert run(QUICK).metrics == quick_result.metrics
    for bad, error in (
        ({"n_angles": 3}, ValueError),
        ({"slip": 1.0}, ValueError),
        ({"n_runs": 1.5}, TypeError),
        ({"learning_rate": 0.0}, ValueError),
    ):
        with pytest.raises(error, match=next(iter(bad))):
            dataclasses.replace(QUICK, **bad)
