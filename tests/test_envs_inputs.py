"""What every environment refuses: non-actions in step, bad reset options, bad constructor values.

The rule (issue 9): ``step`` answers anything that is not an action of its space with a
ValueError naming ``action`` and the space, before any work (the state and the random stream
are untouched); a constructor argument of the wrong type is a TypeError, one out of range a
ValueError, both naming the argument and its allowed range.
"""

from __future__ import annotations

import re

import gymnasium as gym
import numpy as np
import pytest

from labcoat.envs import ENV_IDS
from labcoat.envs.bandit import BanditEnv, BanditVectorEnv
from labcoat.envs.heater import HeaterControlEnv
from labcoat.envs.plant_watering import PlantWateringEnv
from labcoat.envs.random_walk import RandomWalkEnv
from labcoat.envs.reaction import ReactionOptimizationEnv
from labcoat.envs.treatment_bandit import TreatmentBanditEnv

VARIANTS = [(env_id, {}) for env_id in ENV_IDS] + [
    ("labcoat/HeaterControl-v0", {"continuous": True}),
    ("labcoat/ReactionOptimization-v0", {"continuous": False}),
    ("labcoat/SampleCollector-v0", {"continuous": True}),
]
variants = pytest.mark.parametrize(
    ("env_id", "kwargs"), VARIANTS, ids=[f"{i}{k or ''}" for i, k in VARIANTS]
)


def not_actions(space: gym.Space) -> list[object]:
    """Values that are not actions of ``space`` (each must be refused by step)."""
    if isinstance(space, gym.spaces.Discrete):
        n = int(space.n)
        return [
            2.5,
            0.0,
            1.0,
            "1",
            "0",
            np.inf,
            -np.inf,
            np.nan,
            True,
            False,
            None,
            -1,
            n,
            np.int64(n),
            np.float64(0.0),
            np.array([0]),
            np.array(0.0),
            [0],
            1 + 0j,
        ]
    shape = space.shape
    return [
        np.full(shape, np.nan),
        np.full(shape, np.inf),
        np.full(shape, 1.5),
        np.full(shape, -1.0001),
        np.zeros(shape[0] + 1),
        np.zeros((1, *shape)),
        0.0,
        None,
        "0",
        np.zeros(shape, dtype=bool),
        np.zeros(shape, dtype=complex),
        np.array(["0"] * shape[0]),
        [0.0] * (shape[0] - 1) + ["x"],
    ]


def actions(space: gym.Space) -> list[object]:
    """Actions of ``space`` in the forms users and Stable-Baselines3 pass them."""
    if isinstance(space, gym.spaces.Discrete):
        last = int(space.n) - 1
        return [0, last, np.int64(last), np.int32(0), np.array(last), space.sample()]
    shape = space.shape
    return [
        np.zeros(shape, dtype=np.float32),
        np.ones(shape),
        -np.ones(shape, dtype=np.float32),
        [0.5] * shape[0],
        np.zeros(shape, dtype=np.int64),
        space.sample(),
    ]


def unwrapped(env_id: str, kwargs: dict) -> gym.Env:
    return gym.make(env_id, **kwargs).unwrapped


@variants
def test_step_refuses_every_non_action_naming_action_and_the_space(env_id, kwargs):
    env = unwrapped(env_id, kwargs)
    env.reset(seed=0)
    pattern = rf"^action must .*\(an action of {re.escape(str(env.action_space))}\)"
    for bad in not_actions(env.action_space):
        with pytest.raises(ValueError, match=pattern):
            env.step(bad)


@variants
def test_a_refused_action_changes_nothing(env_id, kwargs):
    """[good, bad, good] from one seed equals [good, good]: no state, no random draw used."""
    env, reference = unwrapped(env_id, kwargs), unwrapped(env_id, kwargs)
    good = actions(env.action_space)[0]
    env.reset(seed=5)
    reference.reset(seed=5)
    for bad in not_actions(env.action_space)[:8]:
        with pytest.raises(ValueError):
            env.step(bad)
        first, second = env.step(good), reference.step(good)
        np.testing.assert_array_equal(first[0], second[0])
        assert first[1:4] == second[1:4]
        assert np.all(np.isfinite(first[0])) and np.isfinite(first[1])


@variants
def test_step_accepts_actions_in_every_usual_form(env_id, kwargs):
    env = unwrapped(env_id, kwargs)
    env.reset(seed=0)
    env.action_space.seed(0)
    for action in actions(env.action_space):
        obs, reward, *_ = env.step(action)
        assert env.observation_space.contains(obs) and np.isfinite(reward)


def test_the_four_reported_actions_are_refused():
    """Issue 9: PlantWatering ran 2.5 as 2 and '1' as 1, inf overflowed, NaN poisoned a Box."""
    plant = PlantWateringEnv()
    plant.reset(seed=0)
    for bad, error in ((2.5, ValueError), ("1", ValueError), (np.inf, ValueError)):
        with pytest.raises(error, match=r"action .*Discrete\(3\)"):
            plant.step(bad)
    heater = HeaterControlEnv(continuous=True)
    heater.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        heater.step(np.array([np.nan], dtype=np.float32))
    observation = heater.step(np.array([0.0], dtype=np.float32))[0]
    assert np.all(np.isfinite(observation))


def test_vector_bandit_refuses_non_integer_and_misshapen_actions():
    env = BanditVectorEnv(num_envs=3)
    env.reset(seed=0)
    for bad in (np.zeros(3), np.zeros(3, dtype=bool), np.zeros(2, dtype=int), np.array([0, 1, 10])):
        with pytest.raises(ValueError, match="actions"):
            env.step(bad)
    env.step(np.array([0, 1, 9], dtype=np.int32))


# ---------------------------------------------------------------- reset options


@variants
def test_reset_refuses_unknown_options_and_non_dicts(env_id, kwargs):
    env = unwrapped(env_id, kwargs)
    with pytest.raises(ValueError, match=r"options has unknown keys \['targt'\]"):
        env.reset(seed=0, options={"targt": 50.0})
    with pytest.raises(TypeError, match="options must be None or a dict"):
        env.reset(seed=0, options=[("target", 50.0)])
    env.reset(seed=0, options={})


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"target": "50"}, TypeError),
        ({"target": True}, TypeError),
        ({"target": None}, None),
        ({"target": np.nan}, ValueError),
        ({"target": np.inf}, ValueError),
        ({"target": 29.9}, ValueError),
        ({"target": np.float32(50.0)}, None),
        ({"target": 50}, None),
    ],
)
def test_heater_target_option_follows_the_rule(options, error):
    env = HeaterControlEnv()
    if error is None:
        _, info = env.reset(seed=0, options=options)
        assert 30.0 <= info["target"] <= 80.0
        return
    with pytest.raises(error, match=r"options\['target'\] must be a finite number in \[30, 80\]"):
        env.reset(seed=0, options=options)


@pytest.mark.parametrize(
    ("conditions", "error"),
    [
        (("330", "7", "0.5"), TypeError),
        ((330.0, None, 0.5), TypeError),
        ((330.0, np.nan, 0.5), ValueError),
        ((330.0, 7.0), ValueError),
        ([[330.0, 7.0, 0.5]], ValueError),
        ((330.0, 7.0, 1.5), ValueError),
    ],
)
def test_reaction_conditions_option_follows_the_rule(conditions, error):
    env = ReactionOptimizationEnv(landscape_seed=0)
    with pytest.raises(error, match=r"options\['conditions'\]"):
        env.reset(seed=0, options={"conditions": conditions})
    obs, _ = env.reset(seed=0, options={"conditions": np.array([330, 7, 0])})  # integers: fine
    np.testing.assert_allclose(obs[:3], [330.0, 7.0, 0.0])


# ---------------------------------------------------------------- constructor arguments


@pytest.mark.parametrize(
    ("make", "kwargs", "error", "message"),
    [
        (BanditEnv, {"n_steps": 2.5}, TypeError, "n_steps must be an integer >= 1"),
        (RandomWalkEnv, {"size": 2.5}, TypeError, "size must be an integer >= 1"),
        (BanditEnv, {"reward_std": "0.5"}, TypeError, "reward_std must be a finite number > 0"),
        (BanditEnv, {"k": 2.0}, TypeError, "k must be an integer >= 2"),
        (BanditEnv, {"k": True}, TypeError, "k must be an integer >= 2"),
        (BanditEnv, {"q_star": ["a", "b"]}, TypeError, "q_star must be a sequence of real"),
        (BanditEnv, {"reward_distribution": 1}, ValueError, "reward_distribution must be one of"),
        (BanditVectorEnv, {"num_envs": 2.0}, TypeError, "num_envs must be an integer >= 1"),
        (TreatmentBanditEnv, {"n_patients": 1.5}, TypeError, "n_patients must be an integer"),
        (TreatmentBanditEnv, {"prior_beta": "1"}, TypeError, "prior_beta must be a finite"),
        (TreatmentBanditEnv, {"n_treatments": 3.0}, TypeError, "n_treatments must be an int"),
        (
            PlantWateringEnv,
            {"alpha": "0.5"},
            TypeError,
            r"alpha must be a finite number in \[0, 1\]",
        ),
        (
            PlantWateringEnv,
            {"invalid_action_penalty": np.inf},
            ValueError,
            "penalty must be a finite number > 0",
        ),
        (PlantWateringEnv, {"r_on": None}, TypeError, "r_on must be a finite number"),
        (RandomWalkEnv, {"max_jump": np.float64(3)}, TypeError, "max_jump must be an integer >= 1"),
        (HeaterControlEnv, {"n_levels": 2.5}, TypeError, "n_levels must be an integer >= 2"),
        (
            HeaterControlEnv,
            {"max_current": "2"},
            TypeError,
            "max_current must be a finite number > 0",
        ),
        (HeaterControlEnv, {"continuous": 1}, TypeError, "continuous must be True or False"),
        (
            HeaterControlEnv,
            {"ambient_temperature": -300.0},
            ValueError,
            "ambient_temperature must be a finite number >= -273.15",
        ),
        (
            HeaterControlEnv,
            {"max_current": 1e200},
            ValueError,
            "ambient_temperature, max_current, resistance and thermal",
        ),
        (HeaterControlEnv, {"target_range": ("a", "b")}, TypeError, "target_range"),
        (
            HeaterControlEnv,
            {"sensor_noise": True},
            TypeError,
            "sensor_noise must be a finite number >= 0",
        ),
        (ReactionOptimizationEnv, {"budget": 2.5}, TypeError, "budget must be an integer >= 1"),
        (
            ReactionOptimizationEnv,
            {"noise": "0.1"},
            TypeError,
            "noise must be a finite number >= 0",
        ),
        (
            ReactionOptimizationEnv,
            {"step_size": True},
            TypeError,
            r"step_size must be a finite number in \(0, 1\]",
        ),
        (
            ReactionOptimizationEnv,
            {"landscape_seed": -1},
            ValueError,
            "landscape_seed must be an integer >= 0",
        ),
        (
            ReactionOptimizationEnv,
            {"cost_weight": np.nan},
            ValueError,
            "cost_weight must be a finite number >= 0",
        ),
        (
            ReactionOptimizationEnv,
            {"continuous": "yes"},
            TypeError,
            "continuous must be True or False",
        ),
    ],
)
def test_one_rule_for_constructor_arguments(make, kwargs, error, message):
    with pytest.raises(error, match=message):
        make(**kwargs)


def test_numpy_numbers_are_accepted_wherever_python_numbers_are():
    assert BanditEnv(k=np.int64(3), n_steps=np.int32(5), reward_std=np.float32(0.5)).k == 3
    assert RandomWalkEnv(size=np.int64(5), max_jump=np.uint8(1)).n_states == 7
    assert HeaterControlEnv(n_levels=np.int64(3), max_current=np.float32(2.0)).currents.size == 3
    assert ReactionOptimizationEnv(budget=np.int16(3), landscape_seed=np.int64(1)).budget == 3
    assert TreatmentBanditEnv(n_treatments=np.int64(4), prior_alpha=np.float64(2)).n_treatments == 4
    assert PlantWateringEnv(alpha=np.float32(0.75)).alpha == pytest.approx(0.75)


# ---------------------------------------------------------------- rendering


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_every_env_renders_ansi_and_rgb_array_and_refuses_other_modes(env_id):
    for mode, kind in (("ansi", str), ("rgb_array", np.ndarray)):
        env = gym.make(env_id, render_mode=mode)
        env.reset(seed=0)
        env.action_space.seed(0)
        first = env.render()
        env.step(env.action_space.sample())
        frame = env.render()
        assert isinstance(frame, kind) and isinstance(first, kind)
        if kind is str:
            assert frame.endswith("\n") and frame.count("\n") == 1
        else:
            assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    with (
        pytest.raises(ValueError, match="render_mode must be one of None, 'ansi', 'rgb_array'"),
        pytest.warns(UserWarning, match="render_mode='rgb'"),  # Gymnasium's own warning
    ):
        gym.make(env_id, render_mode="rgb")


def test_bandit_picture_marks_the_best_arm_green_and_the_pulled_arm_red():
    env = BanditEnv(q_star=[0.1, 0.9, 0.4], render_mode="rgb_array")
    env.reset(seed=0)
    picture = env.render()
    assert picture.shape == (64, 48, 3)
    assert tuple(picture[-1, 16 + 7]) == (40, 160, 60)  # best arm 1: green bar
    assert tuple(picture[-1, 7]) == (150, 150, 150)
    assert not (picture[2:8] == (200, 40, 40)).all(axis=2).any()  # nothing pulled yet
    env.step(2)
    assert tuple(env.render()[4, 32 + 7]) == (200, 40, 40)
    # bars are ordered like q*: taller for larger values
    heights = [(env.render()[:, 16 * a + 7] != 235).any(axis=1).sum() for a in range(3)]
    assert heights[0] < heights[2] < heights[1]


def test_treatment_text_reports_the_patient_and_the_outcome():
    env = TreatmentBanditEnv(recovery_probabilities=[0.0, 1.0], render_mode="ansi")
    env.reset(seed=0)
    assert env.render() == "patient 0 of 1000: none treated yet (best treatment 1)\n"
    env.step(1)
    assert env.render() == "patient 1 of 1000: treatment 1, recovered (best treatment 1)\n"
    env.step(0)
    assert "treatment 0, did not recover" in env.render()


def test_heater_picture_follows_the_temperature():
    env = HeaterControlEnv(render_mode="rgb_array", sensor_noise=0.0)
    env.reset(seed=0, options={"target": 60.0})
    cold = env.render()
    for _ in range(60):
        env.step(10)  # full current: T rises towards 100 C
    hot = env.render()
    red = (210, 40, 40)
    assert (hot[:, 15] == red).all(axis=1).sum() > (cold[:, 15] == red).all(axis=1).sum() + 20
    assert hot[48, 60, 0] == 255 and cold[48, 60, 0] == 60  # element glows at full power


def test_reaction_picture_gauges_are_the_conditions():
    env = ReactionOptimizationEnv(render_mode="rgb_array", landscape_seed=0)
    env.reset(seed=0, options={"conditions": (333.15, 3.0, 1.0)})  # half, none, full
    picture = env.render()
    filled = [(picture[top + 5, 8:120] != (200, 200, 200)).any(axis=1).sum() for top in (4, 19, 34)]
    assert filled == [56, 0, 112]
