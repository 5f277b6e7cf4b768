"""Policy gradients against exact references: autograd, finite differences, the exact grad J.

The small MDP is a 2 x 2 slippery gridworld (goal and pit terminal, start fixed): J(theta) and
grad J follow from P by linear solves (labcoat.agents.policy_gradient), and the agents'
Monte-Carlo estimators must match grad J within 4 standard errors.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import scipy.stats
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from labcoat.agents import TabularModel, policy_evaluation
from labcoat.agents.parametric_policies import LinearGaussianPolicy, NeuralPolicy, SoftmaxPolicy
from labcoat.agents.policy_gradient import (
    ActorCritic,
    Reinforce,
    discounted_visits,
    exact_policy_gradient,
    policy_objective,
)
from labcoat.agents.rules import policy_gradient_theorem
from labcoat.envs.grid_world import GridWorldEnv
from labcoat.models.mlp import MLP

GAMMA = 0.9
finite = st.floats(-5, 5, allow_nan=False)


def _grid() -> GridWorldEnv:
    return GridWorldEnv(size=2, slip=0.2, goal=(1, 1), pits=[(0, 1)], step_reward=-0.1)


def _theta() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(4, 4)) * 0.5


def _within(estimates: np.ndarray, exact: np.ndarray, n_se: float = 4.0) -> None:
    mean = estimates.mean(axis=0)
    se = estimates.std(axis=0, ddof=1) / np.sqrt(len(estimates))
    moving = se > 0
    assert np.all(np.abs(mean - exact)[moving] < n_se * se[moving]), (mean, exact, se)
    assert np.allclose(mean[~moving], exact[~moving], atol=1e-12)


# ---------------------------------------------------------------------- policies


@given(hnp.arrays(float, (3, 4), elements=finite), st.integers(0, 2))
def test_softmax_probabilities_sum_to_one_and_respect_the_mask(theta, state):
    mask = np.array([[1, 1, 1, 1], [1, 0, 1, 0], [0, 0, 0, 1]], bool)
    policy = SoftmaxPolicy(3, 4, valid_actions=mask, theta=theta)
    pi = policy.probabilities(state)
    assert pi.shape == (4,)
    assert np.isclose(pi.sum(), 1.0) and np.all(pi >= 0)
    assert np.all(pi[~mask[state]] == 0)
    assert policy.probabilities().shape == (3, 4)


@given(
    hnp.arrays(float, (2, 3), elements=finite),
    hnp.arrays(float, 2, elements=st.floats(-2, 1)),
    hnp.arrays(float, (5, 3), elements=finite),
    hnp.arrays(float, (5, 2), elements=finite),
)
def test_gaussian_log_density_is_scipy_norm(weights, log_std, x, a):
    policy = LinearGaussianPolicy(3, 2, log_std=0.0, weights=weights)
    policy.parameters = np.concatenate([weights.ravel(), log_std])
    expected = scipy.stats.norm.logpdf(a, x @ weights.T, np.exp(log_std)).sum(axis=1)
    assert np.allclose(policy.log_prob(x, a), expected, rtol=1e-10, atol=1e-10)


def _autograd_gaussian(theta, x, a, w, n_in, m):
    t = torch.tensor(theta, requires_grad=True)
    W, log_std = t[: n_in * m].reshape(m, n_in), t[n_in * m :]
    mean = torch.tensor(x) @ W.T
    dist = torch.distributions.Normal(mean, torch.exp(log_std))
    (torch.tensor(w) * dist.log_prob(torch.tensor(a)).sum(dim=1)).sum().backward()
    return t.grad.numpy()


@given(
    hnp.arrays(float, 8, elements=st.floats(-2, 2)),
    hnp.arrays(float, (4, 3), elements=finite),
    hnp.arrays(float, (4, 2), elements=finite),
    hnp.arrays(float, 4, elements=finite),
)
def test_gaussian_grad_log_prob_is_autograd(theta, x, a, w):
    policy = LinearGaussianPolicy(3, 2)
    policy.parameters = theta
    expected = _autograd_gaussian(theta, x, a, w, 3, 2)
    assert np.allclose(policy.grad_log_prob(x, a, w), expected, rtol=1e-9, atol=1e-9)


@given(
    hnp.arrays(float, (3, 4), elements=finite),
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3)), min_size=1, max_size=6),
)
def test_softmax_grad_log_prob_is_autograd(theta, pairs):
    s, a = (np.array(v) for v in zip(*pairs, strict=True))
    w = np.linspace(-1.0, 2.0, len(s))
    t = torch.tensor(theta, requires_grad=True)
    log_pi = torch.log_softmax(t, dim=1)[torch.tensor(s), torch.tensor(a)]
    (torch.tensor(w) * log_pi).sum().backward()
    policy = SoftmaxPolicy(3, 4, theta=theta)
    assert np.allclose(policy.grad_log_prob(s, a, w), t.grad.numpy().ravel(), atol=1e-10)


@pytest.mark.parametrize("space", [gym.spaces.Discrete(3), gym.spaces.Box(-1, 1, (2,))])
def test_neural_grad_log_prob_is_a_finite_difference(space):
    network = MLP((2, 5, 3 if isinstance(space, gym.spaces.Discrete) else 2), "tanh", seed=1)
    network.double()
    policy = NeuralPolicy(network, space, 2, log_std=-0.5)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 2))
    a = [policy.sample(row, rng) for row in x]
    w = np.array([1.0, -0.5, 2.0, 0.3])
    theta = policy.parameters
    numeric = np.zeros_like(theta)
    for i in range(len(theta)):
        for sign in (1, -1):
            policy.parameters = theta + sign * 1e-6 * np.eye(len(theta))[i]
            numeric[i] += sign * (w @ policy.log_prob(x, a)) / 2e-6
    policy.parameters = theta
    assert np.allclose(policy.grad_log_prob(x, a, w), numeric, atol=1e-6)


def test_policies_refuse_bad_input():
    with pytest.raises(ValueError, match="valid_actions"):
        SoftmaxPolicy(2, 2, valid_actions=[[1, 0], [0, 0]])
    with pytest.raises(ValueError, match="n_states"):
        SoftmaxPolicy(0, 2)
    with pytest.raises(ValueError, match="parameters must be 4 finite"):
        SoftmaxPolicy(2, 2).parameters = np.zeros(3)
    with pytest.raises(ValueError, match="parameters"):
        LinearGaussianPolicy(2).parameters = [np.nan, 0.0, 0.0]
    with pytest.raises(TypeError, match="network"):
        NeuralPolicy("net", gym.spaces.Discrete(2), 2)
    with pytest.raises(ValueError, match="weights must hold one number per action"):
        SoftmaxPolicy(2, 2).grad_log_prob([0, 1], [0, 1], [1.0])


# ---------------------------------------------------------------------- exact gradients


def test_exact_gradient_is_the_finite_difference_of_the_exact_return():
    model = TabularModel.from_env(_grid())
    policy = SoftmaxPolicy(4, 4, theta=_theta())
    analytic = exact_policy_gradient(model, policy, GAMMA)
    theta, numeric = policy.parameters, np.zeros(16)
    for i in range(16):
        step = 1e-6 * np.eye(16)[i]
        up = SoftmaxPolicy(4, 4, theta=theta + step).probabilities()
        down = SoftmaxPolicy(4, 4, theta=theta - step).probabilities()
        numeric[i] = (
            policy_objective(model, up, GAMMA) - policy_objective(model, down, GAMMA)
        ) / 2e-6
    assert np.abs(analytic).max() > 0.05
    assert np.allclose(analytic, numeric, atol=1e-6)


def test_discounted_visits_match_a_monte_carlo_count():
    env, policy = _grid(), SoftmaxPolicy(4, 4, theta=_theta())
    eta = discounted_visits(TabularModel.from_env(env), policy.probabilities(), GAMMA)
    rng, counts = np.random.default_rng(3), np.zeros((2000, 4))
    for episode in range(2000):
        s, _ = env.reset(seed=episode)
        for t in range(200):
            counts[episode, s] += GAMMA**t
            s, _, terminated, _, _ = env.step(policy.sample(s, rng))
            if terminated:
                break
    _within(counts, eta)


def test_reinforce_estimator_matches_the_exact_gradient():
    env = _grid()
    exact = exact_policy_gradient(
        TabularModel.from_env(env), SoftmaxPolicy(4, 4, theta=_theta()), GAMMA
    )
    agent = Reinforce(env, SoftmaxPolicy(4, 4, theta=_theta()), gamma=GAMMA, seed=1)
    agent.w = np.array([-0.3, 0.0, 0.2, 0.0])  # any baseline leaves the expectation unchanged
    _within(agent.estimate_gradient(2000), exact)
    assert agent.num_timesteps == 0 and agent.episode_returns == []


def test_actor_critic_expected_step_is_the_gradient_with_the_exact_critic_and_biased_without():
    env = _grid()
    model = TabularModel.from_env(env)
    policy = SoftmaxPolicy(4, 4, theta=_theta())
    pi = policy.probabilities()
    agent = ActorCritic(env, SoftmaxPolicy(4, 4, theta=_theta()), gamma=GAMMA, seed=2)
    agent.w = policy_evaluation(model, pi, GAMMA)
    _within(agent.estimate_gradient(800), exact_policy_gradient(model, policy, GAMMA))
    # With a zero critic delta_t = R_{t+1}: the expectation is the theorem with r(s, a) for q.
    agent.w = np.zeros(4)
    grads = np.stack([policy.grad_log_prob([s], [a], [1.0]) for s in range(4) for a in range(4)])
    eta = discounted_visits(model, pi, GAMMA)
    biased = policy_gradient_theorem(eta, pi, model.R, grads.reshape(4, 4, -1))
    _within(agent.estimate_gradient(800), biased)
    assert np.abs(biased - exact_policy_gradient(model, policy, GAMMA)).max() > 0.05


@pytest.mark.parametrize("agent_class", [Reinforce, ActorCritic])
def test_agents_raise_the_exact_return_and_repeat_with_a_seed(agent_class):
    model = TabularModel.from_env(_grid())
    before = policy_objective(model, SoftmaxPolicy(4, 4).probabilities(), GAMMA)
    runs = []
    for _ in range(2):
        agent = agent_class(
            _grid(), gamma=GAMMA, learning_rate=0.1, critic_learning_rate=0.1, seed=5
        )
        agent.learn(total_timesteps=3000)
        runs.append(agent.pi.parameters)
    assert np.array_equal(runs[0], runs[1])
    after = policy_objective(model, agent.pi.probabilities(), GAMMA)
    optimum = (
        model.initial_distribution @ __import__("labcoat").agents.value_iteration(model, GAMMA).v
    )
    assert after > before + 0.5 * (optimum - before)


def test_neural_policy_agent_learns_on_the_grid_and_saves(tmp_path):
    network = MLP((4, 8, 4), "tanh", seed=0)
    features = __import__("labcoat").agents.OneHot(gym.spaces.Discrete(4))
    policy = NeuralPolicy(network, gym.spaces.Discrete(4), 4, features=features)
    agent = Reinforce(_grid(), policy, gamma=GAMMA, learning_rate=0.05, seed=0)
    agent.learn(total_timesteps=1000)
    assert agent.predict(0)[0] in (1,)  # down, towards the goal row: never into the pit
    path = agent.save(tmp_path / "reinforce")
    fresh = NeuralPolicy(
        MLP((4, 8, 4), "tanh", seed=9), gym.spaces.Discrete(4), 4, features=features
    )
    loaded = Reinforce.load(path, env=_grid(), policy=fresh)
    assert np.allclose(loaded.pi.parameters, agent.pi.parameters, atol=1e-6)
    assert np.array_equal(loaded.w, agent.w)


def test_agents_refuse_bad_input():
    with pytest.raises(ValueError, match="learning_rate"):
        Reinforce(_grid(), learning_rate=0.0)
    with pytest.raises(ValueError, match="critic_features"):
        ActorCritic("labcoat/LinearQuadratic-v0")
    with pytest.raises(TypeError, match="baseline"):
        Reinforce(_grid(), baseline="yes")
    with pytest.raises(ValueError, match="n_episodes"):
        Reinforce(_grid()).estimate_gradient(0)


def test_sb3_callbacks_stop_training_on_the_episode_count():
    from stable_baselines3.common.callbacks import StopTrainingOnMaxEpisodes

    agent = ActorCritic(_grid(), gamma=GAMMA, seed=0)
    agent.learn(total_timesteps=10_000, callback=StopTrainingOnMaxEpisodes(5))
    assert len(agent.episode_returns) == 5
    assert agent.num_timesteps == sum(agent.episode_lengths)


def test_gaussian_reinforce_on_the_lqr_matches_the_closed_form_gradient():
    """x' = (1 - k) x + sigma e under u = -k x + sigma e: J(k) in closed form (certainty
    equivalence: its maximum is the discounted Riccati gain whatever sigma)."""
    from labcoat.envs.linear_quadratic import LinearQuadraticEnv
    from labcoat.exercises.control import QuadraticFeatures

    k, sigma, max_control = 0.3, 0.4, 2.0

    def value_terms(k):  # v(x) = -a x^2 - c
        a = (1 + k * k) / (1 - GAMMA * (1 - k) ** 2)
        return a, a * GAMMA * sigma**2 / (1 - GAMMA) + sigma**2 / (1 - GAMMA)

    def J(k):
        a, c = value_terms(k)
        return -a / 3 - c  # E[x0^2] = 1/3 for x0 uniform in [-1, 1]

    exact = -max_control * (J(k + 1e-6) - J(k - 1e-6)) / 2e-6  # theta = -k / max_control
    env = gym.wrappers.TimeLimit(LinearQuadraticEnv(max_control=max_control), 20)
    policy = LinearGaussianPolicy(
        1, 1, log_std=np.log(sigma / max_control), learn_std=False, weights=[[-k / max_control]]
    )
    agent = Reinforce(env, policy, gamma=GAMMA, critic_features=QuadraticFeatures(1), seed=0)
    a, c = value_terms(k)
    agent.w = np.array([-c, -a])  # the exact v: baseline and bootstrap at the time limit
    estimates = agent.estimate_gradient(400)
    _within(estimates, np.array([exact]))
    se = estimates.std(ddof=1) / np.sqrt(len(estimates))
    assert abs(exact) > 10 * se  # the test can tell a wrong sign or scale
