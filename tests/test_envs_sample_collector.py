"""SampleCollector: kinematics by hand, P against the env's step, value iteration against BFS."""

from __future__ import annotations

import math
from collections import Counter, deque

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import labcoat.envs  # noqa: F401  (registers the ids)
from labcoat.agents.planning import TabularModel, value_iteration
from labcoat.envs.sample_collector import SampleCollectorEnv, gripper_position

L1, L2 = 1.0, 0.8


def place(env: SampleCollectorEnv, state: int) -> None:
    """Put the Discrete env in ``state`` (cell, collected) without a step."""
    cell, collected = divmod(state, 1 << env.n_samples)
    env._cell = list(divmod(cell, env.n_angles))
    env._theta = [i * env.grid_step for i in env._cell]
    env._collected = collected


def fewest_moves(n_angles, samples, radius, start=(0, 0), l1=L1, l2=L2) -> int:
    """Breadth-first search over (i1, i2, collected) with the kinematics written out here."""
    samples = np.asarray(samples, dtype=float)

    def near(i1: int, i2: int) -> int:
        a1, a2 = 2 * math.pi * i1 / n_angles, 2 * math.pi * i2 / n_angles
        x = l1 * math.cos(a1) + l2 * math.cos(a1 + a2)
        y = l1 * math.sin(a1) + l2 * math.sin(a1 + a2)
        return sum(
            1 << j for j, (sx, sy) in enumerate(samples) if math.hypot(x - sx, y - sy) <= radius
        )

    full = (1 << len(samples)) - 1
    first = (*start, near(*start))
    distance, queue = {first: 0}, deque([first])
    while queue:
        i1, i2, collected = node = queue.popleft()
        if collected == full:
            return distance[node]
        for d1, d2 in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            j1, j2 = (i1 + d1) % n_angles, (i2 + d2) % n_angles
            nxt = (j1, j2, collected | near(j1, j2))
            if nxt not in distance:
                distance[nxt] = distance[node] + 1
                queue.append(nxt)
    raise AssertionError("some sample cannot be reached")


def episode_length(env: gym.Env, act) -> tuple[int, bool, dict]:
    """Steps of one greedy episode from reset(seed=0), whether it terminated, the last info."""
    obs, info = env.reset(seed=0)
    steps, terminated, truncated = 0, False, False
    while not (terminated or truncated):
        obs, _, terminated, truncated, info = env.step(act(obs))
        steps += 1
    return steps, terminated, info


def test_forward_kinematics_by_hand():
    cases = [
        ((0.0, 0.0), (L1 + L2, 0.0)),
        ((math.pi / 2, 0.0), (0.0, L1 + L2)),
        ((0.0, math.pi / 2), (L1, L2)),
        ((math.pi / 2, -math.pi / 2), (L2, L1)),
        ((math.pi, math.pi), (-L1 + L2, 0.0)),
        ((math.pi / 4, math.pi / 2), ((L1 - L2) / math.sqrt(2), (L1 + L2) / math.sqrt(2))),
    ]
    for (t1, t2), expected in cases:
        np.testing.assert_allclose(gripper_position(t1, t2, L1, L2), expected, atol=1e-12)
    theta = np.linspace(0, 2 * np.pi, 7)
    x, y = gripper_position(theta[:, None], theta[None, :], L1, L2)
    assert x.shape == (7, 7)
    radii = np.hypot(x, y)  # law of cosines: r² = l1² + l2² + 2 l1 l2 cos θ2
    law = L1**2 + L2**2 + 2 * L1 * L2 * np.cos(theta)
    np.testing.assert_allclose(radii**2, np.broadcast_to(law, (7, 7)), atol=1e-12)


@pytest.mark.parametrize("kwargs", [{}, {"n_angles": 6, "n_samples": 2, "move_reward": -0.1}])
def test_p_is_the_env_step_for_every_state_and_action(kwargs):
    env = SampleCollectorEnv(**kwargs)
    env.reset(seed=0)
    for s in range(env.n_states):
        for a in range(env.n_actions):
            place(env, s)
            obs, reward, terminated, truncated, _ = env.step(a)
            (transition,) = env.P[s][a]
            assert transition.prob == 1.0 and not truncated
            assert (obs, reward, terminated) == transition[1:], (s, a)


def test_p_with_slip_matches_sampled_frequencies():
    env = SampleCollectorEnv(n_angles=6, n_samples=2, slip=0.3)
    model = TabularModel.from_env(env)
    np.testing.assert_allclose(model.transitions.sum(axis=1), 1.0)
    env.reset(seed=3)
    n = 1000
    for s in (0, 37, 90):
        for a in range(env.n_actions):
            counts = Counter()
            for _ in range(n):
                place(env, s)
                obs, reward, terminated, *_ = env.step(a)
                counts[(obs, reward, terminated)] += 1
            expected = Counter()
            for p, s_next, r, done in env.P[s][a]:
                expected[(s_next, r, done)] += p
            assert set(counts) == {k for k, p in expected.items() if p > 0}
            for key, p in expected.items():  # within 4 binomial standard errors
                assert abs(counts[key] / n - p) <= 4 * math.sqrt(p * (1 - p) / n) + 1e-12


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"layout_seed": 1, "n_samples": 4},
        {"n_angles": 12, "samples": [(-1.0, 0.6), (0.3, -1.2)], "radius": 0.25},
        {"n_angles": 10, "n_samples": 2, "start": (3, 7), "l1": 0.7, "l2": 1.1},
    ],
)
def test_value_iteration_collects_every_sample_in_the_fewest_moves(kwargs):
    env = gym.make("labcoat/SampleCollector-v0", **kwargs)
    unwrapped = env.unwrapped
    moves = fewest_moves(
        unwrapped.n_angles,
        unwrapped.samples,
        unwrapped.radius,
        unwrapped.start,
        unwrapped.l1,
        unwrapped.l2,
    )
    result = value_iteration(TabularModel.from_env(env), gamma=1.0)
    n = unwrapped.n_samples
    assert result.v[unwrapped.start_state] == pytest.approx(n - 0.01 * moves, abs=1e-6)
    steps, terminated, info = episode_length(env, lambda obs: int(result.policy[obs]))
    assert terminated and steps == moves and info["n_collected"] == n


def test_ppo_learns_the_shortest_tour_of_a_small_layout():
    """SB3 PPO on the Discrete version reaches the BFS number of moves."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    kwargs = {"n_angles": 8, "n_samples": 2}
    venv = make_vec_env("labcoat/SampleCollector-v0", n_envs=4, seed=0, env_kwargs=kwargs)
    model = PPO(
        "MlpPolicy",
        venv,
        n_steps=64,
        batch_size=64,
        n_epochs=4,
        learning_rate=3e-3,
        gamma=0.95,
        ent_coef=0.01,
        seed=0,
        device="cpu",
    )
    model.learn(4096)
    env = gym.make("labcoat/SampleCollector-v0", **kwargs)
    steps, terminated, _ = episode_length(
        env, lambda obs: model.predict(obs, deterministic=True)[0]
    )
    unwrapped = env.unwrapped
    assert terminated and steps == fewest_moves(8, unwrapped.samples, unwrapped.radius)


def test_box_actions_move_the_joints_by_the_scaled_increment():
    env = SampleCollectorEnv(continuous=True, max_step=0.3, samples=[(-1.8, 0.0)], radius=0.1)
    obs, _ = env.reset(seed=0)
    np.testing.assert_allclose(obs, [1, 0, 1, 0, 0], atol=1e-7)
    obs, reward, terminated, _, _ = env.step(np.array([1.0, -0.5], dtype=np.float32))
    np.testing.assert_allclose(obs[:4], [np.cos(0.3), np.sin(0.3), np.cos(-0.15), np.sin(-0.15)],
                               atol=1e-6)  # fmt: skip
    assert reward == pytest.approx(-0.01) and not terminated
    np.testing.assert_allclose(env.gripper(), gripper_position(0.3, -0.15, L1, L2))
    env._theta = [math.pi - 0.3, 0.0]  # one full step before the sample at (-1.8, 0)
    obs, reward, terminated, _, info = env.step(np.array([1.0, 0.0]))
    assert terminated and reward == pytest.approx(0.99) and info["n_collected"] == 1
    with pytest.raises(ValueError, match="action must"):
        env.step(np.array([np.nan, 0.0]))


@settings(max_examples=25, deadline=None)
@given(
    n_angles=st.integers(4, 20),
    n_samples=st.integers(1, 3),
    continuous=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_observations_stay_in_the_space_and_decode_to_the_state(
    n_angles, n_samples, continuous, seed
):
    env = SampleCollectorEnv(
        n_angles=n_angles, n_samples=n_samples, radius=0.15, slip=0.2, continuous=continuous
    )
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    for _ in range(40):
        assert env.observation_space.contains(obs)
        if continuous:
            flags = [env._collected >> j & 1 for j in range(n_samples)]
            np.testing.assert_array_equal(obs[4:], flags)
            np.testing.assert_allclose(obs[:4] ** 2 @ [1, 1, 0, 0], 1.0, atol=1e-6)
        else:
            cell, collected = divmod(obs, 1 << n_samples)
            assert list(divmod(cell, n_angles)) == env._cell and collected == env._collected
        obs, reward, terminated, *_ = env.step(env.action_space.sample())
        assert env.move_reward <= reward <= env.move_reward + n_samples


@pytest.mark.parametrize("continuous", [False, True])
def test_same_seed_same_slips(continuous):
    def run(seed):
        env = SampleCollectorEnv(slip=0.5, continuous=continuous)
        env.action_space.seed(seed)
        env.reset(seed=seed)
        return [env.step(env.action_space.sample())[:3] for _ in range(100)]

    first, second = run(4), run(4)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a[0], b[0])
        assert a[1:] == b[1:]
    assert any(not np.array_equal(a[0], b[0]) for a, b in zip(first, run(5), strict=True))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_angles": 3}, ValueError, r"n_angles must be an integer in \[4, 64\]"),
        ({"n_angles": 8.0}, TypeError, "n_angles must be an integer"),
        ({"n_samples": 7}, ValueError, r"n_samples must be an integer in \[1, 6\]"),
        ({"radius": 0.0}, ValueError, "radius must be a finite number > 0"),
        ({"l1": np.inf}, ValueError, "l1 must be a finite number > 0"),
        ({"slip": 1.5}, ValueError, r"slip must be a finite number in \[0, 1\]"),
        ({"max_step": 4.0}, ValueError, r"max_step must be a finite number in \(0, 3.14159\]"),
        ({"continuous": 1}, TypeError, "continuous must be True or False"),
        ({"start": (0, 16)}, ValueError, r"start i2 must be an integer in \[0, 15\]"),
        ({"start": 3}, TypeError, "start must be grid indices"),
        ({"samples": [(5.0, 5.0)]}, ValueError, r"samples\[0\] = \[5.0, 5.0\] must lie within"),
        ({"samples": [(1.8, 0.0)]}, ValueError, "farther than radius from the start"),
        ({"samples": [("a", 1)]}, TypeError, "samples must be a sequence of real numbers"),
        ({"samples": [(0.0, 1.8)], "n_samples": 2}, ValueError, "n_samples must be None or"),
        ({"n_samples": 6, "radius": 1.0}, ValueError, "no layout of n_samples = 6 samples"),
        ({"render_mode": "human"}, ValueError, "render_mode must be one of"),
    ],
)
def test_bad_arguments_are_refused_naming_them(kwargs, error, message):
    with pytest.raises(error, match=message):
        SampleCollectorEnv(**kwargs)


def test_p_is_for_the_discrete_version_only():
    assert not hasattr(SampleCollectorEnv(continuous=True), "P")


def test_rendering_shows_the_gripper_and_the_samples():
    env = SampleCollectorEnv(render_mode="rgb_array", samples=[(0.0, 1.8)])
    env.reset(seed=0)
    picture = env.render()
    assert picture.shape == (96, 96, 3) and picture.dtype == np.uint8
    red = np.argwhere(np.all(picture == (200, 40, 40), axis=2)).mean(axis=0)
    green = np.argwhere(np.all(picture == (40, 160, 60), axis=2)).mean(axis=0)
    np.testing.assert_allclose(red, [47.5, 93], atol=2)  # gripper at (1.8, 0): right edge
    np.testing.assert_allclose(green, [3.5, 47.5], atol=2)  # sample at (0, 1.8): top
    text = SampleCollectorEnv(render_mode="ansi")
    text.reset(seed=0)
    assert text.render() == (
        "theta1 0.0 deg, theta2 0.0 deg, gripper at (1.80, 0.00), collected 0/3\n"
    )
