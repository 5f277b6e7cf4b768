"""CEM and the evolution strategy on the scalar LQR: the optimum of a known return.

For x' = x + u, cost x^2 + u^2 and u = -k x, the undiscounted return from x_0 over T steps is
-(1 + k^2) x_0^2 sum_{t<T} (1 - k)^(2t); for T -> infinity it is -x_0^2 (1 + k^2) / (2k - k^2),
whose maximum solves k^2 + k - 1 = 0: k = (sqrt 5 - 1) / 2, the Riccati gain K.
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

from labcoat.agents.parametric_policies import LinearGaussianPolicy, SoftmaxPolicy
from labcoat.agents.policy_search import CrossEntropyMethod, EvolutionStrategy, episode_score
from labcoat.envs.grid_world import GridWorldEnv
from labcoat.envs.linear_quadratic import LinearQuadraticEnv

MAX_CONTROL, HORIZON = 2.0, 40
K = (math.sqrt(5.0) - 1.0) / 2.0


def _env() -> gym.Env:
    return gym.wrappers.TimeLimit(LinearQuadraticEnv(max_control=MAX_CONTROL), HORIZON)


def _policy(k: float) -> LinearGaussianPolicy:
    return LinearGaussianPolicy(1, 1, learn_std=False, weights=[[-k / MAX_CONTROL]])


@pytest.mark.parametrize("k", [0.2, K, 1.3])
def test_episode_score_is_the_closed_form_return(k):
    env = _env()
    x0 = env.reset(seed=4)[1]["state"][0]
    closed = -(1 + k * k) * x0**2 * sum((1 - k) ** (2 * t) for t in range(HORIZON))
    assert episode_score(env, _policy(k), [4]) == pytest.approx(closed, rel=1e-5)


def test_the_closed_form_optimum_is_the_riccati_gain():
    assert LinearQuadraticEnv().K[0, 0] == pytest.approx(K, rel=1e-10)
    ks = np.linspace(0.3, 0.9, 6001)
    infinite = -(1 + ks**2) / (2 * ks - ks**2)
    assert ks[np.argmax(infinite)] == pytest.approx(K, abs=1e-4)


def test_cem_converges_to_the_riccati_gain_and_repeats():
    gains = []
    for _ in range(2):
        cem = CrossEntropyMethod(
            _env(), _policy(0.3), population=16, initial_std=0.3, elite_fraction=0.25, seed=0
        ).learn(12)
        gains.append(-MAX_CONTROL * cem.mean[0])
    assert gains[0] == gains[1]
    assert gains[0] == pytest.approx(K, abs=1e-4)  # 3e-8 with seeds 0-2
    assert cem.history[-1]["mean_score"] >= cem.history[0]["mean_score"]


def test_es_converges_to_the_riccati_gain():
    es = EvolutionStrategy(
        _env(), _policy(0.3), population=10, sigma=0.02, learning_rate=0.1, seed=1
    ).learn(25)
    assert -MAX_CONTROL * es.mean[0] == pytest.approx(K, rel=0.02)
    assert es.predict(np.array([0.5], np.float32))[0][0] == pytest.approx(es.mean[0] * 0.5)


def test_cem_on_a_tabular_softmax_policy_finds_the_goal():
    env = GridWorldEnv(size=2, slip=0.0, goal=(1, 1), pits=[(0, 1)], step_reward=-0.1)
    env = gym.wrappers.TimeLimit(env, 20)
    cem = CrossEntropyMethod(env, SoftmaxPolicy(4, 4), population=20, seed=0).learn(6)
    assert cem.history[-1]["mean_score"] == pytest.approx(0.9)  # down, right: -0.1 + 1


def test_searches_refuse_bad_input():
    with pytest.raises(ValueError, match="population must be even"):
        EvolutionStrategy(_env(), _policy(0.3), population=5)
    with pytest.raises(ValueError, match="elite_fraction"):
        CrossEntropyMethod(_env(), _policy(0.3), elite_fraction=0.0)
    with pytest.raises(ValueError, match="sigma"):
        EvolutionStrategy(_env(), _policy(0.3), sigma=-1.0)
    with pytest.raises(ValueError, match="parameters must be 1 finite"):
        CrossEntropyMethod(_env(), _policy(0.3), initial_mean=[0.0, 1.0])
    with pytest.raises(ValueError, match="n_generations"):
        CrossEntropyMethod(_env(), _policy(0.3)).learn(0)
