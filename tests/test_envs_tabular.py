"""Tabular environments: P against the notes' table, sampling against P, values by linear solve."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import labcoat.envs  # noqa: F401  (registers the ids)
from labcoat.envs._tabular import Transition
from labcoat.envs.plant_watering import PlantWateringEnv
from labcoat.envs.random_walk import RandomWalkEnv

PLANT_DEFAULTS = dict(
    r_on=1.0,
    r_off=0.5,
    r_text=-1.0,
    r_fail=-4.0,
    alpha=0.8,
    alpha_prime=0.95,
    beta=0.7,
    beta_prime=0.9,
)


def dense(env) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p(s' | s, a), r(s, a, s') (expected reward given s') and p(terminated | s, a, s')."""
    n_s, n_a = env.n_states, env.n_actions
    p = np.zeros((n_s, n_a, n_s))
    reward_mass = np.zeros((n_s, n_a, n_s))
    done_mass = np.zeros((n_s, n_a, n_s))
    for s in range(n_s):
        for a in range(n_a):
            for prob, s2, r, done in env.P[s][a]:
                p[s, a, s2] += prob
                reward_mass[s, a, s2] += prob * r
                done_mass[s, a, s2] += prob * done
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(p > 0, reward_mass / p, 0.0)
        d = np.where(p > 0, done_mass / p, 0.0)
    return p, r, d


def notes_table(r_on, r_off, r_text, r_fail, alpha, alpha_prime, beta, beta_prime, penalty=1.0):
    """The plant MDP written from §7.2 / eqs. 7.8, 7.12, 7.13 (0 = high, 1 = low)."""
    p = np.zeros((2, 3, 2))
    r = np.zeros((2, 3, 2))
    # high: the lamp reward whatever the next level (eq. 7.8: p(h, r_on|h,on), p(l, r_on|h,on))
    p[0, 0] = [alpha, 1 - alpha]
    r[0, 0] = [r_on, r_on]
    p[0, 1] = [alpha_prime, 1 - alpha_prime]
    r[0, 1] = [r_off, r_off]
    # unavailable text in high: the "off" dynamics, r_off minus the penalty (documented rule)
    p[0, 2] = [alpha_prime, 1 - alpha_prime]
    r[0, 2] = [r_off - penalty, r_off - penalty]
    # low: survive with the lamp reward, or the plants die: r_fail and back to high (eq. 7.13)
    p[1, 0] = [1 - beta, beta]
    r[1, 0] = [r_fail, r_on]
    p[1, 1] = [1 - beta_prime, beta_prime]
    r[1, 1] = [r_fail, r_off]
    p[1, 2] = [1.0, 0.0]
    r[1, 2] = [r_text, 0.0]
    return p, r


probability = st.floats(0.0, 1.0, allow_nan=False)
plant_args = st.fixed_dictionaries(
    {
        "r_on": st.floats(-10, 10),
        "r_off": st.floats(-10, 10),
        "r_text": st.floats(-10, 10),
        "r_fail": st.floats(-10, 10),
        "alpha": probability,
        "alpha_prime": probability,
        "beta": probability,
        "beta_prime": probability,
    }
)


def quiet_plant(**kwargs) -> PlantWateringEnv:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return PlantWateringEnv(**kwargs)


# ---------------------------------------------------------------- P: structure (both envs)


def check_table(env) -> None:
    assert set(env.P) == set(range(env.n_states))
    for s in range(env.n_states):
        assert set(env.P[s]) == set(range(env.n_actions))
        for a in range(env.n_actions):
            transitions = env.P[s][a]
            assert all(isinstance(t, Transition) for t in transitions)
            assert sum(t.prob for t in transitions) == pytest.approx(1.0, abs=1e-12)
            for prob, s2, r, done in transitions:
                assert 0.0 <= prob <= 1.0
                assert 0 <= s2 < env.n_states and type(s2) is int
                assert type(r) is float and type(done) is bool
    assert env.valid_actions.shape == (env.n_states, env.n_actions)
    assert env.valid_actions.dtype == bool


@settings(max_examples=40, deadline=None)
@given(plant_args)
def test_plant_p_is_the_notes_table(kwargs):
    env = quiet_plant(**kwargs)
    check_table(env)
    p, r, d = dense(env)
    p_ref, r_ref = notes_table(**kwargs)
    np.testing.assert_allclose(p, p_ref, atol=1e-12)
    reachable = p_ref > 1e-9  # r(s, a, s') is recovered as mass / p: skip denormal p
    np.testing.assert_allclose(r[reachable], r_ref[reachable], atol=1e-9)
    assert not d.any()  # a continuing task


def test_plant_bellman_equations_of_the_notes():
    """v_on from P by linear solve satisfies eqs. 7.8-7.9 written out by hand."""
    env = PlantWateringEnv()
    gamma = 0.9
    p, r, _ = dense(env)
    r_sa = (p * r).sum(axis=2)
    on = np.array([0, 0])
    p_pi, r_pi = p[[0, 1], on], r_sa[[0, 1], on]
    v = np.linalg.solve(np.eye(2) - gamma * p_pi, r_pi)
    a, b, k = 0.8, 0.7, PLANT_DEFAULTS
    assert v[0] == pytest.approx(k["r_on"] + gamma * (a * v[0] + (1 - a) * v[1]))
    assert v[1] == pytest.approx(
        b * (k["r_on"] + gamma * v[1]) + (1 - b) * (k["r_fail"] + gamma * v[0])
    )


def test_plant_defaults_and_valid_actions():
    env = PlantWateringEnv()
    assert {k: getattr(env, k) for k in PLANT_DEFAULTS} == PLANT_DEFAULTS
    np.testing.assert_array_equal(env.valid_actions, [[True, True, False], [True, True, True]])
    assert (env.n_states, env.n_actions) == (2, 3)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 60), st.integers(1, 70))
def test_random_walk_p_structure(size, max_jump):
    env = RandomWalkEnv(size=size, max_jump=max_jump)
    check_table(env)
    assert env.n_states == size + 2 and env.n_actions == 1
    assert env.valid_actions.all()
    p, r, d = dense(env)
    right = size + 1
    for terminal in (0, right):  # absorbing, reward 0, terminated
        assert env.P[terminal][0] == [Transition(1.0, terminal, 0.0, True)]
    # every non-terminal: each state within max_jump (not itself) with 1/(2 max_jump)
    for s in range(1, right):
        for n in range(1, right):
            expected = 1 / (2 * max_jump) if 0 < abs(n - s) <= max_jump else 0.0
            assert p[s, 0, n] == pytest.approx(expected)
        # the mass of the jumps beyond an end goes to that end
        assert p[s, 0, 0] == pytest.approx(max(0, max_jump - s + 1) / (2 * max_jump))
        assert p[s, 0, right] == pytest.approx(max(0, s + max_jump - size) / (2 * max_jump))
    assert (r[1:right, 0, 0][p[1:right, 0, 0] > 0] == -1).all()
    assert (r[1:right, 0, right][p[1:right, 0, right] > 0] == 1).all()
    assert (r[1:right, 0, 1:right] == 0).all()
    np.testing.assert_array_equal(d[1:right, 0, 1:right], 0)
    assert (d[:, 0, 0][p[:, 0, 0] > 0] == 1).all()


def test_random_walk_defaults():
    env = RandomWalkEnv()
    assert (env.size, env.max_jump, env.n_states) == (1000, 100, 1002)
    assert env.observation_space == gym.spaces.Discrete(1002)
    assert env.action_space == gym.spaces.Discrete(1)
    assert env.reset(seed=0)[0] == 500 == env.start_state
    assert RandomWalkEnv(size=5, max_jump=1).start_state == 3  # "C" of Example 6.2
    assert RandomWalkEnv(size=19, max_jump=1).start_state == 10


# ---------------------------------------------------------------- true values by linear solve


def walk_values(env) -> np.ndarray:
    """v = r + P v on the non-terminal states (gamma = 1, the terminals are worth 0)."""
    p, r, _ = dense(env)
    inner = slice(1, env.n_states - 1)
    r_s = (p[inner, 0] * r[inner, 0]).sum(axis=1)
    p_inner = p[inner, 0, inner]
    return np.linalg.solve(np.eye(env.size) - p_inner, r_s)


def test_random_walk_five_states_closed_form():
    """v(i) = P(right) - P(left) = i/6 - (1 - i/6) = 2 i / 6 - 1 (gambler's ruin)."""
    v = walk_values(RandomWalkEnv(size=5, max_jump=1))
    i = np.arange(1, 6)
    np.testing.assert_allclose(v, 2 * i / 6 - 1, atol=1e-12)


def test_random_walk_1000_values_monotone_antisymmetric():
    v = walk_values(RandomWalkEnv())
    assert (np.diff(v) > 0).all()
    np.testing.assert_allclose(v, -v[::-1], atol=1e-10)
    assert -1 < v[0] < -0.8 and 0.8 < v[-1] < 1  # near the ends, close to the end reward


# ---------------------------------------------------------------- sampling matches P


def empirical_check(env, state, action, n, rng_seed):
    """Chi-square goodness of fit of n draws of step() from `state` against P[state][action]."""
    env.reset(seed=rng_seed)
    counts = np.zeros(env.n_states)
    rewards: dict[int, set[float]] = {}
    for _ in range(n):
        env._state = state
        s2, r, _, _, _ = env.step(action)
        counts[s2] += 1
        rewards.setdefault(s2, set()).add(r)
    p, r_table, _ = dense(env)
    expected = p[state, action] * n
    support = expected > 0
    assert counts[~support].sum() == 0
    for s2, seen in rewards.items():
        assert seen == {r_table[state, action, s2]}
    if support.sum() > 1:
        assert stats.chisquare(counts[support], expected[support]).pvalue > 1e-4


@pytest.mark.parametrize("state,action", [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)])
def test_plant_step_frequencies_match_p(state, action):
    env = PlantWateringEnv(alpha=0.6, alpha_prime=0.85, beta=0.3, beta_prime=0.55)
    empirical_check(env, state, action, n=4000, rng_seed=10 + 3 * state + action)


@pytest.mark.parametrize("state", [1, 4, 50, 97, 100])
def test_random_walk_step_frequencies_match_p(state):
    env = RandomWalkEnv(size=100, max_jump=10)
    empirical_check(env, state, 0, n=20_000, rng_seed=state)


def test_random_walk_episode_ends_in_a_terminal_with_its_reward():
    env = RandomWalkEnv(size=20, max_jump=3)
    env.reset(seed=3)
    for _ in range(50):
        obs, _ = env.reset()
        total, terminated = 0.0, False
        while not terminated:
            obs, reward, terminated, truncated, _ = env.step(0)
            total += reward
            assert not truncated
        assert (obs, total) in {(0, -1.0), (21, 1.0)}
        assert env.step(0)[:3] == (obs, 0.0, True)  # absorbing


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize("name", ["alpha", "alpha_prime", "beta", "beta_prime"])
@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan")])
def test_plant_probability_out_of_range_raises(name, value):
    with pytest.raises(ValueError, match=name):
        PlantWateringEnv(**{name: value})


@pytest.mark.parametrize(
    "kwargs,ordering",
    [
        (dict(r_on=0.4), "r_on > r_off"),
        (dict(r_off=-0.1, r_text=-1.0), "r_off > 0"),
        (dict(r_text=0.2), "0 > r_text"),
        (dict(r_fail=-0.5), "r_text > r_fail"),
        (dict(alpha_prime=0.7), "alpha_prime > alpha"),
        (dict(beta_prime=0.6), "beta_prime > beta"),
    ],
)
def test_plant_broken_ordering_warns(kwargs, ordering):
    with pytest.warns(UserWarning) as record:
        PlantWateringEnv(**kwargs)
    messages = [str(w.message) for w in record]
    assert any(ordering in m for m in messages), messages


def test_plant_defaults_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PlantWateringEnv()


@pytest.mark.parametrize(
    "kwargs,error,name",
    [
        (dict(invalid_action="ignore"), ValueError, "invalid_action"),
        (dict(invalid_action_penalty=0.0), ValueError, "invalid_action_penalty"),
        (dict(r_on=float("inf")), ValueError, "r_on"),
        (dict(r_fail="a lot"), TypeError, "r_fail"),
        (dict(render_mode="human"), ValueError, "render_mode"),
    ],
)
def test_plant_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        PlantWateringEnv(**kwargs)


@pytest.mark.parametrize(
    "kwargs,error,name",
    [
        (dict(size=0), ValueError, "size"),
        (dict(size=2.5), TypeError, "size"),
        (dict(max_jump=0), ValueError, "max_jump"),
        (dict(max_jump=True), TypeError, "max_jump"),
        (dict(render_mode="human"), ValueError, "render_mode"),
    ],
)
def test_random_walk_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        RandomWalkEnv(**kwargs)


def test_bad_actions_raise():
    plant, walk = PlantWateringEnv(), RandomWalkEnv(size=5, max_jump=1)
    plant.reset(seed=0)
    walk.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        plant.step(3)
    with pytest.raises(ValueError, match="action"):
        walk.step(1)


# ---------------------------------------------------------------- masks and unavailable text


def test_plant_action_mask_in_info_and_method():
    env = PlantWateringEnv(alpha=0.0)  # on: high -> low surely
    obs, info = env.reset(seed=0)
    assert obs == 0
    for mask in (info["action_mask"], env.action_masks()):
        assert mask.dtype == np.int8
        np.testing.assert_array_equal(mask, [1, 1, 0])
    obs, *_, info = env.step(0)
    assert obs == 1
    np.testing.assert_array_equal(info["action_mask"], [1, 1, 1])
    np.testing.assert_array_equal(env.action_masks(), env.valid_actions[obs].astype(np.int8))


def test_plant_unavailable_text_is_penalized_off():
    env = PlantWateringEnv(alpha_prime=1.0, invalid_action_penalty=2.5)
    env.reset(seed=0)
    for _ in range(20):
        obs, reward, terminated, truncated, _ = env.step(2)
        assert (obs, reward, terminated, truncated) == (0, 0.5 - 2.5, False, False)


def optimal_q(env, gamma: float) -> np.ndarray:
    """q* of every (s, a) by value iteration on P, maximizing over valid actions (7.12-7.13)."""
    p, r, _ = dense(env)
    r_sa, v = (p * r).sum(axis=2), np.zeros(env.n_states)
    for _ in range(2000):
        q = r_sa + gamma * p @ v
        v = np.where(env.valid_actions, q, -np.inf).max(axis=1)
    return q


def optimal_policy(env, gamma: float) -> list[int]:
    """The greedy policy of q* over the valid actions."""
    return np.where(env.valid_actions, optimal_q(env, gamma), -np.inf).argmax(axis=1).tolist()


def test_plant_unavailable_text_never_optimal():
    """q*(high, text) = q*(high, off) - penalty, below q*(high, off) for any gamma."""
    env = PlantWateringEnv()
    for gamma in (0.0, 0.5, 0.9, 0.99):
        q = optimal_q(env, gamma)
        assert q[0, 2] == pytest.approx(q[0, 1] - env.invalid_action_penalty)
        assert q[0].argmax() != 2


@pytest.mark.parametrize(
    "gamma,policy", [(0.1, [0, 1]), (0.5, [0, 1]), (0.8, [0, 2]), (0.99, [0, 2])]
)
def test_plant_default_optimal_policy_as_documented(gamma, policy):
    """Short-sighted: lamp off in low; far-sighted: text; lamp on in high (class docstring)."""
    assert optimal_policy(PlantWateringEnv(), gamma) == policy


def test_plant_unavailable_text_can_raise():
    env = PlantWateringEnv(invalid_action="raise")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="unavailable"):
        env.step(2)
    env._state = 1
    assert env.step(2)[:2] == (0, -1.0)  # text in low is fine


# ---------------------------------------------------------------- rendering and time limit


def test_plant_render_ansi():
    env = PlantWateringEnv(render_mode="ansi", alpha=0.0, beta=0.0)
    env.reset(seed=0)
    assert "high" in env.render() and "start" in env.render()
    env.step(0)  # high -> low surely
    text = env.render()
    assert "low" in text and "lamp on" in text and "+1.00" in text
    env.step(1)  # low, off, beta'=0.9: usually survives
    env._state = 1
    env.step(0)  # beta = 0: the plants die
    text = env.render()
    assert "high" in text and "died" in text and "-4.00" in text
    env.step(2)
    assert "not sent" in env.render()


def test_plant_render_rgb_array():
    env = PlantWateringEnv(render_mode="rgb_array", alpha=0.0)
    env.reset(seed=0)
    high = env.render()
    assert high.shape == (64, 96, 3) and high.dtype == np.uint8
    env.step(0)
    low = env.render()
    blue = np.array([40, 110, 230])
    assert (high == blue).all(axis=2).sum() > (low == blue).all(axis=2).sum()  # water gauge
    lit = np.array([250, 210, 0])
    assert not (high == lit).all(axis=2).any() and (low == lit).all(axis=2).any()  # lamp
    assert PlantWateringEnv().render() is None


def test_random_walk_render():
    env = RandomWalkEnv(size=5, max_jump=1, render_mode="ansi")
    env.reset(seed=0)
    assert "state 3 of 1..5" in env.render()
    while not env.step(0)[2]:
        pass
    assert "[L]" in env.render() or "[R]" in env.render()
    picture = RandomWalkEnv(render_mode="rgb_array")
    picture.reset(seed=0)
    frame = picture.render()
    assert frame.shape == (24, 272, 3) and frame.dtype == np.uint8
    black = (frame == 0).all(axis=2)
    assert black[:, 8 + round(499 * 255 / 999)].any()  # the walker in the middle


def test_plant_is_truncated_never_terminated():
    env = gym.make("labcoat/PlantWatering-v0")
    env.action_space.seed(0)
    env.reset(seed=0)
    for t in range(1, 201):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        assert not terminated
        assert truncated == (t == 200)
    env = gym.make("labcoat/PlantWatering-v0", max_episode_steps=7)
    env.reset(seed=0)
    assert [env.step(0)[3] for _ in range(7)] == [False] * 6 + [True]


# ---------------------------------------------------------------- unmodified SB3 agents


def test_sb3_dqn_trains_through_unavailable_texts():
    from stable_baselines3 import DQN

    env = gym.make("labcoat/PlantWatering-v0")
    model = DQN("MlpPolicy", env, learning_starts=150, train_freq=4, seed=0, device="cpu")
    model.learn(300)
    n = model.replay_buffer.pos
    observations = model.replay_buffer.observations[:n, 0].argmax(axis=-1)  # one-hot
    actions = model.replay_buffer.actions[:n, 0, 0]
    assert ((observations == 0) & (actions == 2)).sum() > 10  # texts sent with high water


@pytest.mark.slow
def test_sb3_ppo_learns_the_optimal_policy():
    from stable_baselines3 import PPO

    gamma = 0.9
    env = gym.make("labcoat/PlantWatering-v0")
    model = PPO("MlpPolicy", env, n_steps=256, batch_size=64, gamma=gamma, seed=0, device="cpu")
    model.learn(4096)
    greedy = [int(model.predict(s, deterministic=True)[0]) for s in range(2)]
    assert greedy == optimal_policy(env.unwrapped, gamma) == [0, 2]
