"""Semi-gradient TD and Sarsa against exact references: the TD fixed point, tabular TD(0),
a replay through the pure update functions, torch.autograd, and planning."""

from __future__ import annotations

from copy import deepcopy

import gymnasium as gym
import numpy as np
import pytest
import torch

import labcoat.envs  # noqa: F401  (registers the environments)
from labcoat.agents.features import Fourier, OneHot, Polynomial, StateAggregation, TileCoding
from labcoat.agents.planning import TabularModel, policy_evaluation, value_iteration
from labcoat.agents.policies import RandomPolicy, evaluate_policy
from labcoat.agents.rules import linear_sarsa_update, linear_td_update, semi_gradient_step, td_error
from labcoat.agents.semi_gradient import (
    LinearPrediction,
    SemiGradientSarsa,
    SemiGradientTD,
    on_policy_distribution,
    td_fixed_point,
    value_error_minimizer,
)
from labcoat.agents.tabular import TD0


class Recorder(gym.Wrapper):
    """Logs every reset and step, to replay the transitions through the pure functions."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.log: list[tuple] = []

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self.log.append(("reset", obs))
        return obs, info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.log.append(("step", int(action), obs, float(reward), terminated, truncated))
        return obs, reward, terminated, truncated, info


def episodes(log):
    """[(s_0, [(a_0, s_1, r_1, terminated, truncated), ...]), ...] from a Recorder log."""
    out = []
    for entry in log:
        if entry[0] == "reset":
            out.append((entry[1], []))
        else:
            out[-1][1].append(entry[1:])
    return out


# ---------------------------------------------------------------------- pure functions


def test_td_error_and_linear_updates_by_hand():
    assert td_error(0.5, 1.0, 0.9, 2.0) == pytest.approx(1.0 + 1.8 - 0.5)
    w = np.array([1.0, -1.0, 0.5])
    x_tm1, x_t = np.array([1.0, 0.0, 2.0]), np.array([0.0, 1.0, 1.0])
    # v(S) = 1 + 1 = 2, v(S') = -1 + 0.5 = -0.5; delta = 1 + 0.5 (-0.5) - 2 = -1.25
    np.testing.assert_allclose(linear_td_update(w, x_tm1, 1.0, 0.5, x_t, 0.1), w - 0.125 * x_tm1)
    # termination: discount 0 drops v(S')
    np.testing.assert_allclose(linear_td_update(w, x_tm1, 1.0, 0.0, x_t, 0.1), w - 0.1 * x_tm1)
    W = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    # q(S, 1) = 1 + 2 = 3, q(S', 0) = 1: delta = 0 + 1 * 1 - 3 = -2; only row 1 moves
    new = linear_sarsa_update(W, x_tm1, 1, 0.0, 1.0, x_t, 0, 0.5)
    np.testing.assert_allclose(new, [[0.0, 1.0, 0.0], [0.0, 0.0, -1.0]])
    np.testing.assert_allclose(W, [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])  # pure: input unchanged


def test_semi_gradient_step_is_eq_7_25_by_autograd():
    """Non-linear v̂: the step adds alpha delta dv/dtheta (checked by finite differences)."""
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    net = net.double()
    init = [p.detach().clone() for p in net.parameters()]
    x = torch.tensor([[0.3, -0.2, 0.7]], dtype=torch.float64)
    value = net(x)[0, 0]
    semi_gradient_step(list(net.parameters()), value, delta=2.0, alpha=0.1)
    # reference gradient by central differences on the first layer's weight
    eps, w = 1e-6, init[0]
    grad = torch.zeros_like(w)
    for idx in np.ndindex(*w.shape):
        for sign in (1, -1):
            params = [p.clone() for p in init]
            params[0][idx] += sign * eps
            h = torch.tanh(x @ params[0].T + params[1])
            grad[idx] += sign * float((h @ params[2].T + params[3])[0, 0]) / (2 * eps)
    torch.testing.assert_close(next(net.parameters()).detach(), w + 0.2 * grad, atol=1e-8, rtol=0)


# ---------------------------------------------------------------------- prediction


def walk_fixed_points(size, max_jump, n_groups, gamma=1.0):
    """TD fixed point w_TD = A^-1 b (S&B eq. 9.12) and the VE minimizer, solved exactly."""
    env = gym.make("labcoat/RandomWalk-v0", size=size, max_jump=max_jump)
    model = TabularModel.from_env(env)
    live = np.arange(1, size + 1)
    P = model.T[live][:, 0][:, live]  # transitions among non-terminal states
    r = model.R[live, 0]  # expected reward r_pi(s)
    h = np.zeros(size)
    h[env.unwrapped.start_state - 1] = 1.0
    eta = np.linalg.solve(np.eye(size) - P.T, h)  # expected visits (S&B eq. 9.2)
    D = np.diag(eta / eta.sum())  # on-policy distribution mu
    features = StateAggregation(env.observation_space, n_groups, first=1, last=size)
    Phi = features(live)
    A = Phi.T @ D @ (Phi - gamma * P @ Phi)
    b = Phi.T @ D @ r
    w_td = np.linalg.solve(A, b)
    v_pi = policy_evaluation(model, np.zeros(size + 2, dtype=np.int64), gamma)[live]
    w_ve = np.linalg.solve(Phi.T @ D @ Phi, Phi.T @ D @ v_pi)  # gradient MC's limit
    return env, features, w_td, w_ve


def test_exact_fixed_points_against_the_hand_solve_and_known_cases():
    env, features, w_td, w_ve = walk_fixed_points(size=50, max_jump=5, n_groups=5)
    model = TabularModel.from_env(env)
    h = np.eye(52)[env.unwrapped.start_state]
    policy = np.zeros(52, dtype=np.int64)
    np.testing.assert_allclose(
        td_fixed_point(LinearPrediction(model, features, policy, 1.0, h)), w_td, atol=1e-12
    )
    np.testing.assert_allclose(
        value_error_minimizer(LinearPrediction(model, features, policy, 1.0, h)), w_ve, atol=1e-12
    )
    mu = on_policy_distribution(model, policy, h)
    assert mu[0] == mu[51] == 0 and mu.sum() == pytest.approx(1.0)
    # one-hot features: both solutions are v_pi itself (tabular TD is exact)
    walk = gym.make("labcoat/RandomWalk-v0", size=7, max_jump=2)
    small = TabularModel.from_env(walk)
    h, policy, one_hot = np.eye(9)[4], np.zeros(9, dtype=np.int64), OneHot(walk.observation_space)
    v = policy_evaluation(small, policy, 0.9)
    w = td_fixed_point(LinearPrediction(small, one_hot, policy, 0.9, h))
    np.testing.assert_allclose(w[1:8], v[1:8], atol=1e-12)
    np.testing.assert_allclose(
        value_error_minimizer(LinearPrediction(small, one_hot, policy, 0.9, h))[1:8], v[1:8]
    )
    # S&B eq. 9.14 for gamma < 1: VE(w_TD) <= VE(w_VE) / (1 - gamma)
    agg = StateAggregation(walk.observation_space, 3, first=1, last=7)
    mu = on_policy_distribution(small, policy, h)
    error = lambda w: np.sum(mu * (v - agg(np.arange(9)) @ w) ** 2)  # noqa: E731
    ve_td = error(td_fixed_point(LinearPrediction(small, agg, policy, 0.9, h)))
    ve_min = error(value_error_minimizer(LinearPrediction(small, agg, policy, 0.9, h)))
    assert ve_min < ve_td <= ve_min / (1 - 0.9)


def test_semi_gradient_td_approaches_the_td_fixed_point_not_the_ve_minimum():
    env, features, w_td, w_ve = walk_fixed_points(size=50, max_jump=5, n_groups=5)
    assert np.max(np.abs(w_td - w_ve)) > 0.3  # S&B Fig 9.1: TD's asymptote differs from MC's
    agent = SemiGradientTD(env, features=features, learning_rate=0.02, seed=0)
    agent.learn(total_timesteps=15_000)
    history = []
    agent.learn(total_timesteps=50_000, callback=lambda a: history.append(a.weights))
    w = np.mean(history, axis=0)  # Polyak average of the iterates
    assert np.max(np.abs(w - w_td)) < 0.06
    assert np.max(np.abs(w - w_ve)) > 0.25


@pytest.mark.slow
def test_semi_gradient_td_on_the_1000_state_walk():
    env, features, w_td, w_ve = walk_fixed_points(size=1000, max_jump=100, n_groups=10)
    agent = SemiGradientTD(env, features=features, learning_rate=0.005, seed=1)
    agent.learn(total_timesteps=200_000)
    history = []
    agent.learn(total_timesteps=300_000, callback=lambda a: history.append(a.weights))
    assert np.max(np.abs(np.mean(history, axis=0) - w_td)) < 0.02
    assert np.max(np.abs(w_td - w_ve)) > 0.15


def test_one_hot_semi_gradient_td_is_tabular_td0():
    """Same seed, same transitions: one-hot features make eq. 7.25 exactly eq. 7.21."""

    def make():
        return gym.make("labcoat/RandomWalk-v0", size=19, max_jump=1, max_episode_steps=30)

    tabular = TD0(make(), policy=lambda obs: 0, gamma=0.9, learning_rate=0.1, seed=3)
    tabular.learn(total_timesteps=3000)
    agent = SemiGradientTD(make(), policy=lambda obs: 0, gamma=0.9, learning_rate=0.1, seed=3)
    agent.learn(total_timesteps=3000)
    assert agent.features is None  # one-hot by default for Discrete observations
    np.testing.assert_allclose(agent.weights, tabular.v, rtol=1e-12, atol=1e-15)
    assert agent.episode_returns == tabular.episode_returns
    assert max(agent.episode_lengths) == 30  # some episodes were truncated (and bootstrapped)


@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_semi_gradient_td_equals_a_replay_of_the_pure_update(kind):
    """Dense (Fourier) and sparse (tile coding) paths replayed through linear_td_update.

    The time limit truncates some episodes: their last update must bootstrap from v̂(S').
    """
    env = Recorder(gym.make("labcoat/RandomWalk-v0", size=10, max_jump=2, max_episode_steps=6))
    space = env.observation_space
    features = Fourier(space, order=3) if kind == "dense" else TileCoding(space, 4, 3)
    agent = SemiGradientTD(env, features=features, gamma=0.95, learning_rate=0.05, seed=0)
    agent.learn(total_timesteps=2000)
    w = np.zeros(features.n_features)
    n_truncated = 0
    for s, steps in episodes(env.log):
        for _, s2, r, terminated, truncated in steps:
            w = linear_td_update(w, features(s), r, 0.95 * (1 - terminated), features(s2), 0.05)
            n_truncated += truncated and not terminated
            s = s2
    assert n_truncated > 10
    np.testing.assert_allclose(agent.weights, w, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------- control


def frozen_lake():
    return Recorder(gym.make("FrozenLake-v1", map_name="4x4", is_slippery=True))


@pytest.mark.parametrize("kind", ["sparse", "dense"])
def test_semi_gradient_sarsa_equals_a_replay_of_the_pure_update(kind):
    env = frozen_lake()
    features = (
        OneHot(env.observation_space) if kind == "sparse" else Fourier(env.observation_space, 3)
    )
    agent = SemiGradientSarsa(
        env, features=features, gamma=0.9, learning_rate=0.2, epsilon=0.3, seed=1
    )
    agent.learn(n_episodes=60)
    assert max(agent.episode_lengths) < 100  # every episode terminated: A_{t+1} is in the log
    w = np.zeros((4, features.n_features))
    for s, steps in episodes(env.log):
        for t, (a, s2, r, terminated, _) in enumerate(steps):
            a2 = steps[t + 1][0] if t + 1 < len(steps) else 0
            w = linear_sarsa_update(
                w, features(s), a, r, 0.9 * (1 - terminated), features(s2), a2, 0.2
            )
            s = s2
    np.testing.assert_allclose(agent.weights, w, rtol=1e-10, atol=1e-12)


def test_network_semi_gradient_td_equals_a_replay_of_semi_gradient_step():
    """A nonlinear network: every update is rules.semi_gradient_step with rules.td_error.

    A copy of the initial network replays the logged transitions by hand (eq. 7.25: the value
    of S_t differentiated, the target from the current parameters held fixed); the truncated
    episodes bootstrap.
    """
    env = Recorder(gym.make("labcoat/RandomWalk-v0", size=6, max_jump=2, max_episode_steps=5))
    net = torch.nn.Sequential(
        torch.nn.Linear(8, 6, dtype=torch.float64), torch.nn.Tanh(),
        torch.nn.Linear(6, 1, dtype=torch.float64),
    )  # fmt: skip
    generator = torch.Generator().manual_seed(0)
    for p in net.parameters():
        torch.nn.init.normal_(p, std=0.5, generator=generator)
    copy = deepcopy(net)
    agent = SemiGradientTD(env, network=net, gamma=0.9, learning_rate=0.05, seed=2)
    agent.learn(total_timesteps=300)
    one_hot = OneHot(env.observation_space)
    parameters = list(copy.parameters())

    def value(s):
        return copy(torch.as_tensor(one_hot(s)[None]))[0, 0]

    n_truncated = 0
    for s, steps in episodes(env.log):
        for _, s2, r, terminated, truncated in steps:
            with torch.no_grad():
                v2 = 0.0 if terminated else float(value(s2))
            v = value(s)
            delta = td_error(float(v.detach()), r, 0.0 if terminated else 0.9, v2)
            semi_gradient_step(parameters, v, delta, 0.05)
            n_truncated += truncated and not terminated
            s = s2
    assert n_truncated > 5
    for ours, by_hand in zip(net.parameters(), parameters, strict=True):
        np.testing.assert_allclose(ours.detach().numpy(), by_hand.detach().numpy(), atol=1e-12)


def test_a_linear_torch_network_gives_the_linear_agent():
    """nn.Linear on one-hot inputs, updated by autograd, equals the hand-coded linear agent."""
    net = torch.nn.Linear(16, 4, bias=False, dtype=torch.float64)
    torch.nn.init.zeros_(net.weight)
    kwargs = dict(gamma=0.9, learning_rate=0.2, epsilon=0.3, seed=5)
    agent = SemiGradientSarsa(gym.make("FrozenLake-v1"), network=net, **kwargs).learn(n_episodes=50)
    linear = SemiGradientSarsa(gym.make("FrozenLake-v1"), **kwargs).learn(n_episodes=50)
    np.testing.assert_allclose(net.weight.detach().numpy(), linear.weights, atol=1e-12)
    assert agent.episode_returns == linear.episode_returns


def test_tile_coded_sarsa_learns_mountain_car():
    """S&B Example 10.1 / Fig 10.1: 8 tilings, alpha = 0.5 / 8, greedy with q = 0 (optimistic)."""
    env = gym.make("MountainCar-v0", max_episode_steps=2000)
    random, _ = evaluate_policy(RandomPolicy(env, seed=0), env, n_episodes=3, seed=11)
    assert random == -2000  # a random policy never reaches the flag
    features = TileCoding(env.observation_space, n_tilings=8, tiles_per_dim=8)
    agent = SemiGradientSarsa(
        env, features=features, gamma=1.0, learning_rate=0.5 / 8, epsilon=0.0, seed=0
    )
    agent.learn(n_episodes=20)
    assert np.mean(agent.episode_returns[-5:]) > -300  # S&B: ~ 200-300 steps after 20 episodes
    mean, _ = evaluate_policy(agent, env, n_episodes=3, seed=11)
    assert mean > -300


def heater_agent(seed=0, n_episodes=80):
    """Tiles on (target, target - measured); one tile spans the redundant measured temperature."""
    env = gym.make("labcoat/HeaterControl-v0")
    features = TileCoding(
        env.observation_space, 4, (1, 4, 8), low=[10, 30, -20], high=[110, 80, 20]
    )
    agent = SemiGradientSarsa(
        env, features=features, gamma=0.8, learning_rate=0.3 / 4, epsilon=0.1, seed=seed
    )
    return agent.learn(n_episodes=n_episodes)


def test_tile_coded_sarsa_learns_heater_control():
    """Sarsa learns (and is evaluated as) its epsilon-greedy policy: about -100 against -350."""
    agent = heater_agent()
    env = gym.make("labcoat/HeaterControl-v0")
    learned, _ = evaluate_policy(agent, env, n_episodes=20, seed=123, deterministic=False)
    random, _ = evaluate_policy(RandomPolicy(env, seed=0), env, n_episodes=20, seed=123)
    assert learned > random + 150


def test_mlp_q_network_learns_the_plant_watering_policy():
    """A torch MLP q̂ (one-hot input) finds the optimal policy of value iteration."""
    from labcoat.models.mlp import MLP

    env = gym.make("labcoat/PlantWatering-v0")
    optimal = value_iteration(TabularModel.from_env(env), 0.9).policy
    net = MLP((2, 16, 3), activation="tanh", seed=0)
    agent = SemiGradientSarsa(
        env, network=net, gamma=0.9, learning_rate=0.02, epsilon=0.1, seed=0
    ).learn(total_timesteps=2000)
    greedy = agent.predict(np.array([0, 1]))[0]
    np.testing.assert_array_equal(greedy, optimal)
    learned, _ = evaluate_policy(agent, env, n_episodes=3, seed=1)
    random, _ = evaluate_policy(RandomPolicy(env, seed=0), env, n_episodes=3, seed=1)
    assert learned > random


# ---------------------------------------------------------------------- surface


def reaction_agent(seed):
    env = gym.make("labcoat/ReactionOptimization-v0", continuous=False)
    features = TileCoding(env.observation_space, 4, 3)
    agent = SemiGradientSarsa(env, features=features, gamma=0.9, learning_rate=0.05, seed=seed)
    return agent.learn(n_episodes=4)


@pytest.mark.parametrize("make", [lambda seed: heater_agent(seed, n_episodes=5), reaction_agent])
def test_same_seed_same_numbers_and_different_seeds_differ(make):
    runs = [make(seed) for seed in (4, 4, 5)]
    np.testing.assert_array_equal(runs[0].weights, runs[1].weights)
    assert runs[0].episode_returns == runs[1].episode_returns
    assert runs[0].episode_returns != runs[2].episode_returns


def test_save_and_load_linear_and_network_agents(tmp_path):
    agent = heater_agent(n_episodes=3)
    path = agent.save(tmp_path / "sarsa")
    assert path.suffix == ".npz"
    with pytest.raises(TypeError, match="features="):
        SemiGradientSarsa.load(path)
    loaded = SemiGradientSarsa.load(path, features=agent.features)
    np.testing.assert_array_equal(loaded.weights, agent.weights)
    assert loaded.epsilon == agent.epsilon and loaded.episode_returns == agent.episode_returns
    obs = np.array([[40.0, 60.0, 20.0], [70.0, 60.0, -10.0]], dtype=np.float32)
    np.testing.assert_array_equal(loaded.predict(obs)[0], agent.predict(obs)[0])

    env = gym.make("labcoat/PlantWatering-v0")
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    agent = SemiGradientSarsa(env, network=net, learning_rate=0.05, seed=0).learn(
        total_timesteps=200
    )
    path = agent.save(tmp_path / "net.npz")
    fresh = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    loaded = SemiGradientSarsa.load(path, network=fresh)
    np.testing.assert_array_equal(
        loaded.q_values(np.array([0, 1])), agent.q_values(np.array([0, 1]))
    )


def test_values_and_q_values_match_the_weights():
    env = gym.make("MountainCar-v0")
    features = Polynomial(env.observation_space, 2)
    agent = SemiGradientSarsa(env, features=features, learning_rate=0.01, seed=0)
    agent.learn(total_timesteps=300)
    obs = np.array([[-0.5, 0.01], [0.2, -0.03]])
    np.testing.assert_allclose(agent.q_values(obs), features(obs) @ agent.weights.T)
    np.testing.assert_array_equal(
        agent.predict(obs)[0], np.argmax(features(obs) @ agent.weights.T, 1)
    )
    td = SemiGradientTD(gym.make("labcoat/RandomWalk-v0", size=10, max_jump=2), seed=0)
    td.learn(total_timesteps=200)
    np.testing.assert_allclose(td.values(np.arange(12)), td.weights)
    assert td.values(3).shape == ()


def test_clear_errors():
    reaction = gym.make("labcoat/ReactionOptimization-v0")  # Box actions by default
    with pytest.raises(TypeError, match="Discrete action space"):
        SemiGradientSarsa(reaction, features=TileCoding(reaction.observation_space))
    car = gym.make("MountainCar-v0")
    with pytest.raises(ValueError, match="features="):
        SemiGradientSarsa(car)
    for value in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="learning_rate"):
            SemiGradientSarsa(car, features=TileCoding(car.observation_space), learning_rate=value)
    with pytest.raises(ValueError, match="epsilon"):
        SemiGradientSarsa(car, features=TileCoding(car.observation_space), epsilon=1.5)
    with pytest.raises(ValueError, match="gamma"):
        SemiGradientTD(gym.make("labcoat/RandomWalk-v0"), gamma=1.1)
    with pytest.raises(ValueError, match="3 value"):
        SemiGradientSarsa(car, network=torch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match="torch.nn.Module"):
        SemiGradientSarsa(car, network=lambda x: x)
    diverging = SemiGradientSarsa(
        car,
        features=Polynomial(car.observation_space, 3, low=[-5, -5], high=[5, 5]),
        learning_rate=1e3,
        epsilon=0.5,
        seed=0,
    )
    with pytest.raises(FloatingPointError, match="time step"):
        diverging.learn(total_timesteps=5000)


def test_predict_never_returns_an_unavailable_action():
    """Plant watering: "text" (2) is unavailable in the high state, whatever q̂ says."""
    net = torch.nn.Linear(2, 3)
    with torch.no_grad():
        net.weight.zero_()
        net.bias.copy_(torch.tensor([0.0, 1.0, 10.0]))
    agent = SemiGradientSarsa(gym.make("labcoat/PlantWatering-v0"), network=net, seed=0)
    np.testing.assert_array_equal(agent.predict(np.array([0, 1]))[0], [1, 2])
    assert agent.predict(0)[0] == 1
    samples = {agent.predict(0, deterministic=False)[0] for _ in range(200)}
    assert samples == {0, 1}  # epsilon-greedy over the available actions only


def test_a_linear_torch_value_network_gives_linear_semi_gradient_td():
    env_kwargs = dict(size=10, max_jump=2, max_episode_steps=8)
    features = Fourier(gym.spaces.Discrete(12), order=4)
    net = torch.nn.Linear(features.n_features, 1, bias=False, dtype=torch.float64)
    torch.nn.init.zeros_(net.weight)
    kwargs = dict(gamma=0.9, learning_rate=0.05, seed=2, features=features)
    agent = SemiGradientTD(gym.make("labcoat/RandomWalk-v0", **env_kwargs), network=net, **kwargs)
    linear = SemiGradientTD(gym.make("labcoat/RandomWalk-v0", **env_kwargs), **kwargs)
    agent.learn(total_timesteps=1500)
    linear.learn(total_timesteps=1500)
    np.testing.assert_allclose(net.weight.detach().numpy()[0], linear.weights, atol=1e-12)
    np.testing.assert_allclose(agent.values(np.arange(12)), linear.values(np.arange(12)))


def test_td_default_random_policy_takes_only_available_actions():
    """The uniform random policy of SemiGradientTD is uniform over the available actions."""
    env = Recorder(gym.make("labcoat/PlantWatering-v0"))
    valid = env.unwrapped.valid_actions
    agent = SemiGradientTD(env, seed=0)
    agent.learn(total_timesteps=400)
    taken = []
    for s, steps in episodes(env.log):
        for a, s2, *_ in steps:
            taken.append((int(s), a))
            s = s2
    assert len(taken) == 400 and all(valid[s, a] for s, a in taken)
    counts = np.bincount([a for s, a in taken if s == 0], minlength=3)
    assert counts[2] == 0 and min(counts[:2]) > 0.35 * counts.sum()  # uniform over {0, 1}
    assert {agent.predict(0)[0] for _ in range(100)} == {0, 1}


def test_a_diverging_network_run_names_the_time_step():
    """A float32 network whose step α δ ∇q̂ overflows raises FloatingPointError, not RuntimeError."""
    env = gym.make("labcoat/HeaterControl-v0")
    generator = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 11))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(0.1 * torch.randn(p.shape, generator=generator))
    agent = SemiGradientSarsa(env, network=net, learning_rate=1e4, gamma=0.99, seed=0)
    with pytest.raises(FloatingPointError, match=r"time step \d+"):
        agent.learn(total_timesteps=5000)


def test_a_network_on_a_non_box_observation_space_needs_features():
    """Blackjack's Tuple observations cannot be flattened into a network input by themselves."""
    env = gym.make("Blackjack-v1")
    with pytest.raises(TypeError, match=r"Box observation space.*Tuple.*features="):
        SemiGradientSarsa(env, network=torch.nn.Linear(3, 2))
    with pytest.raises(TypeError, match=r"Box observation space.*Tuple.*features="):
        SemiGradientTD(env, network=torch.nn.Linear(3, 1))


def test_a_network_takes_a_multi_dimensional_box_observation_flattened():
    """A (2, 2) observation is one input of 4 numbers, not a batch of two."""
    env = gym.wrappers.ReshapeObservation(gym.make("CartPole-v1"), (2, 2))
    net = torch.nn.Linear(4, 2, dtype=torch.float64)
    agent = SemiGradientSarsa(env, network=net, learning_rate=0.01, seed=0)
    obs, _ = env.reset(seed=0)
    with torch.no_grad():
        expected = net(torch.as_tensor(obs, dtype=torch.float64).reshape(1, 4))[0].numpy()
    np.testing.assert_allclose(agent.q_values(obs), expected)
    np.testing.assert_allclose(agent.q_values(np.stack([obs, obs])), [expected, expected])
    assert agent.predict(obs)[0] == int(np.argmax(expected))
    agent.learn(total_timesteps=50)
    assert agent.num_timesteps == 50
