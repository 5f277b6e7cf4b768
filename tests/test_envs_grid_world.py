"""GridWorld: P against hand-written small grids, sampling against P, checks and rendering."""

from __future__ import annotations

import tracemalloc
from collections import defaultdict

import gymnasium as gym
import numpy as np
import pytest

import labcoat.envs  # noqa: F401  (registers the ids)
from labcoat.agents.planning import TabularModel, value_iteration
from labcoat.envs.grid_world import GridWorldEnv

LEFT, DOWN, RIGHT, UP = range(4)


def outcomes(env, s, a):
    """P[s][a] as {next_state: (total probability, reward, terminated)}."""
    merged = defaultdict(lambda: [0.0, None, None])
    for p, s_next, r, done in env.P[s][a]:
        merged[s_next][0] += p
        merged[s_next][1:] = [r, done]
    return {k: tuple(v) for k, v in merged.items()}


def assert_outcomes(env, s, a, expected):
    got = outcomes(env, s, a)
    assert set(got) == set(expected)
    for s_next, (p, r, done) in expected.items():
        assert got[s_next][0] == pytest.approx(p, abs=1e-12)
        assert got[s_next][1:] == (r, done)


def test_two_by_two_slippery_grid_by_hand():
    # 0 1 / 2 G: the intended move w.p. 0.8, each perpendicular move w.p. 0.1.
    env = GridWorldEnv(size=2, slip=0.2)
    assert_outcomes(env, 0, RIGHT, {1: (0.8, 0.0, False), 2: (0.1, 0.0, False),
                                    0: (0.1, 0.0, False)})  # fmt: skip
    assert_outcomes(env, 0, LEFT, {0: (0.9, 0.0, False), 2: (0.1, 0.0, False)})
    assert_outcomes(env, 1, DOWN, {3: (0.8, 1.0, True), 0: (0.1, 0.0, False),
                                   1: (0.1, 0.0, False)})  # fmt: skip
    assert_outcomes(env, 2, RIGHT, {3: (0.8, 1.0, True), 2: (0.1, 0.0, False),
                                    0: (0.1, 0.0, False)})  # fmt: skip
    for a in range(4):
        assert_outcomes(env, 3, a, {3: (1.0, 0.0, True)})


def test_three_by_three_grid_with_wall_and_pit_by_hand():
    # 0 1 X / 3 # 5 / 6 7 G with step reward -0.1.
    env = GridWorldEnv(size=3, slip=0.2, walls=[(1, 1)], pits=[(0, 2)], step_reward=-0.1)
    assert_outcomes(env, 1, DOWN, {1: (0.8, -0.1, False), 0: (0.1, -0.1, False),
                                   2: (0.1, -1.0, True)})  # fmt: skip
    assert_outcomes(env, 3, RIGHT, {3: (0.8, -0.1, False), 6: (0.1, -0.1, False),
                                    0: (0.1, -0.1, False)})  # fmt: skip
    assert_outcomes(env, 5, DOWN, {8: (0.8, 1.0, True), 5: (0.2, -0.1, False)})
    assert_outcomes(env, 2, LEFT, {2: (1.0, 0.0, True)})


def test_no_slip_is_deterministic():
    env = GridWorldEnv(size=3, slip=0.0)
    assert env.P[0][RIGHT] == [(1.0, 1, 0.0, False)]
    assert env.P[0][UP] == [(1.0, 0, 0.0, False)]


def test_sampling_matches_P():
    env = gym.make("labcoat/GridWorld-v0", size=2, slip=0.2)
    counts = defaultdict(int)
    env.reset(seed=3)
    n = 4000
    for _ in range(n):
        env.unwrapped._state = 0
        s_next, *_ = env.step(RIGHT)
        counts[s_next] += 1
    for s_next, p in {1: 0.8, 2: 0.1, 0: 0.1}.items():
        assert counts[s_next] / n == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / n))


def dense_values(env, policy, gamma):
    """v_pi by a dense linear solve of (I - gamma P_pi) v = r_pi over all states."""
    n = env.n_states
    P, r = np.zeros((n, n)), np.zeros(n)
    for s in range(n):
        for p, s_next, reward, done in env.P[s][int(policy[s])]:
            r[s] += p * reward
            if not done:
                P[s, s_next] += p
    terminal = np.isin(env.cells, ["G", "X"])
    v = np.linalg.solve(np.eye(n) - gamma * P, r)
    v[terminal] = 0.0
    return v, P, r


def test_value_iteration_on_grid_against_dense_solve():
    env = GridWorldEnv(size=6, slip=0.3, walls=[(1, 1), (2, 3), (4, 2)], pits=[(3, 3), (0, 4)],
                       step_reward=-0.04)  # fmt: skip
    model = TabularModel.from_env(env)
    gamma = 0.95
    result = value_iteration(model, gamma, tol=1e-10)
    v, _, _ = dense_values(env, result.policy, gamma)
    np.testing.assert_allclose(result.v, v, atol=1e-8)
    # v is optimal: no action does better by more than the tolerance (eq. 7.11).
    for a in range(4):
        q_a = np.array(
            [
                sum(
                    p * (rew + gamma * (0.0 if done else v[s2])) for p, s2, rew, done in env.P[s][a]
                )
                for s in range(env.n_states)
            ]
        )
        live = ~model.terminal
        assert np.all(q_a[live] <= v[live] + 1e-8)  # fmt: skip


def test_model_of_a_100_by_100_grid_never_allocates_states_actions_states():
    env = GridWorldEnv(size=100, slip=0.2, pits=[(50, 50)])
    dense_bytes = env.n_states * 4 * env.n_states * 8  # 3.2 GB
    tracemalloc.start()
    model = TabularModel.from_env(env)
    result = value_iteration(model, 0.99, tol=1e-6)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100e6 < dense_bytes / 30
    assert "T" not in vars(model)  # the dense view was never built
    assert model.transitions.nnz <= 3 * 4 * env.n_states
    assert result.v[0] > 0.0 and result.v[env.n_states - 1] == 0.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(size=1), ValueError, "size must be an integer"),
        (dict(size=2.0), TypeError, "size must be an integer"),
        (dict(slip=1.5), ValueError, "slip"),
        (dict(slip="a"), TypeError, "slip"),
        (dict(step_reward=float("nan")), ValueError, "step_reward"),
        (dict(walls=[(0, 10)]), ValueError, "walls column"),
        (dict(walls=[3]), TypeError, "walls must be"),
        (dict(walls=[(0, 0)]), ValueError, "start must be a free cell"),
        (dict(pits=[(9, 9)]), ValueError, "goal cell \\(9, 9\\) is already in pits"),
        (dict(render_mode="human"), ValueError, "render_mode"),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        GridWorldEnv(**kwargs)


def test_step_refuses_bad_actions():
    env = GridWorldEnv(size=3)
    env.reset(seed=0)
    for action in (4, -1, 1.0, True):
        with pytest.raises(ValueError, match="action must be an integer in \\[0, 3\\]"):
            env.step(action)


def test_render_text_and_picture():
    env = GridWorldEnv(size=3, walls=[(1, 1)], pits=[(0, 2)], render_mode="ansi")
    env.reset(seed=0)
    assert env.render() == "agent at (row 0, column 0) of 3 x 3: free\n"
    assert env.map() == "A.X\n.#.\n..G\n"
    picture = GridWorldEnv(size=3, render_mode="rgb_array")
    picture.reset(seed=0)
    image = picture.render()
    assert image.shape == (24, 24, 3) and image.dtype == np.uint8
    assert (image[0, 0] == 0).all() and tuple(image[-1, -1]) == (40, 160, 60)
