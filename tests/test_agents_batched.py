"""The batched runner's random stream (drawn in blocks) against the online agents.

The batched runs draw their uniforms many steps at a time (exploration coins, tie-breaking
numbers, transition numbers), so their numbers differ from the online agents' draw for draw;
what must agree is the distribution of the results. Each test compares means over many
independent runs with their standard errors (a 4-sigma band: a false alarm about once in
16 000 comparisons), and a same-seed run pins the stream.
"""

import gymnasium as gym
import numpy as np
import pytest

import labcoat.envs  # noqa: F401  (registers the labcoat envs)
from labcoat.agents.batched import batched_control
from labcoat.agents.planning import TabularModel
from labcoat.agents.rules import epsilon_greedy_arms, epsilon_greedy_by_noise, exploration_caps
from labcoat.agents.tabular import ExpectedSarsa, QLearning, Sarsa

AGENTS = {"sarsa": Sarsa, "q_learning": QLearning, "expected_sarsa": ExpectedSarsa}
CLIFF = dict(gamma=1.0, learning_rate=0.5, epsilon=0.1)  # S&B Example 6.6
N_EPISODES = 10


def _z(a: np.ndarray, b: np.ndarray) -> float:
    """|mean a - mean b| in units of the standard error of the difference."""
    se = np.hypot(a.std(ddof=1) / np.sqrt(len(a)), b.std(ddof=1) / np.sqrt(len(b)))
    return float(abs(a.mean() - b.mean()) / se)


@pytest.fixture(scope="module")
def cliff():
    env = gym.make("CliffWalking-v1")
    return env, TabularModel.from_env(env)


def _batched(model, method, n_runs, seed, **options):
    kwargs = {**CLIFF, **options}
    return batched_control(model, method, n_runs=n_runs, n_episodes=N_EPISODES, seed=seed, **kwargs)


@pytest.mark.parametrize("method", list(AGENTS))
def test_batched_runs_agree_with_the_online_agents_within_their_standard_errors(cliff, method):
    """Steps and returns over the first 10 episodes on the cliff (about 1300 steps, -3000):
    400 batched runs against 60 online agents (each its own seed). Both depend on the
    exploration, the tie-breaking of the (initially all-zero) q and every update."""
    env, model = cliff
    batched = _batched(model, method, 400, seed=0)
    online = [AGENTS[method](env, seed=s, **CLIFF).learn(n_episodes=N_EPISODES) for s in range(60)]
    steps_online = np.array([sum(agent.episode_lengths) for agent in online], dtype=float)
    wins_online = np.array([sum(agent.episode_returns) for agent in online])
    assert _z(batched.episode_lengths.sum(axis=1).astype(float), steps_online) < 4
    assert _z(batched.episode_returns.sum(axis=1), wins_online) < 4


@pytest.mark.parametrize("method", list(AGENTS))
def test_the_comparison_detects_a_changed_exploration_rate(cliff, method):
    """The same comparison between epsilon 0.1 and 0.15 fails (measured z: 6-18): it can fail."""
    _, model = cliff
    a = _batched(model, method, 400, seed=0).episode_returns.sum(axis=1)
    b = _batched(model, method, 400, seed=1, epsilon=0.15).episode_returns.sum(axis=1)
    assert _z(a, b) > 4


@pytest.mark.parametrize("method", list(AGENTS))
def test_same_seed_same_stream_and_another_seed_another(cliff, method):
    _, model = cliff
    one, two, three = (_batched(model, method, 5, seed=s) for s in (7, 7, 8))
    for field in ("q", "episode_returns", "episode_lengths"):
        np.testing.assert_array_equal(getattr(one, field), getattr(two, field))
    assert not np.array_equal(one.episode_lengths, three.episode_lengths)


def test_epsilon_greedy_by_noise_has_the_probabilities_of_epsilon_greedy_arms():
    """Both samplers over 200 000 draws of a q with a tie and an unavailable arm: frequencies
    within 4 standard errors of pi(a|s) = epsilon / |A| + (1 - epsilon) [greedy] / #greedy."""
    rng = np.random.default_rng(0)
    q = np.array([1.0, 3.0, -np.inf, 3.0, 0.5])
    n, epsilon = 200_000, 0.3
    pi = epsilon / 4 * (q > -np.inf) + (1 - epsilon) * np.array([0, 0.5, 0, 0.5, 0])
    q_by_arm = np.repeat(q[:, None], n, axis=1)
    coins = rng.random(n)
    caps = exploration_caps(coins, epsilon)
    by_noise = epsilon_greedy_by_noise(q_by_arm, caps, rng.random((5, n)))
    by_arms = epsilon_greedy_arms(q_by_arm, epsilon, rng, masked=True)
    for actions in (by_noise, by_arms):
        freq = np.bincount(actions, minlength=5) / n
        assert freq[2] == 0
        np.testing.assert_array_less(np.abs(freq - pi), 4 * np.sqrt(pi * (1 - pi) / n) + 1e-9)
    lowest = np.array([[-np.finfo(float).max] * 3, [-np.inf] * 3])  # available, unavailable
    edge_caps = exploration_caps([0.0, 0.9, 0.0], 0.5)  # explore, exploit, explore
    chosen = epsilon_greedy_by_noise(lowest, edge_caps, rng.random((2, 3)))
    np.testing.assert_array_equal(chosen, [0, 0, 0])
    unmasked = epsilon_greedy_by_noise(q_by_arm[[0, 1, 3, 4]], caps, rng.random((4, n)))
    freq = np.bincount(unmasked, minlength=4) / n
    pi4 = epsilon / 4 + (1 - epsilon) * np.array([0, 0.5, 0.5, 0])
    np.testing.assert_array_less(np.abs(freq - pi4), 4 * np.sqrt(pi4 * (1 - pi4) / n))


@pytest.mark.parametrize("method", ["sarsa", "q_learning", "expected_sarsa"])
@pytest.mark.parametrize("limit", [None, 3])
def test_every_episode_is_recorded_with_its_length_and_return(method, limit):
    """A chain whose every step pays -1 (action 0: one state on, action 1: two; terminal at
    4), so that each episode's return is minus its length by construction. Random actions
    give runs of different lengths, which finish at different times and are then dropped:
    every episode of every run must be recorded, 2 to 4 steps long (2 to 3 with a time
    limit of 3), with return = -length."""
    T = np.zeros((5, 2, 5))
    for s in range(5):
        T[s, 0, min(s + 1, 4)] = T[s, 1, min(s + 2, 4)] = 1.0
    model = TabularModel(T=T, R=-np.ones((5, 2)), terminal=np.arange(5) == 4, valid_actions=True)
    result = batched_control(model, method, n_runs=9, n_episodes=6, gamma=1.0, epsilon=0.5,
                             start_state=0, max_episode_steps=limit, seed=1)  # fmt: skip
    lengths = result.episode_lengths
    np.testing.assert_array_equal(result.episode_returns, -lengths)
    assert lengths.min() == 2 and lengths.max() == (3 if limit else 4)
    assert len(set(lengths.sum(axis=1).tolist())) > 1  # the runs finish at different steps
