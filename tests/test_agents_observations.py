"""predict and start states refuse what is not an element of the observation space.

Before, ``int(observation)`` turned 2.5 into state 2 and '1' into state 1, NaN raised a bare
"cannot convert float NaN to integer", and a NaN Box observation gave an arbitrary action.
Now every such value is a ValueError naming ``observation`` (or ``start_state``, ...) and the
space; valid observations, Python or numpy integers, single or batched, still work.
"""

import math

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import labcoat.envs  # noqa: F401  (registers the labcoat envs)
from labcoat.agents.batched import batched_q_learning
from labcoat.agents.features import OneHot, TileCoding
from labcoat.agents.planning import TabularModel, policy_iteration, value_iteration
from labcoat.agents.policies import (
    EpsilonGreedyPolicy,
    GreedyPolicy,
    RandomPolicy,
    action_function,
)
from labcoat.agents.semi_gradient import SemiGradientSarsa, SemiGradientTD
from labcoat.agents.tabular import TD0, ExpectedSarsa, MonteCarlo, QLearning, Sarsa

BAD_STATES = [2.5, 2.0, "1", math.nan, math.inf, 2, -1, True, None, [0, 1.5], ["0"]]
PLANT = "labcoat/PlantWatering-v0"  # Discrete(2) observations, 3 actions


def _discrete_predictors():
    q = np.array([[1.0, 0.0, -np.inf], [0.0, 1.0, 2.0]])
    env = gym.make(PLANT)
    return {
        "QLearning": QLearning(PLANT, gamma=0.9, seed=0).predict,
        "Sarsa": lambda o: Sarsa(PLANT, gamma=0.9, seed=0).predict(o, deterministic=False),
        "ExpectedSarsa": ExpectedSarsa(PLANT, gamma=0.9, seed=0).predict,
        "TD0": TD0(PLANT, lambda s: 0, gamma=0.9, seed=0).predict,
        "MonteCarlo": MonteCarlo(PLANT, lambda s: 0, gamma=0.9, seed=0).predict,
        "SemiGradientTD": SemiGradientTD(PLANT, seed=0).predict,
        "SemiGradientSarsa": SemiGradientSarsa(PLANT, seed=0).predict,
        "GreedyPolicy": GreedyPolicy(q).predict,
        "EpsilonGreedyPolicy": EpsilonGreedyPolicy(q, 0.5, seed=0).predict,
        "RandomPolicy": RandomPolicy(env, seed=0).predict,
        "table policy": action_function(np.array([0, 1]), env),
        "matrix policy": action_function(np.full((2, 3), 1 / 3), env, seed=0),
        "OneHot": OneHot(env.observation_space),
    }


PREDICTORS = _discrete_predictors()


@pytest.mark.parametrize("bad", BAD_STATES, ids=repr)
@pytest.mark.parametrize("name", list(PREDICTORS))
def test_a_value_outside_a_discrete_space_is_refused(name, bad):
    with pytest.raises(ValueError, match=r"^observation must (be an element of|hold elements of) "
                       r"Discrete\(2\): an integer in \[0, 1\]"):  # fmt: skip
        PREDICTORS[name](bad)


@pytest.mark.parametrize("name", list(PREDICTORS))
def test_valid_discrete_observations_are_accepted(name):
    for good in (0, 1, np.int64(1), np.array(1), np.uint8(0)):
        PREDICTORS[name](good)


def test_batches_are_checked_and_answered_as_before():
    agent = QLearning(PLANT, gamma=0.9, seed=0)
    actions, _ = agent.predict(np.array([[0, 1], [1, 0]]))
    assert actions.shape == (2, 2)
    with pytest.raises(ValueError, match="observation must hold elements of Discrete"):
        agent.predict(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="observation must hold elements of Discrete"):
        agent.predict(np.array([0, 2]))


@pytest.fixture(scope="module")
def heater():
    env = gym.make("labcoat/HeaterControl-v0")
    features = TileCoding(env.observation_space, 4, 4, low=[10, 30, -80], high=[110, 80, 70])
    return SemiGradientSarsa(env, features=features, seed=0), env.observation_space


@pytest.mark.parametrize(
    "bad",
    [
        [50.0, 60.0, math.nan],
        [50.0, 60.0, math.inf],
        [50.0, 60.0],
        [500.0, 60.0, 0.0],
        "50 60 0",
        [[50.0, 60.0, 0.0], [50.0, math.nan, 0.0]],
        [[50.0, 60.0, 0.0], [50.0, 60.0]],
    ],
    ids=repr,
)
def test_a_value_outside_a_box_space_is_refused(heater, bad):
    agent, space = heater
    with pytest.raises(ValueError, match=r"^observation must be an element of Box\("):
        agent.predict(bad)
    with pytest.raises(ValueError, match=r"^observation must be an element of Box\("):
        agent.q_values(bad)


def test_valid_box_observations_are_accepted(heater):
    agent, space = heater
    one = np.array([50.0, 60.0, 0.0])
    assert isinstance(agent.predict(one)[0], int)
    assert agent.predict(np.stack([one, one]))[0].shape == (2,)
    assert agent.predict(one.astype(np.float32))[0] == agent.predict([50, 60, 0])[0]


@pytest.fixture(scope="module")
def plant_model():
    return TabularModel.from_env(gym.make(PLANT))


@pytest.mark.parametrize("bad", [2.5, "0", math.nan, 2, -1, True], ids=repr)
def test_a_bad_start_state_is_refused(plant_model, bad):
    with pytest.raises(ValueError, match=r"^start_state must be an element of Discrete\(2\)"):
        batched_q_learning(
            plant_model, n_runs=2, n_episodes=1, gamma=0.9, start_state=bad,
            max_episode_steps=3, seed=0,
        )  # fmt: skip


def test_bad_initial_values_and_policies_are_refused(plant_model):
    for bad in ([0.0, math.nan], [0.0], ["a", "b"]):
        with pytest.raises(ValueError, match="initial_v must hold 2 finite numbers"):
            value_iteration(plant_model, 0.9, initial_v=bad)
    for bad in ([0.5, 1.0], [0, 5], [2, 0]):  # 2 = text is not available in the high state
        with pytest.raises(ValueError, match="policy"):
            policy_iteration(plant_model, 0.9, initial_policy=np.array(bad))


ANYTHING = st.one_of(
    st.integers(-3, 4),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.integers(-3, 4).map(np.int64),
    st.lists(st.integers(-1, 2), min_size=1, max_size=3).map(np.array),
    st.lists(st.floats(allow_nan=True), min_size=1, max_size=3),
)


SINGLE = {"GreedyPolicy", "EpsilonGreedyPolicy", "RandomPolicy", "table policy", "matrix policy"}
"""Policies answer one observation at a time; the agents (and features) also take batches."""


def _is_state(value, batch_allowed):
    """The oracle: an element of Discrete(2) (Gymnasium's rule), or a batch of them."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | np.integer):
        return 0 <= value < 2
    array = np.asarray(value)
    in_range = array.dtype.kind in "iu" and bool(((array >= 0) & (array < 2)).all())
    return batch_allowed and array.ndim == 1 and in_range


@settings(max_examples=150, deadline=None)
@given(value=ANYTHING, name=st.sampled_from(sorted(PREDICTORS)))
def test_fuzz_discrete_predict_answers_an_action_or_names_the_observation(value, name):
    if _is_state(value, name not in SINGLE):
        out = PREDICTORS[name](value)
        action = out[0] if isinstance(out, tuple) else out
        assert np.all((np.asarray(action) >= 0) & (np.asarray(action) < 3))
    else:
        with pytest.raises(ValueError, match="^observation must"):
            PREDICTORS[name](value)


BOX_VALUES = st.lists(
    st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=2, max_size=4
)


@settings(max_examples=100, deadline=None)
@given(value=BOX_VALUES)
def test_fuzz_box_predict_answers_an_action_or_names_the_observation(heater, value):
    agent, space = heater
    array = np.asarray(value, dtype=np.float32)
    inside = array.shape == space.shape and bool(
        (np.isfinite(array) & (array >= space.low) & (array <= space.high)).all()
    )
    if inside:
        assert agent.env.action_space.contains(agent.predict(value)[0])
    else:
        with pytest.raises(ValueError, match=r"^observation must be an element of Box"):
            agent.predict(value)
