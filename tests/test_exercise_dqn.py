"""The dqn exercise in quick mode: its numbers against direct runs, value iteration and hand
computations (the learning itself is checked in tests/test_agents_dqn.py)."""

import dataclasses

import gymnasium as gym
import numpy as np
import pytest

from labcoat.agents import DQN, TabularModel, evaluate_policy, value_iteration
from labcoat.exercises.dqn import (
    EXERCISE,
    PLANT,
    Config,
    binned_curve,
    run,
    train_and_evaluate,
)

QUICK = dataclasses.replace(Config(), **EXERCISE.quick)


@pytest.fixture(scope="module")
def quick_result():
    return run(QUICK)


def test_quick_run_reports_every_agent_and_the_exact_q_star(quick_result):
    m = quick_result.metrics
    exact = value_iteration(TabularModel.from_env(gym.make("labcoat/PlantWatering-v0")), 0.9)
    np.testing.assert_allclose(m["plant_q_star"], exact.q)
    keys = set(m["final_return_iqm"])
    assert keys == {
        "CartPole-v1 / labcoat DQN",
        "CartPole-v1 / SB3 DQN",
        "PlantWatering-v0 / labcoat DQN",
        "PlantWatering-v0 / SB3 DQN",
        "PlantWatering-v0 / labcoat DQN, squared loss",
    }
    for key, value in m["final_return_iqm"].items():
        upper = 500 if key.startswith("CartPole") else 200  # 200 steps of at most r_on = 1
        assert 1 <= value <= upper if key.startswith("CartPole") else -800 <= value <= upper
    for errors in m["plant_q_max_error"].values():
        assert len(errors) == QUICK.training_seeds and np.all(np.isfinite(errors))
    assert set(quick_result.figures) == {"dqn"}
    assert len(quick_result.data["curves"]["bin"]) == QUICK.curve_bins


def test_a_run_is_a_seeded_dqn_evaluated_greedily():
    config = dataclasses.replace(QUICK, plant_timesteps=400, eval_episodes=2)
    first = train_and_evaluate(config, "PlantWatering-v0", "labcoat DQN", 1)
    again = train_and_evaluate(config, "PlantWatering-v0", "labcoat DQN", 1)
    assert first.final_return == again.final_return
    np.testing.assert_array_equal(first.q, again.q)
    agent = DQN("labcoat/PlantWatering-v0", hidden_sizes=(32,), seed=1, **PLANT).learn(400)
    np.testing.assert_array_equal(agent.q_values(np.array([0, 1])), first.q)
    env = gym.make("labcoat/PlantWatering-v0")
    assert first.final_return == evaluate_policy(agent, env, n_episodes=2, seed=10_001)[0]


def test_binned_curve_by_hand():
    # episodes of lengths 3, 3, 4, 10 end at steps 3, 6, 10, 20 of 20, in 4 bins of 5 steps
    curve = binned_curve([1.0, 3.0, 5.0, 7.0], [3, 3, 4, 10], total=20, bins=4)
    np.testing.assert_allclose(curve, [1.0, 4.0, 4.0, 7.0])
    assert np.isnan(binned_curve([2.0], [20], total=20, bins=2)[0])


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("cartpole_timesteps", 10, ValueError),
        ("training_seeds", 0, ValueError),
        ("eval_episodes", 1.5, TypeError),
        ("curve_bins", 1, ValueError),
        ("seed", -1, ValueError),
    ],
)
def test_bad_settings_are_refused_naming_them(field, value, error):
    with pytest.raises(error, match=field):
        Config(**{field: value})
