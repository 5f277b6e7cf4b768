"""Memory for experiment optimization: the history wrapper, absolute actions, the recurrent
approximator (shapes, gradients against finite differences) and the learned optimizer (its
simulator against the env, disjoint landscape streams, seeding, saving)."""

import gymnasium as gym
import numpy as np
import pytest
import torch

from labcoat.agents.experiment import (
    ExperimentOptimizer,
    held_out_landscape_seeds,
    training_batch,
    training_landscape_seeds,
)
from labcoat.envs.history import ExperimentHistory
from labcoat.envs.reaction import HIGH, LOW, ReactionOptimizationEnv
from labcoat.models.rnn import RecurrentActorCritic
from labcoat.models.sb3 import RecurrentExtractor


def _unit(conditions):
    return 2.0 * (np.asarray(conditions) - LOW) / (HIGH - LOW) - 1.0


def test_history_observation_by_hand():
    env = ExperimentHistory(ReactionOptimizationEnv(budget=4, noise=0.0, landscape_seed=3), k=2)
    assert env.observation_space.shape == (3, 5)
    start = np.array([300.0, 5.0, 0.2])
    observation, info = env.reset(seed=0, options={"conditions": start})
    y0 = info["true_yield"]  # noise 0: the measurement is the true yield
    expected = np.zeros((3, 5))
    expected[1] = [*_unit(start), y0, 1.0]
    expected[2] = [*_unit(start), y0, 1.0]  # best so far = the start; 4 of 4 experiments left
    np.testing.assert_allclose(observation, expected, atol=1e-6)
    observation, _, _, _, info = env.step(np.array([1.0, 0.0, 0.0]))  # T + 8 K
    moved = start + np.array([8.0, 0.0, 0.0])
    y1 = info["true_yield"]
    expected[0] = expected[1]
    expected[1] = [*_unit(moved), y1, 1.0]
    expected[2] = [*(_unit(moved) if y1 > y0 else _unit(start)), max(y0, y1), 0.75]
    np.testing.assert_allclose(observation, expected, atol=1e-6)
    observation, _, _, _, info = env.step(np.array([-1.0, 0.0, 0.0]))  # back to the start
    assert observation[0] == pytest.approx(expected[1], abs=1e-6)  # oldest row dropped
    assert observation[2, -1] == pytest.approx(0.5)
    observation, _ = env.reset(seed=1)
    assert np.all(observation[0] == 0.0)  # a new campaign forgets the old one
    with pytest.raises(ValueError, match="k"):
        ExperimentHistory(ReactionOptimizationEnv(), k=0)


def test_absolute_actions_set_the_conditions():
    env = ReactionOptimizationEnv(absolute=True, noise=0.0, landscape_seed=1)
    env.reset(seed=0)
    observation, _, _, _, info = env.step(np.array([-1.0, 0.0, 1.0]))
    np.testing.assert_allclose(observation[:3], [LOW[0], 7.0, HIGH[2]], rtol=1e-6)
    assert info["true_yield"] == pytest.approx(float(env.yield_at(LOW[0], 7.0, 1.0)), abs=1e-12)
    with pytest.raises(ValueError, match="absolute"):
        ReactionOptimizationEnv(absolute=True, continuous=False)
    with pytest.raises(ValueError, match="action"):
        env.step(np.array([2.0, 0.0, 0.0]))


def test_recurrent_actor_critic_shapes_and_steps_equal_the_sequence():
    network = RecurrentActorCritic(4, 3, 8, seed=0)
    x = torch.rand(5, 7, 4, generator=torch.Generator().manual_seed(0))
    mean, value, _ = network(x)
    assert mean.shape == (5, 7, 3) and value.shape == (5, 7)
    assert torch.all(mean.abs() <= 1.0)
    state, means = None, []
    for t in range(7):
        mean_t, value_t, state = network.step(x[:, t], state)
        means.append(mean_t)
    torch.testing.assert_close(torch.stack(means, dim=1), mean)
    torch.testing.assert_close(value_t, value[:, -1])
    state, decisions = None, []  # act: the same mu one decision at a time, no value head
    for t in range(7):
        mean_t, state = network.act(x[:, t], state)
        decisions.append(mean_t)
    torch.testing.assert_close(torch.stack(decisions, dim=1), mean)
    for cell in ("lstm", "rnn"):
        assert RecurrentActorCritic(4, 3, 8, cell=cell)(x)[0].shape == (5, 7, 3)


def test_recurrent_actor_critic_gradients_match_finite_differences():
    network = RecurrentActorCritic(2, 1, 3, seed=1).double()
    x = torch.rand(2, 4, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)

    def loss():
        mean, value, _ = network(x)
        return (mean**2).sum() + (value**3).sum()

    network.zero_grad()
    loss().backward()
    for parameter in network.parameters():
        flat, gradient = parameter.data.view(-1), parameter.grad.view(-1)
        for i in range(len(flat)):
            saved = float(flat[i])
            flat[i] = saved + 1e-6
            up = float(loss().detach())
            flat[i] = saved - 1e-6
            down = float(loss().detach())
            flat[i] = saved
            assert (up - down) / 2e-6 == pytest.approx(float(gradient[i]), abs=1e-7)


def test_recurrent_extractor_reads_history_rows_in_order():
    space = gym.spaces.Box(-1.0, 1.0, shape=(3, 5))
    extractor = RecurrentExtractor(space, features_dim=6, seed=2)
    x = torch.rand(4, 3, 5, generator=torch.Generator().manual_seed(0))
    hidden, _ = extractor.recurrent(x)
    torch.testing.assert_close(extractor(x), hidden[:, -1])
    assert extractor(x).shape == (4, 6)
    with pytest.raises(ValueError, match="time, features"):
        RecurrentExtractor(gym.spaces.Box(-1.0, 1.0, shape=(5,)))


def test_held_out_landscapes_are_disjoint_from_training():
    train = training_landscape_seeds(np.random.default_rng(0), 10_000)
    held_out = held_out_landscape_seeds(np.random.SeedSequence(0), 10_000)
    assert np.all(train % 2 == 0) and all(s % 2 == 1 for s in held_out)
    assert not set(train.tolist()) & set(held_out)


@pytest.mark.parametrize(
    ("absolute", "kind"), [(True, "kinetics"), (False, "kinetics"), (True, "gaussians")]
)
def test_simulated_campaigns_equal_the_env(absolute, kind):
    agent = ExperimentOptimizer(
        absolute=absolute, budget=6, noise=0.0, hidden_size=8, kind=kind, seed=4
    )
    seeds = np.array([11, 13, 15])
    landscape = training_batch(kind, seeds)
    start = torch.tensor(np.random.default_rng(0).uniform(size=(3, 3)))
    simulated = agent.rollout(landscape, start, torch.Generator().manual_seed(0)).detach()
    for i, seed in enumerate(seeds):
        env = ReactionOptimizationEnv(
            budget=6, noise=0.0, landscape_seed=int(seed), absolute=absolute, kind=kind
        )
        wrapped = ExperimentHistory(env, k=1)
        conditions = LOW + start[i].numpy() * (HIGH - LOW)
        observation, info = wrapped.reset(seed=0, options={"conditions": conditions})
        yields, state, truncated = [info["true_yield"]], None, False
        while not truncated:
            action, state = agent.predict(observation, state)
            observation, _, _, truncated, info = wrapped.step(np.clip(action, -1.0, 1.0))
            yields.append(info["true_yield"])
        np.testing.assert_allclose(simulated[i].numpy(), yields, atol=2e-5)


def test_training_improves_the_objective_and_is_seeded(tmp_path):
    def train(seed):
        return ExperimentOptimizer(budget=5, hidden_size=8, batch_size=8, seed=seed).learn(30)

    agent = train(0)
    assert np.mean(agent.losses_[-5:]) < np.mean(agent.losses_[:5])
    assert train(0).losses_ == agent.losses_
    assert train(1).losses_ != agent.losses_
    loaded = ExperimentOptimizer.load(agent.save(tmp_path / "agent.pt"))
    observation = np.linspace(-1.0, 1.0, 10)
    np.testing.assert_array_equal(loaded.predict(observation)[0], agent.predict(observation)[0])
    with pytest.raises(ValueError, match="budget"):
        ExperimentOptimizer(budget=0)
