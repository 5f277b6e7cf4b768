"""Model-free tabular agents against exact solutions, hand-computed updates and S&B Example 6.6."""

import gymnasium as gym
import numpy as np
import pytest

import labcoat.envs  # noqa: F401  (registers the labcoat envs)
from labcoat.agents import LinearSchedule
from labcoat.agents.bandits import EpsilonGreedy
from labcoat.agents.batched import BatchStep, batched_q_learning, batched_sarsa, run_batched
from labcoat.agents.planning import TabularModel, policy_evaluation, policy_iteration
from labcoat.agents.rules import (
    discounted_returns,
    epsilon_greedy_probabilities,
    expected_sarsa_target,
    q_learning_target,
    sarsa_target,
    td0_target,
    td0_update,
    td_update,
)
from labcoat.agents.tabular import TD0, ExpectedSarsa, MonteCarlo, QLearning, Sarsa

# ------------------------------------------------------------------ pure update functions


def test_update_functions_on_hand_computed_arrays():
    q_t = np.array([[1.0, 3.0, 2.0], [0.5, -np.inf, 0.0]])
    r_t = np.array([1.0, -1.0])
    discount_t = np.array([0.9, 0.0])  # second transition terminates
    np.testing.assert_allclose(q_learning_target(q_t, r_t, discount_t), [1 + 0.9 * 3, -1])
    np.testing.assert_allclose(sarsa_target(q_t, np.array([2, 0]), r_t, discount_t), [2.8, -1])
    probs = epsilon_greedy_probabilities(q_t, 0.3)
    np.testing.assert_allclose(probs, [[0.1, 0.8, 0.1], [0.85, 0.0, 0.15]])
    expected = 1 + 0.9 * (0.1 * 1 + 0.8 * 3 + 0.1 * 2)
    np.testing.assert_allclose(expected_sarsa_target(q_t, probs, r_t, discount_t), [expected, -1])
    np.testing.assert_allclose(td0_target(np.array([2.0]), 1.0, 0.5), [2.0])
    np.testing.assert_allclose(td0_update(1.0, 1.0, 0.5, 2.0, 0.25), 1.0 + 0.25 * (2.0 - 1.0))
    np.testing.assert_allclose(
        td_update(np.array([0.0, 4.0]), np.array([1.0, 0.0]), 0.5), [0.5, 2.0]
    )
    np.testing.assert_allclose(discounted_returns([1, 0, 2], 0.5, bootstrap=4), [2, 2, 4])


@pytest.mark.parametrize("cls", [QLearning, Sarsa, ExpectedSarsa])
def test_agent_steps_apply_the_pure_update_functions(cls):
    """300 single steps on the deterministic lake, each replayed through the pure functions."""
    env = gym.make("FrozenLake-v1", is_slippery=False)
    model = TabularModel.from_env(env)
    gamma, alpha, epsilon = 0.9, 0.5, 0.3
    agent = cls(env, gamma=gamma, learning_rate=alpha, epsilon=epsilon, initial_q=0.5, seed=7)
    for _ in range(300):
        if agent._obs is None:
            agent._reset()
        s, a, before = int(agent._obs), agent._action, agent.q
        agent.learn(total_timesteps=1)
        s2 = int(np.argmax(model.T[s, a]))
        r, discount = model.R[s, a], gamma * (1.0 - model.terminal[s2])
        if agent._obs is None and not model.terminal[s2]:
            continue  # a time-limit truncation: the bootstrap action is not observable
        if cls is QLearning:
            target = q_learning_target(before[s2], r, discount)
        elif cls is Sarsa:
            a2 = agent._action if agent._obs is not None else 0
            target = sarsa_target(before[s2], np.array(a2), r, discount)
        else:
            probs = epsilon_greedy_probabilities(before[s2], epsilon)
            target = expected_sarsa_target(before[s2], probs, r, discount)
        expected = before.copy()
        expected[s, a] = td_update(before[s, a], target, alpha)
        np.testing.assert_allclose(agent.q, expected, rtol=0, atol=1e-12)
    assert agent.num_timesteps == 300 and len(agent.episode_returns) > 5


# ------------------------------------------------------------------ convergence to planning


@pytest.fixture(scope="module")
def plant():
    env = gym.make("labcoat/PlantWatering-v0")
    return env, TabularModel.from_env(env)


def _max_error(q, reference, valid):
    return np.abs(np.where(valid, q, 0.0) - np.where(valid, reference, 0.0)).max()


@pytest.mark.parametrize("cls", [QLearning, Sarsa, ExpectedSarsa])
def test_td_control_converges_on_the_plant_mdp(plant, cls):
    """Q-learning -> q* (eq. 7.15); Sarsa and expected Sarsa at constant epsilon -> the q of
    the best epsilon-soft policy (their fixed point, from epsilon-soft policy iteration).

    Tolerance: step sizes alpha_n = n^-0.7 leave a stochastic-approximation error of order
    sigma n^-0.35 with sigma ~ 3 (reward spread / (1 - gamma) scale) and n ~ 2e4 updates per
    pair, i.e. about 0.1; 0.2 is 3 % of max |q| = 6.9. The error must also shrink with time.
    """
    env, model = plant
    gamma, epsilon = 0.9, 0.3
    reference = policy_iteration(model, gamma, epsilon=0.0 if cls is QLearning else epsilon)
    agent = cls(env, gamma=gamma, learning_rate="1/n^0.7", epsilon=epsilon, seed=1)
    early = _max_error(agent.learn(total_timesteps=5_000).q, reference.q, model.valid_actions)
    late = _max_error(agent.learn(total_timesteps=95_000).q, reference.q, model.valid_actions)
    assert late < 0.2 and late < early
    assert np.argmax(agent.q, axis=1).tolist() == reference.policy.tolist()
    assert agent.q[0, 2] == -np.inf and agent.visit_counts[0, 2] == 0  # no text in high


def test_batched_q_learning_converges_on_the_plant_mdp(plant):
    """32 runs of 5000 steps with sample-average steps (gamma = 0.5): a single run is off by
    about 0.15 (std 0.08); the mean over runs must be within 0.08 (5 % of max |q*| = 1.7)."""
    _, model = plant
    reference = policy_iteration(model, 0.5)
    result = batched_q_learning(
        model, n_runs=32, n_episodes=10, gamma=0.5, learning_rate="1/n", epsilon=0.3,
        start_state=0, max_episode_steps=500, seed=0,
    )  # fmt: skip
    assert result.q.shape == (32, 2, 3) and (result.episode_lengths == 500).all()
    assert (result.q[:, 0, 2] == -np.inf).all()
    assert _max_error(result.q.mean(axis=0), reference.q, model.valid_actions) < 0.08


@pytest.fixture(scope="module")
def walk():
    env = gym.make("labcoat/RandomWalk-v0", size=5, max_jump=1)
    model = TabularModel.from_env(env)
    v = policy_evaluation(model, np.zeros(model.n_states, dtype=int), 1.0)
    return env, v


def test_monte_carlo_first_visit_converges_within_its_standard_error(walk):
    """Returns are +-1, so v(s) is an average of n_s values of variance <= 1: 4 sigma."""
    env, v = walk
    agent = MonteCarlo(env, lambda observation: 0, gamma=1.0, seed=0).learn(n_episodes=2_000)
    n = agent.visit_counts[1:-1]
    assert (np.abs(agent.v - v)[1:-1] <= 4 / np.sqrt(n)).all()
    np.testing.assert_allclose(v[1:-1], [-2 / 3, -1 / 3, 0, 1 / 3, 2 / 3], atol=1e-12)


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [(TD0, {"learning_rate": "1/n^0.7"}), (TD0, {"learning_rate": 0.02}),
     (MonteCarlo, {"first_visit": False})],
)  # fmt: skip
def test_td0_and_every_visit_mc_converge_to_the_exact_values(walk, cls, kwargs):
    """Tolerance 0.1 = 10 % of the value range; measured errors are 0.03-0.06 at 3000 episodes."""
    env, v = walk
    agent = cls(env, lambda observation: 0, gamma=1.0, seed=0, **kwargs).learn(n_episodes=3_000)
    assert np.abs(agent.v - v).max() < 0.1
    assert agent.v[0] == agent.v[-1] == 0.0  # terminal states are never updated


def test_monte_carlo_returns_follow_eq_7_3():
    """gamma < 1 on the deterministic lake: first-visit MC on one episode = G_0 = gamma^(T-1)."""
    env = gym.make("FrozenLake-v1", is_slippery=False)
    path = [2, 2, 1, 1, 1, 2]  # right, right, down, down, down, right: reaches the goal
    states = {0: 2, 1: 2, 2: 1, 6: 1, 10: 1, 14: 2}
    agent = MonteCarlo(env, lambda s: states[int(s)], gamma=0.5, seed=0).learn(n_episodes=1)
    assert agent.episode_returns == [1.0] and agent.episode_lengths == [len(path)]
    expected = discounted_returns([0, 0, 0, 0, 0, 1], 0.5)
    np.testing.assert_allclose(agent.v[[0, 1, 2, 6, 10, 14]], expected)


# ------------------------------------------------------------------ Sutton & Barto Example 6.6


def _greedy_path_length(q, limit=100):
    state, steps = 36, 0
    moves = [(-1, 0), (0, 1), (1, 0), (0, -1)]
    while state != 47 and steps < limit:
        row, col = divmod(state, 12)
        dr, dc = moves[int(np.argmax(q[state]))]
        row, col = min(max(row + dr, 0), 3), min(max(col + dc, 0), 11)
        state = 36 if (row == 3 and 0 < col < 11) else row * 12 + col
        steps += limit if state == 36 else 1
    return steps


def test_cliff_walking_sarsa_is_safer_and_q_learning_shorter():
    """Example 6.6 (epsilon = 0.1, alpha = 0.5): Sarsa's online return is higher, Q-learning's
    greedy path is the optimal 13 steps along the edge, Sarsa's is longer (the safe path)."""
    model = TabularModel.from_env(gym.make("CliffWalking-v1"))
    options = dict(n_runs=20, n_episodes=300, gamma=1.0, learning_rate=0.5, epsilon=0.1, seed=0)
    sarsa, q_learning = batched_sarsa(model, **options), batched_q_learning(model, **options)
    online_sarsa = sarsa.episode_returns[:, 100:].mean()
    online_q = q_learning.episode_returns[:, 100:].mean()
    assert online_sarsa > online_q + 10  # S&B Fig. 6.4: about -25 against -50
    assert _greedy_path_length(q_learning.q.mean(axis=0)) == 13
    assert 13 < _greedy_path_length(sarsa.q.mean(axis=0)) < 30
    # the single-env agents reproduce the ordering of the online returns
    env = gym.make("CliffWalking-v1")
    single = [
        np.mean(cls(env, gamma=1.0, learning_rate=0.5, epsilon=0.1, seed=2)
                .learn(n_episodes=300).episode_returns[100:])
        for cls in (Sarsa, QLearning)
    ]  # fmt: skip
    assert single[0] > single[1]


# ------------------------------------------------------------------ reliability


def test_same_seed_same_numbers_and_different_seed_different_numbers():
    env = gym.make("FrozenLake-v1")

    def run(seed):
        agent = QLearning(env, gamma=0.95, learning_rate=0.1, epsilon=0.2, seed=seed)
        return agent.learn(total_timesteps=3_000)

    a, b, c = run(3), run(3), run(4)
    np.testing.assert_array_equal(a.q, b.q)
    assert a.episode_returns == b.episode_returns
    assert not np.array_equal(a.q, c.q)
    # chunked learning consumes the same random numbers as one call
    chunked = QLearning(env, gamma=0.95, learning_rate=0.1, epsilon=0.2, seed=3)
    for _ in range(3):
        chunked.learn(total_timesteps=1_000)
    np.testing.assert_array_equal(chunked.q, a.q)
    model = TabularModel.from_env(env)
    one = batched_sarsa(model, n_runs=3, n_episodes=20, gamma=0.9, seed=5)
    two = batched_sarsa(model, n_runs=3, n_episodes=20, gamma=0.9, seed=5)
    np.testing.assert_array_equal(one.q, two.q)


@pytest.mark.parametrize("cls", [QLearning, Sarsa, ExpectedSarsa])
def test_save_and_load_round_trip(tmp_path, cls):
    agent = cls(
        "FrozenLake-v1", gamma=0.9, learning_rate="1/n",
        epsilon=LinearSchedule(1.0, 0.1, 500), seed=2,
    ).learn(total_timesteps=800)  # fmt: skip
    path = agent.save(tmp_path / "agent")
    assert path.suffix == ".npz"
    loaded = cls.load(path)
    np.testing.assert_array_equal(loaded.q, agent.q)
    np.testing.assert_array_equal(loaded.visit_counts, agent.visit_counts)
    assert loaded.episode_returns == agent.episode_returns
    assert loaded.num_timesteps == 800 and loaded.epsilon(250) == pytest.approx(0.55)
    assert loaded.learning_rate == "1/n" and loaded.gamma == 0.9
    with np.load(path, allow_pickle=False) as data:  # no pickled objects inside
        assert set(data.files) == {"q", "visit_counts", "meta"}
    loaded.learn(total_timesteps=10)
    assert loaded.num_timesteps == 810


def test_prediction_agent_load_needs_the_policy(tmp_path):
    env = gym.make("labcoat/RandomWalk-v0", size=5, max_jump=1)
    agent = TD0(env, lambda s: 0, gamma=1.0, seed=0).learn(n_episodes=20)
    path = agent.save(tmp_path / "td0.npz")
    with pytest.raises(TypeError, match="policy="):
        TD0.load(path)
    loaded = TD0.load(path, policy=lambda s: 0)
    np.testing.assert_array_equal(loaded.v, agent.v)


def test_callback_stops_training_and_progress_bar_runs():
    seen = []

    def callback(agent):
        seen.append(len(agent.episode_returns))
        return len(agent.episode_returns) < 3

    agent = Sarsa("CliffWalking-v1", gamma=1.0, learning_rate=0.5, epsilon=0.1, seed=0)
    agent.learn(n_episodes=50, callback=callback, progress_bar=True)
    assert seen == [1, 2, 3] and len(agent.episode_returns) == 3


def test_linear_epsilon_schedule_is_followed():
    schedule = LinearSchedule(1.0, 0.0, 100)
    assert schedule(0) == 1.0 and schedule(50) == 0.5 and schedule(1_000) == 0.0
    agent = QLearning("FrozenLake-v1", gamma=0.9, epsilon=schedule, seed=0)
    agent.learn(total_timesteps=150)
    assert agent._current_epsilon() == 0.0


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="Discrete observation space"):
        QLearning("CartPole-v1", gamma=0.9)
    with pytest.raises(ValueError, match="learning_rate"):
        QLearning("FrozenLake-v1", gamma=0.9, learning_rate=1.5)
    with pytest.raises(ValueError, match="learning_rate"):
        Sarsa("FrozenLake-v1", gamma=0.9, learning_rate="1/n^0.3")
    with pytest.raises(ValueError, match="epsilon"):
        Sarsa("FrozenLake-v1", gamma=0.9, epsilon=-0.1)
    with pytest.raises(ValueError, match="gamma"):
        ExpectedSarsa("FrozenLake-v1", gamma=1.1)
    with pytest.raises(ValueError, match="total_timesteps"):
        QLearning("FrozenLake-v1", gamma=0.9).learn(total_timesteps=0)
    with pytest.raises(ValueError, match="exactly one"):
        QLearning("FrozenLake-v1", gamma=0.9).learn(total_timesteps=5, n_episodes=5)
    with pytest.raises(ValueError, match="start_state"):
        batched_sarsa(
            TabularModel.from_env(gym.make("labcoat/PlantWatering-v0")),
            n_runs=2, n_episodes=2, gamma=0.9,
        )  # fmt: skip


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_batched_divergence_names_the_step():
    plant = TabularModel.from_env(gym.make("labcoat/PlantWatering-v0"))
    huge = TabularModel(T=plant.T, R=plant.R * 1e308, terminal=plant.terminal,
                        valid_actions=plant.valid_actions)  # fmt: skip
    with pytest.raises(FloatingPointError, match=r"non-finite at time step \d+ "):
        batched_q_learning(huge, n_runs=3, n_episodes=1, gamma=1.0, learning_rate=1.0,
                           start_state=0, max_episode_steps=100, seed=0)  # fmt: skip


def test_divergence_names_the_step():
    env = gym.wrappers.TransformReward(gym.make("CliffWalking-v1"), lambda r: r * 1e307)
    agent = QLearning(env, gamma=1.0, learning_rate=1.0, epsilon=0.0, seed=0)
    with pytest.raises(FloatingPointError, match=r"q\[\d+, \d+\] became non-finite at time step"):
        agent.learn(total_timesteps=10_000)


def test_bad_seeds_and_batched_arguments_are_named():
    plant = TabularModel.from_env(gym.make("labcoat/PlantWatering-v0"))
    with pytest.raises(ValueError, match="seed"):
        QLearning("FrozenLake-v1", gamma=0.9, seed=-1)
    kwargs = dict(n_runs=2, n_episodes=2, gamma=0.9, start_state=0)
    for bad in ({"seed": -1}, {"max_episode_steps": 0}, {"initial_q": float("nan")}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            batched_q_learning(plant, **kwargs, **bad)


class _Discretized(gym.ObservationWrapper):
    """CartPole's Box observation as a Discrete one: the sign of the pole angle."""

    def __init__(self, env):
        super().__init__(env)
        self.observation_space = gym.spaces.Discrete(2)

    def observation(self, observation):
        return int(observation[2] > 0)


def test_spaces_are_those_of_the_wrapped_env_the_agent_steps():
    agent = QLearning(_Discretized(gym.make("CartPole-v1")), gamma=0.9, seed=0)
    agent.learn(total_timesteps=300)
    assert agent.q.shape == (2, 2) and agent.visit_counts.sum() == 300
    onehot = gym.wrappers.TransformObservation(
        gym.make("FrozenLake-v1"),
        lambda s: np.eye(16, dtype=np.float32)[s],
        gym.spaces.Box(0.0, 1.0, (16,), np.float32),
    )
    with pytest.raises(TypeError, match="Discrete observation space"):
        Sarsa(onehot, gamma=0.9)


def test_time_limit_truncation_bootstraps():
    """With a two-step time limit every visit of the low state (only reachable at the second
    step) ends in a truncation, never a termination: the targets must still bootstrap, so
    Q-learning (online and batched) reaches q* (eq. 7.15) and TD(0) v_pi (eq. 7.7). Zeroing
    the target at truncation would leave r(low, a) instead (0.85 off for text here)."""
    gamma = 0.5
    env = gym.make("labcoat/PlantWatering-v0", max_episode_steps=2)
    model = TabularModel.from_env(env)
    optimal = policy_iteration(model, gamma)
    valid = model.valid_actions
    assert np.abs(optimal.q - model.R)[1].max() > 0.8
    agent = QLearning(env, gamma=gamma, learning_rate="1/n", epsilon=1.0, seed=3)
    agent.learn(total_timesteps=20_000)
    assert set(agent.episode_lengths) == {2}
    assert _max_error(agent.q, optimal.q, valid) < 0.25
    batched = batched_q_learning(
        model, n_runs=32, n_episodes=600, gamma=gamma, learning_rate="1/n", epsilon=1.0,
        start_state=0, max_episode_steps=2, seed=3,
    )  # fmt: skip
    assert np.all(batched.episode_lengths == 2)
    assert _max_error(batched.q.mean(axis=0), optimal.q, valid) < 0.35  # sample bias of 1/n
    policy = np.array([1, 2])  # lamp off in high, text in low
    td = TD0(env, policy, gamma=gamma, learning_rate="1/n", seed=4).learn(total_timesteps=5_000)
    np.testing.assert_allclose(td.v, policy_evaluation(model, policy, gamma), atol=0.05)


def test_run_batched_steps_each_run_until_it_finishes():
    """The one runner of many-run studies: run i lasts i + 1 steps, the others go on."""

    class Countdown:
        def __init__(self):
            self.t, self.stepped = np.zeros(4, dtype=int), []

        def step(self, runs, actions):
            self.t[runs] += 1
            self.stepped.append(runs.tolist())
            ended = self.t[runs] > runs
            return BatchStep(None, np.zeros(runs.size), ended, ended, runs[~ended], {})

    class Echo:
        learned = []

        def act(self, runs):
            return runs * 10

        def learn(self, runs, actions, step):
            self.learned.append((runs * 10 == actions).all())

    env = Countdown()
    assert run_batched(Echo(), env, 4) == 4
    assert env.stepped == [[0, 1, 2, 3], [1, 2, 3], [2, 3], [3]]
    assert Echo.learned == [True] * 4


def test_q_and_v_are_read_only_copies_with_a_checked_setter_for_agents_and_strategies():
    """One semantics: a write into .q raises (never silently lost); assigning replaces it."""
    agent = QLearning("FrozenLake-v1", gamma=0.9, seed=0)
    walk = TD0(gym.make("labcoat/RandomWalk-v0", size=5, max_jump=1), np.zeros(7, int), seed=0)
    strategy = EpsilonGreedy(0.1).reset(n_arms=3, n_runs=2, seed=0)
    for owner, name, shape in ((agent, "q", (16, 4)), (walk, "v", (7,)), (strategy, "q", (2, 3))):
        with pytest.raises(ValueError, match="read-only"):
            getattr(owner, name)[0] = 1.0
        new = np.arange(np.prod(shape), dtype=float).reshape(shape)
        setattr(owner, name, new)
        np.testing.assert_array_equal(getattr(owner, name), new)
        with pytest.raises(ValueError, match="shape"):
            setattr(owner, name, np.zeros((5, 5)))
    agent.learn(total_timesteps=50)  # the agent learns on from the assigned table
    assert agent.q.shape == (16, 4) and agent.visit_counts.sum() == 50
