"""Runs that could never end are refused up front; gamma = 1 without an end is refused or warned.

Before: batched_q_learning on the plant model (no terminal state) without max_episode_steps
never returned; value_iteration at gamma = 1 on it sweeps for 10-20 s and then reports "did not
converge"; a tabular agent's learn(n_episodes=...) on an unlimited continuing env never returned;
gamma = 1 on a continuing task passed silently although its returns are unbounded sums.
"""

import warnings

import gymnasium as gym
import numpy as np
import pytest

import labcoat.envs  # noqa: F401  (registers the labcoat envs)
from labcoat.agents import ContinuingTaskWarning
from labcoat.agents.batched import batched_expected_sarsa, batched_q_learning, batched_sarsa
from labcoat.agents.planning import (
    TabularModel,
    can_terminate,
    reachable_states,
    value_iteration,
)
from labcoat.agents.tabular import TD0, ExpectedSarsa, MonteCarlo, QLearning, Sarsa
from labcoat.envs.plant_watering import PlantWateringEnv

PLANT = TabularModel.from_env(gym.make("labcoat/PlantWatering-v0"))


def _chain_with_a_trap():
    """States 0 -> 1 -> 2 (terminal) by action 0; action 1 in state 1 leads to the trap 3,
    which only loops on itself. State 4 is a second trap that no start state reaches."""
    T = np.zeros((5, 2, 5))
    T[0, :, 1] = 1.0
    T[1, 0, 2], T[1, 1, 3] = 1.0, 1.0
    T[2, :, 2] = 1.0
    T[3, :, 3] = 1.0
    T[4, :, 4] = 1.0
    return TabularModel(
        T=T, R=-np.ones((5, 2)), terminal=np.array([0, 0, 1, 0, 0], bool), valid_actions=True
    )


def test_termination_and_reachability_masks_on_a_hand_built_chain():
    model = _chain_with_a_trap()
    assert can_terminate(model).tolist() == [True, True, True, False, False]
    start = np.array([1, 0, 0, 0, 0], bool)
    assert reachable_states(model, start).tolist() == [True, True, True, True, False]
    assert can_terminate(PLANT).tolist() == [False, False]


@pytest.mark.parametrize("run", [batched_q_learning, batched_sarsa, batched_expected_sarsa])
def test_a_batched_run_that_cannot_end_is_refused_up_front(run):
    with pytest.raises(ValueError, match="never finish an episode: the model has no terminal"):
        run(PLANT, n_runs=2, n_episodes=2, gamma=0.9, start_state=0)
    model = _chain_with_a_trap()
    with pytest.raises(ValueError, match="from state 3 no policy reaches a terminal state"):
        run(model, n_runs=2, n_episodes=2, gamma=0.9, start_state=0)
    # with a time limit both run; from a start that cannot reach the trap it runs too
    limited = run(PLANT, n_runs=2, n_episodes=2, gamma=0.9, start_state=0, max_episode_steps=5)
    assert limited.episode_lengths.tolist() == [[5, 5], [5, 5]]
    ending = run(model, n_runs=2, n_episodes=1, gamma=0.9, start_state=2, seed=0)
    assert ending.episode_lengths.tolist() == [[1], [1]]


def test_value_iteration_at_gamma_one_needs_every_state_to_end():
    with pytest.raises(ValueError, match="gamma=1 .* the model has no terminal state"):
        value_iteration(PLANT, 1.0)
    with pytest.raises(ValueError, match="gamma=1 .* from state 3 no policy reaches"):
        value_iteration(_chain_with_a_trap(), 1.0)
    assert value_iteration(PLANT, 0.99).v.shape == (2,)  # discounted: fine
    cliff = TabularModel.from_env(gym.make("CliffWalking-v1"))
    assert value_iteration(cliff, 1.0).v[36] == pytest.approx(-13.0)  # 13 steps to the goal


@pytest.mark.parametrize("cls", [QLearning, Sarsa, ExpectedSarsa])
def test_learning_episodes_on_an_unlimited_continuing_env_is_refused(cls):
    agent = cls(PlantWateringEnv(), gamma=0.9, seed=0)
    with pytest.raises(ValueError, match=r"learn\(n_episodes=...\) would never finish"):
        agent.learn(n_episodes=1)
    assert agent.learn(total_timesteps=50).num_timesteps == 50  # a step budget always ends
    limited = cls("labcoat/PlantWatering-v0", gamma=0.9, seed=0).learn(n_episodes=1)
    assert limited.episode_lengths == [200]


@pytest.mark.parametrize(
    "make",
    [
        lambda env, g: QLearning(env, gamma=g),
        lambda env, g: Sarsa(env, gamma=g),
        lambda env, g: ExpectedSarsa(env, gamma=g),
        lambda env, g: TD0(env, lambda s: 0, gamma=g),
        lambda env, g: MonteCarlo(env, lambda s: 0, gamma=g),
    ],
)
def test_gamma_one_on_a_continuing_task_warns(make):
    with pytest.warns(ContinuingTaskWarning, match="gamma=1 on a continuing task") as caught:
        make("labcoat/PlantWatering-v0", 1.0)
    assert caught[0].filename == __file__  # points at the caller, not into labcoat
    with warnings.catch_warnings():
        warnings.simplefilter("error", ContinuingTaskWarning)
        make("labcoat/PlantWatering-v0", 0.99)  # discounted
        make("CliffWalking-v1", 1.0)  # episodic: terminal goal
