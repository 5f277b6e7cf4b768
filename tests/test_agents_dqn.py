"""DQN against hand computations and the exact q* of the plant MDP.

References: the closed-form gradient of the Huber/squared TD loss of a linear q̂ and Adam's
closed-form first step; the (Double) Q-learning targets by hand; Polyak averaging by hand; the
ring buffer's rows and the Generator's draws; value iteration's q* on PlantWatering-v0.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import configure
from torch import nn

import labcoat.envs  # noqa: F401  (registers the environments)
from labcoat.agents import DQN, ReplayBuffer, double_q_learning_target, q_learning_target
from labcoat.agents.dqn import ReplayBatch, polyak_update, td_loss
from labcoat.agents.planning import TabularModel, value_iteration

HIGH, LOW = 0, 1


def linear_net(n_inputs: int, n_actions: int, seed: int) -> nn.Linear:
    generator = torch.Generator().manual_seed(seed)
    net = nn.Linear(n_inputs, n_actions)
    with torch.no_grad():
        net.weight.copy_(torch.randn(n_actions, n_inputs, generator=generator))
        net.bias.copy_(torch.randn(n_actions, generator=generator))
    return net


def box_env() -> gym.Env:
    return gym.make("CartPole-v1")


def fixed_batch(rng: np.random.Generator, n: int = 6) -> ReplayBatch:
    terminated = np.zeros(n, dtype=bool)
    terminated[1] = True
    return ReplayBatch(
        rng.normal(size=(n, 4)).astype(np.float32),
        rng.integers(2, size=n),
        rng.normal(scale=3.0, size=n),  # some |δ| > 1: both branches of the Huber loss
        rng.normal(size=(n, 4)).astype(np.float32),
        terminated,
        np.ones((n, 2), dtype=bool),
    )


# ---------------------------------------------------------------------- (a) one gradient step


@pytest.mark.parametrize(("loss", "double_q"), [("huber", False), ("mse", True)])
def test_one_gradient_step_is_the_closed_form_of_a_linear_q(loss, double_q):
    gamma, lr = 0.9, 0.01
    agent = DQN(
        box_env(),
        network=linear_net(4, 2, 0),
        learning_rate=lr,
        gamma=gamma,
        loss=loss,
        double_q=double_q,
    )
    agent.target_network.load_state_dict(linear_net(4, 2, 1).state_dict())  # θ⁻ ≠ θ
    batch = fixed_batch(np.random.default_rng(0))
    W, b = (
        agent.q_network.weight.detach().double().numpy().copy(),
        agent.q_network.bias.detach().double().numpy().copy(),
    )
    Wm, bm = (
        agent.target_network.weight.detach().double().numpy(),
        agent.target_network.bias.detach().double().numpy(),
    )
    x, x2 = batch.observations.astype(float), batch.next_observations.astype(float)
    q_next_target, q_next_online = x2 @ Wm.T + bm, x2 @ W.T + b
    a_star = q_next_online.argmax(1) if double_q else q_next_target.argmax(1)
    assert (q_next_online.argmax(1) != q_next_target.argmax(1)).any()  # the targets differ
    y = batch.rewards + gamma * (1 - batch.terminated) * q_next_target[np.arange(6), a_star]
    q = (x @ W.T + b)[np.arange(6), batch.actions]
    delta = q - y
    dl_dq = (np.clip(delta, -1, 1) if loss == "huber" else delta) / 6
    grad_W, grad_b = np.zeros_like(W), np.zeros_like(b)
    for i in range(6):
        grad_W[batch.actions[i]] += dl_dq[i] * x[i]
        grad_b[batch.actions[i]] += dl_dq[i]
    expected_loss = np.mean(
        np.where(np.abs(delta) <= 1, delta**2 / 2, np.abs(delta) - 0.5)
        if loss == "huber"
        else delta**2 / 2
    )
    assert agent.train_step(batch) == pytest.approx(expected_loss, rel=1e-5)
    np.testing.assert_allclose(agent.q_network.weight.grad.numpy(), grad_W, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(agent.q_network.bias.grad.numpy(), grad_b, rtol=1e-5, atol=1e-7)
    # Adam's first step: m̂ = g, v̂ = g², θ ← θ − lr g / (|g| + 1e-8)
    step_W = lr * grad_W / (np.abs(grad_W) + 1e-8)
    np.testing.assert_allclose(agent.q_network.weight.detach().numpy(), W - step_W, atol=1e-6)


def test_gradient_norm_is_clipped_to_max_grad_norm():
    agent = DQN(box_env(), network=linear_net(4, 2, 0), max_grad_norm=0.01)
    agent.train_step(fixed_batch(np.random.default_rng(1)))
    grads = [p.grad for p in agent.q_network.parameters()]
    assert float(torch.sqrt(sum((g**2).sum() for g in grads))) == pytest.approx(0.01, rel=1e-4)


def test_td_loss_matches_the_huber_and_squared_formulas_and_refuses_others():
    q, y = torch.tensor([0.0, 0.0, 0.0]), torch.tensor([0.5, -2.0, 3.0])
    assert float(td_loss(q, y, "huber")) == pytest.approx((0.125 + 1.5 + 2.5) / 3)
    assert float(td_loss(q, y, "mse")) == pytest.approx((0.125 + 2.0 + 4.5) / 3)
    with pytest.raises(ValueError, match="loss"):
        td_loss(q, y, "l1")


# ---------------------------------------------------------------------- (b) targets


def test_double_q_target_and_q_learning_target_by_hand():
    q_value = np.array([[1.0, 5.0, 2.0], [0.0, -1.0, 3.0], [4.0, 4.0, 9.0]])  # target network
    q_selector = np.array([[3.0, 1.0, 2.0], [0.0, 2.0, 1.0], [7.0, 0.0, -np.inf]])  # online
    r, discount = np.array([1.0, -1.0, 0.5]), np.array([0.9, 0.9, 0.0])
    # double: evaluate the online argmax (0, 1, 0) with the target network
    np.testing.assert_allclose(
        double_q_learning_target(q_value, q_selector, r, discount),
        [1.0 + 0.9 * 1.0, -1.0 + 0.9 * -1.0, 0.5],
    )
    # plain: the max of the target network (5, 3, terminal)
    np.testing.assert_allclose(
        q_learning_target(q_value, r, discount), [1.0 + 0.9 * 5.0, -1.0 + 0.9 * 3.0, 0.5]
    )
    np.testing.assert_allclose(  # the same estimate for both: Q-learning
        double_q_learning_target(q_value, q_value, r, discount),
        q_learning_target(q_value, r, discount),
    )


# ---------------------------------------------------------------------- (c) Polyak


def test_polyak_update_by_hand_and_tau_one_copies():
    online, target = linear_net(3, 2, 0), linear_net(3, 2, 1)
    theta, theta_minus = online.weight.detach().clone(), target.weight.detach().clone()
    polyak_update(target, online, 0.1)
    torch.testing.assert_close(target.weight, 0.1 * theta + 0.9 * theta_minus)
    polyak_update(target, online, 1.0)
    torch.testing.assert_close(target.weight, theta)
    torch.testing.assert_close(target.bias, online.bias)
    with pytest.raises(ValueError, match="tau"):
        polyak_update(target, online, 0.0)


def test_the_target_network_moves_every_target_update_interval_steps():
    agent = DQN(box_env(), learning_starts=10, train_freq=1, target_update_interval=25, seed=0)
    agent.learn(24)
    before = [p.clone() for p in agent.target_network.parameters()]
    online = [p.detach().clone() for p in agent.q_network.parameters()]
    assert not all(torch.equal(a, b) for a, b in zip(before, online, strict=True))
    agent.learn(1)  # step 25: θ⁻ ← θ
    for a, b in zip(agent.target_network.parameters(), agent.q_network.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    assert agent.n_updates == 25 - 10


# ---------------------------------------------------------------------- (d) replay buffer


def test_replay_buffer_overwrites_the_oldest_row_and_samples_with_its_generator():
    buffer = ReplayBuffer(3, n_inputs=1, n_actions=2, seed=7)
    for k in range(5):
        buffer.add(np.array([k]), k % 2, float(k), np.array([k + 1]), k == 4)
    assert len(buffer) == 3 and buffer.n_added == 5
    np.testing.assert_array_equal(buffer.observations[:, 0], [3, 4, 2])  # rows k mod 3
    np.testing.assert_array_equal(buffer.rewards, [3.0, 4.0, 2.0])
    np.testing.assert_array_equal(buffer.terminated, [False, True, False])
    rows = np.random.default_rng(7).integers(3, size=50)
    batch = buffer.sample(50)
    np.testing.assert_array_equal(batch.rewards, buffer.rewards[rows])
    np.testing.assert_array_equal(batch.next_observations, buffer.next_observations[rows])


def test_replay_buffer_refuses_an_empty_sample_and_bad_sizes():
    with pytest.raises(ValueError, match="empty"):
        ReplayBuffer(4, 1, 2).sample(1)
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0, 1, 2)
    with pytest.raises(TypeError, match="batch_size"):
        ReplayBuffer(4, 1, 2).sample(2.0)


# ---------------------------------------------------------------------- (e) the plant's q*


TRAINING = dict(loss="mse", learning_rate=3e-3, batch_size=512, train_freq=8, gamma=0.9)
EXPLORATION = dict(learning_starts=1000, exploration_fraction=0.5, exploration_final_eps=0.5)


def plant_agent(seed: int, **kwargs) -> DQN:
    settings = TRAINING | EXPLORATION | {"target_update_interval": 64, "hidden_sizes": (32,)}
    return DQN("labcoat/PlantWatering-v0", **(settings | kwargs), seed=seed)


def test_dqn_learns_the_optimal_policy_and_q_star_of_the_plant():
    exact = value_iteration(TabularModel.from_env(gym.make("labcoat/PlantWatering-v0")), 0.9)
    agent = plant_agent(0).learn(5000)
    q = agent.q_values(np.array([HIGH, LOW]))
    np.testing.assert_array_equal(agent.predict(np.array([HIGH, LOW]))[0], exact.policy)
    np.testing.assert_array_equal(np.isinf(q), np.isinf(exact.q))  # texting from high
    available = np.isfinite(exact.q)
    np.testing.assert_allclose(q[available], exact.q[available], atol=0.25)


def test_the_same_seed_gives_the_same_weights_and_returns():
    runs = [plant_agent(3, learning_starts=50, batch_size=16).learn(400) for _ in range(2)]
    for a, b in zip(runs[0].q_network.parameters(), runs[1].q_network.parameters(), strict=True):
        assert torch.equal(a, b)
    assert runs[0].episode_returns == runs[1].episode_returns
    assert runs[0].losses == runs[1].losses
    other = plant_agent(4, learning_starts=50, batch_size=16).learn(400)
    assert other.losses != runs[0].losses


def test_unavailable_actions_are_never_sent():
    agent = plant_agent(1, learning_starts=20, batch_size=8)
    agent.env = gym.make("labcoat/PlantWatering-v0", invalid_action="raise")
    agent.learn(600)  # a text from high would raise
    assert agent.predict(np.array([HIGH] * 20), deterministic=False)[0].tolist().count(2) == 0


# ---------------------------------------------------------------------- (f) bad arguments


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"buffer_size": 0}, ValueError, "buffer_size"),
        ({"batch_size": 1.5}, TypeError, "batch_size"),
        ({"tau": 1.5}, ValueError, "tau"),
        ({"gamma": -0.1}, ValueError, "gamma"),
        ({"train_freq": 0}, ValueError, "train_freq"),
        ({"target_update_interval": 0}, ValueError, "target_update_interval"),
        ({"exploration_fraction": 0.0}, ValueError, "exploration_fraction"),
        ({"exploration_final_eps": 2.0}, ValueError, "exploration_final_eps"),
        ({"max_grad_norm": -1.0}, ValueError, "max_grad_norm"),
        ({"loss": "l2"}, ValueError, "loss"),
        ({"double_q": 1}, TypeError, "double_q"),
        ({"hidden_sizes": (64, 0)}, ValueError, "hidden_sizes"),
        ({"network": "mlp"}, TypeError, "network"),
        ({"network": nn.Linear(4, 3)}, ValueError, "network"),
        ({"seed": -1}, ValueError, "seed"),
    ],
)
def test_bad_arguments_are_refused_naming_them(kwargs, error, name):
    with pytest.raises(error, match=name):
        DQN(box_env(), **kwargs)


def test_bad_learn_arguments_and_spaces_are_refused():
    agent = DQN(box_env())
    with pytest.raises(ValueError, match="total_timesteps"):
        agent.learn(n_episodes=3)
    with pytest.raises(ValueError, match="total_timesteps"):
        agent.learn(0)
    with pytest.raises(TypeError, match="Discrete action space"):
        DQN("Pendulum-v1")
    with pytest.raises(ValueError, match="observation"):
        agent.q_values(np.array([1.0, np.nan, 0.0, 0.0]))


# ---------------------------------------------------------------------- (g) files, callbacks


def test_save_and_load_round_trip(tmp_path):
    agent = plant_agent(2, learning_starts=50, batch_size=16, double_q=True).learn(300)
    path = agent.save(tmp_path / "dqn")
    loaded = DQN.load(path)
    assert loaded.double_q and loaded.batch_size == 16 and loaded.num_timesteps == 300
    np.testing.assert_array_equal(
        loaded.q_values(np.array([0, 1])), agent.q_values(np.array([0, 1]))
    )
    for a, b in zip(
        loaded.target_network.parameters(), agent.target_network.parameters(), strict=True
    ):
        assert torch.equal(a, b)
    custom = DQN(box_env(), network=linear_net(4, 2, 5))
    custom.save(tmp_path / "custom")
    with pytest.raises(TypeError, match="network"):
        DQN.load(tmp_path / "custom")
    again = DQN.load(tmp_path / "custom", network=linear_net(4, 2, 9))
    torch.testing.assert_close(again.q_network.weight, custom.q_network.weight)


def test_a_corrupt_network_in_the_file_is_refused(tmp_path):
    agent = plant_agent(0)
    path = agent.save(tmp_path / "dqn")
    with np.load(path) as data:
        arrays = dict(data)
    arrays["_saved_q_network"] = arrays["_saved_q_network"][:50]
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="not a labcoat agent file"):
        DQN.load(path)


class Counter(BaseCallback):
    def _on_step(self) -> bool:
        return self.num_timesteps < 120


def test_sb3_callbacks_functions_and_the_logger_drive_learn(tmp_path):
    agent = DQN(box_env(), learning_starts=50, seed=0)
    counter = Counter()
    agent.learn(1000, callback=counter)
    assert agent.num_timesteps == 120 == counter.n_calls
    episodes = []
    agent.learn(300, callback=lambda a: episodes.append(a.num_timesteps) or len(episodes) < 2)
    assert len(episodes) == 2
    agent.set_logger(configure(str(tmp_path), ["csv"]))
    agent.learn(400, log_interval=1)
    header = (tmp_path / "progress.csv").read_text().splitlines()[0].split(",")
    assert {"train/loss", "train/epsilon", "rollout/ep_rew_mean", "train/n_updates"} <= set(header)


def test_epsilon_falls_linearly_over_the_exploration_fraction():
    agent = DQN(box_env(), exploration_fraction=0.5, exploration_final_eps=0.1)
    agent.learn(10)
    agent.learn(200)  # the schedule restarts with each learn call, over 100 of its steps
    assert agent.epsilon(10) == 1.0
    assert agent.epsilon(60) == pytest.approx(1.0 - 0.9 * 0.5)
    assert agent.epsilon(110) == agent.epsilon(500) == pytest.approx(0.1)


def expected_huber(c: float, p: np.ndarray, y: np.ndarray) -> float:
    """E[H(y - c)] with H(d) = d^2/2 for |d| <= 1, |d| - 1/2 beyond (written out here)."""
    d = np.abs(y - c)
    return float(np.sum(p * np.where(d <= 1, d**2 / 2, d - 0.5)))


def huber_bellman_fixed_point(env: gym.Env, gamma: float) -> np.ndarray:
    """q_H(s, a) = argmin_c E[H(R + gamma max_b q_H(S', b) - c)] over the exact outcomes of P."""
    from scipy.optimize import minimize_scalar

    P, valid = env.unwrapped.P, env.unwrapped.valid_actions
    q = np.zeros(valid.shape)
    for _ in range(200):
        v = np.max(np.where(valid, q, -np.inf), axis=1)
        for s, a in np.argwhere(valid):
            p = np.array([t.prob for t in P[s][a]])
            y = np.array([t.reward + gamma * v[t.next_state] for t in P[s][a]])
            bounds = (y.min(), y.max())
            q[s, a] = minimize_scalar(
                expected_huber, bounds=bounds, args=(p, y), method="bounded"
            ).x
    return q


def test_with_the_huber_loss_dqn_finds_the_huber_fixed_point_not_q_star():
    """The plant's rewards are 1 or -4: the Huber minimizer of the targets is not their mean."""
    env = gym.make("labcoat/PlantWatering-v0")
    exact = value_iteration(TabularModel.from_env(env), 0.9).q
    available = np.isfinite(exact)
    q_huber = huber_bellman_fixed_point(env, 0.9)[available]
    assert np.abs(q_huber - exact[available]).max() > 1.0  # q_H(low, on) 5.75, q* 4.69
    q = plant_agent(0, loss="huber").learn(5000).q_values(np.array([HIGH, LOW]))
    np.testing.assert_allclose(q[available], q_huber, atol=0.3)
