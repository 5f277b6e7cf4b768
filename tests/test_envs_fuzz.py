"""Property-based fuzzing of every registered labcoat env (hypothesis).

Three properties, each for every id of ``ENV_IDS``:

1. constructor arguments drawn from their documented ranges either build an env or are refused
   (a combination out of range) with a ValueError naming one of them; the env is then driven
   through reset options and a mix of valid and invalid actions: every observation lies in the
   observation space, every reward is a finite float, and every refusal is a ValueError or
   TypeError naming ``action`` or ``options``;
2. one argument drawn outside its range or of a wrong type (the others valid) is refused with a
   TypeError or ValueError whose message names it.

Per default run: ``ROLLOUT_EXAMPLES`` x ``STEPS`` = 20 x 40 = 800 steps (and up to 40 reset
options) per env, and ``BAD_ARGUMENT_EXAMPLES`` = 50 refused constructions
per env.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.registration import load_env_creator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from labcoat.envs import ENV_IDS
from labcoat.envs.reaction import HIGH, LOW

ROLLOUT_EXAMPLES, STEPS, BAD_ARGUMENT_EXAMPLES = 20, 40, 50
CAP = 1e6
"""Largest magnitude of a drawn valid float (larger ones are valid, only slower to think about)."""

WRONG_TYPE = st.one_of(
    st.text(max_size=3),
    st.none(),
    st.complex_numbers(min_magnitude=1e-3, max_magnitude=10, allow_nan=False),
    st.just(object()),
    st.just(["1.0"]),
)
"""Values of a wrong type for any scalar argument."""
NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
NOT_NONE = WRONG_TYPE.filter(lambda v: v is not None)


@dataclass(frozen=True)
class Argument:
    """The strategies of one constructor argument: values it accepts and values it refuses."""

    valid: st.SearchStrategy[Any]
    invalid: st.SearchStrategy[Any]


def real(low: float = -math.inf, high: float = math.inf, *, open_low: bool = False) -> Argument:
    """A finite float in [low, high] (or (low, high] when ``open_low``); ints are accepted."""
    valid_low, valid_high = max(low, -CAP), min(high, CAP)
    valid = st.floats(valid_low, valid_high, exclude_min=open_low)
    first_int = math.floor(valid_low) + 1 if open_low else math.ceil(valid_low)
    if first_int <= valid_high:
        valid |= st.integers(first_int, math.floor(valid_high))
    invalid = WRONG_TYPE | st.booleans() | NON_FINITE
    if math.isfinite(low):
        invalid |= st.floats(max_value=low, exclude_max=not open_low, allow_infinity=False)
    if math.isfinite(high):
        invalid |= st.floats(min_value=high, exclude_min=True, allow_infinity=False)
    return Argument(valid, invalid)


def integer(low: int, cap: int, *, optional: bool = False) -> Argument:
    """An int >= low, drawn up to ``cap`` (or None if ``optional``); numpy ints are accepted."""
    valid = st.integers(low, cap) | st.integers(low, cap).map(np.int64)
    invalid = st.booleans() | st.floats() | st.integers(max_value=low - 1)
    if optional:
        return Argument(valid | st.none(), invalid | NOT_NONE)
    return Argument(valid, invalid | WRONG_TYPE)


def choice(*options: Any) -> Argument:
    """One of ``options``."""
    others = st.one_of(st.text(max_size=8), st.integers(), st.floats(), st.just(object()))
    return Argument(st.sampled_from(options), others.filter(lambda v: v not in options))


FLAG = Argument(st.booleans(), WRONG_TYPE | st.integers(0, 1) | st.floats(0, 1))
RENDER_MODE = choice(None, "ansi", "rgb_array")
PROBABILITIES = st.lists(st.floats(0.0, 1.0), min_size=2, max_size=12)
BAD_VALUES = st.one_of(
    st.text(min_size=1, max_size=4),
    st.floats(allow_nan=False),
    st.lists(st.floats(0.0, 1.0), max_size=1),
    st.lists(st.text(min_size=1, max_size=2), min_size=2, max_size=3),
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4).map(lambda v: [*v, math.nan]),
)
"""Invalid fixed arm values: a string, a scalar, fewer than 2 values, strings, a NaN."""

CELL = st.tuples(st.integers(0, 1), st.integers(0, 1))
"""A cell of every grid (GridWorld's size is at least 2)."""
NOT_CELLS = st.sampled_from([None, 3, 2.5]) | st.lists(
    st.tuples(st.integers(2**40, 2**41), st.integers(0, 1)), min_size=1
)
NOT_MATRICES = st.one_of(
    WRONG_TYPE,
    st.floats(),
    st.lists(st.floats(), min_size=1, max_size=3),
    st.just([[1.0, 2.0]]),
    st.just([[math.nan]]),
)
"""Not a 1 x 1 matrix of the scalar LQ systems (a scalar, a vector, a wrong shape, NaN)."""
ARGUMENTS: dict[str, dict[str, Argument]] = {
    "labcoat/PlantWatering-v0": {
        **{name: real() for name in ("r_on", "r_off", "r_text", "r_fail")},
        **{name: real(0.0, 1.0) for name in ("alpha", "alpha_prime", "beta", "beta_prime")},
        "invalid_action": choice("penalize", "raise"),
        "invalid_action_penalty": real(0.0, open_low=True),
        "render_mode": RENDER_MODE,
    },
    "labcoat/Bandit-v0": {
        "k": integer(2, 50, optional=True),
        "n_steps": integer(1, 2000),
        "reward_distribution": choice("gaussian", "bernoulli"),
        "q_star_mean": real(),
        **{name: real(0.0, open_low=True) for name in ("q_star_std", "reward_std", "walk_std")},
        "nonstationary": FLAG,
        "q_star": Argument(PROBABILITIES, BAD_VALUES),
        "render_mode": RENDER_MODE,
    },
    "labcoat/TreatmentBandit-v0": {
        "n_treatments": integer(2, 20, optional=True),
        "recovery_probabilities": Argument(
            PROBABILITIES, BAD_VALUES | st.lists(st.floats(1.0, exclude_min=True), min_size=2)
        ),
        "n_patients": integer(1, 2000),
        **{name: real(0.0, open_low=True) for name in ("prior_alpha", "prior_beta")},
        "render_mode": RENDER_MODE,
    },
    "labcoat/ReactionOptimization-v0": {
        "continuous": FLAG,
        "budget": integer(1, 100),
        "noise": real(0.0),
        "step_size": real(0.0, 1.0, open_low=True),
        "landscape_seed": integer(0, 2**32, optional=True),
        **{name: real(0.0) for name in ("purity_weight", "cost_weight")},
        "render_mode": RENDER_MODE,
    },
    "labcoat/HeaterControl-v0": {
        "continuous": FLAG,
        "n_levels": integer(2, 50),
        **{
            name: real(0.0, open_low=True)
            for name in (
                "max_current",
                "resistance",
                "thermal_resistance",
                "heat_capacity",
                "time_step",
            )
        },
        "ambient_temperature": real(-273.15),
        **{name: real(0.0) for name in ("sensor_time_constant", "sensor_noise", "energy_weight")},
        "target_range": Argument(
            st.tuples(st.floats(-300.0, 1e3), st.floats(-300.0, 1e3)),
            WRONG_TYPE | st.floats() | st.tuples(st.floats()),
        ),
        "render_mode": RENDER_MODE,
    },
    "labcoat/RandomWalk-v0": {
        "size": integer(1, 300),
        "max_jump": integer(1, 60),
        "render_mode": RENDER_MODE,
    },
    "labcoat/GridWorld-v0": {
        "size": integer(2, 30),
        "slip": real(0.0, 1.0),
        **{name: real() for name in ("step_reward", "goal_reward", "pit_reward")},
        **{name: Argument(st.lists(CELL, max_size=3), NOT_CELLS) for name in ("walls", "pits")},
        **{
            name: Argument(CELL, NOT_NONE | st.tuples(st.integers(-9, -1), st.integers(0, 1)))
            for name in ("goal", "start")
        },
        "render_mode": RENDER_MODE,
    },
    "labcoat/LinearQuadratic-v0": {
        **{
            name: Argument(st.tuples(st.tuples(values)), NOT_MATRICES | bad)
            for name, values, bad in (
                ("A", st.floats(-2.0, 2.0), st.nothing()),
                ("B", st.floats(0.5, 2.0) | st.floats(-2.0, -0.5), st.nothing()),
                ("Q", st.floats(0.0, 10.0), st.just([[-1.0]])),  # not semi-definite
                ("R", st.floats(0.1, 10.0), st.just([[0.0]])),  # not definite
            )
        },
        "noise_std": real(0.0),
        **{name: real(0.0, open_low=True) for name in ("max_control", "x0_range", "state_bound")},
        "render_mode": RENDER_MODE,
    },
    "labcoat/SampleCollector-v0": {
        "n_angles": integer(4, 24),
        "n_samples": integer(1, 4, optional=True),
        "layout_seed": integer(0, 2**32),
        **{name: real(0.0, open_low=True) for name in ("l1", "l2", "radius")},
        **{name: real() for name in ("sample_reward", "move_reward")},
        "slip": real(0.0, 1.0),
        "continuous": FLAG,
        "max_step": Argument(
            st.none() | real(0.0, math.pi, open_low=True).valid,
            real(0.0, math.pi, open_low=True).invalid.filter(lambda v: v is not None),
        ),
        "start": Argument(CELL, NOT_NONE | st.tuples(st.integers(-9, -1), st.integers(0, 1))),
        "render_mode": RENDER_MODE,
    },
    "labcoat/ToricCode-v0": {
        "d": integer(2, 7),
        "p": real(0.0, 0.5, open_low=True),
        **{name: real() for name in ("success_reward", "failure_reward", "step_reward")},
        "render_mode": RENDER_MODE,
    },
}


def constructor(env_id: str) -> Any:
    """The env class of ``env_id`` (called directly: gym.make rewrites TypeError messages)."""
    return load_env_creator(gym.spec(env_id).entry_point)


def valid_arguments(env_id: str) -> st.SearchStrategy[dict[str, Any]]:
    """A random subset of the arguments of ``env_id``, each with a valid value."""
    return st.fixed_dictionaries(
        {}, optional={name: arg.valid for name, arg in ARGUMENTS[env_id].items()}
    )


def construct(env_id: str, kwargs: dict[str, Any]) -> gym.Env | None:
    """The env, or None after checking that its refusal names one of ``kwargs``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PlantWatering warns about broken orderings
            return constructor(env_id)(**kwargs)
    except ValueError as error:
        assert any(name in str(error) for name in kwargs), (kwargs, error)
        return None


# ---------------------------------------------------------------- actions and options


def valid_action(space: gym.Space) -> st.SearchStrategy[Any]:
    """Actions of ``space`` in the forms users and SB3 pass them."""
    if isinstance(space, gym.spaces.Discrete):
        n = int(space.n)
        return st.integers(0, n - 1) | st.integers(0, n - 1).map(np.int64)
    element = st.floats(-1.0, 1.0, width=32)
    return arrays(np.float32, space.shape, elements=element) | arrays(
        np.float64, space.shape, elements=element
    )


def invalid_action(space: gym.Space) -> st.SearchStrategy[Any]:
    """Values that are not actions of ``space``."""
    if isinstance(space, gym.spaces.Discrete):
        n = int(space.n)
        outside = st.integers(max_value=-1) | st.integers(min_value=n)
        return WRONG_TYPE | st.booleans() | st.floats() | outside | st.just(np.array([0]))
    bad_entry = NON_FINITE | st.floats(1.0, exclude_min=True) | st.floats(max_value=-1.0001)
    size = space.shape[0]
    one_bad = st.tuples(st.integers(0, size - 1), bad_entry).map(
        lambda ib: np.where(np.arange(size) == ib[0], ib[1], 0.0)
    )
    wrong_shape = arrays(np.float32, st.sampled_from([(size + 1,), (1, size), ()]))
    return one_bad | wrong_shape | WRONG_TYPE | st.floats()


def valid_options(env: gym.Env) -> st.SearchStrategy[Any]:
    """Reset options the env accepts."""
    plain = st.none() | st.just({})
    if hasattr(env, "target_range"):
        low, high = env.target_range
        return plain | st.fixed_dictionaries({"target": st.floats(low, high)})
    if hasattr(env, "x0_range"):
        x0 = arrays(np.float64, env.observation_space.shape, elements=st.floats(-1.0, 1.0))
        return plain | st.fixed_dictionaries({"x0": x0.map(lambda x: x * env.x0_range)})
    if hasattr(env, "landscape"):
        conditions = st.tuples(*(st.floats(lo, hi) for lo, hi in zip(LOW, HIGH, strict=True)))
        return plain | st.fixed_dictionaries({"conditions": conditions})
    return plain


INVALID_OPTIONS = st.one_of(
    st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), min_size=1).filter(
        lambda d: not {"target", "conditions"} & set(d)
    ),
    st.fixed_dictionaries({"target": NOT_NONE | NON_FINITE | st.floats(max_value=-300.0)}),
    st.fixed_dictionaries({"conditions": NOT_NONE | st.tuples(st.floats(), st.floats())}),
    st.lists(st.integers(), min_size=1, max_size=2),
    st.text(min_size=1, max_size=3),
)
"""Options refused by every env (unknown keys; a bad target or conditions where they are known)."""


def refuses(call: Any, name: str) -> None:
    """``call()`` raises a ValueError or TypeError whose message names ``name``."""
    with pytest.raises((ValueError, TypeError)) as error:
        call()
    assert name in str(error.value), error.value


def check_step(env: gym.Env, step: tuple) -> bool:
    """Assert the step's invariants; return whether the episode ended."""
    obs, reward, terminated, truncated, _ = step
    assert env.observation_space.contains(obs), obs
    assert isinstance(reward, float) and math.isfinite(reward), reward
    assert type(terminated) is bool and type(truncated) is bool
    return terminated or truncated


def reset(env: gym.Env, data: st.DataObject) -> None:
    """Reset with drawn options: refused options name ``options``, the rest must work."""
    if data.draw(st.booleans(), label="bad options"):
        refuses(lambda: env.reset(options=data.draw(INVALID_OPTIONS, label="options")), "options")
    obs, info = env.reset(options=data.draw(valid_options(env), label="options"))
    assert env.observation_space.contains(obs) and isinstance(info, dict)


def unavailable(env: gym.Env, action: Any) -> bool:
    """Whether ``action`` is masked in the current state of an env that raises on masked ones."""
    if getattr(env, "invalid_action", None) != "raise":
        return False
    return not env.action_masks()[int(action)]


# ---------------------------------------------------------------- the properties

ids = pytest.mark.parametrize("env_id", ENV_IDS)


@ids
@settings(
    max_examples=ROLLOUT_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_random_arguments_options_and_actions_keep_every_invariant(env_id, data):
    kwargs = data.draw(valid_arguments(env_id), label="arguments")
    env = construct(env_id, kwargs)
    if env is None:
        return
    env.reset(seed=data.draw(st.integers(0, 2**32 - 1), label="seed"))
    reset(env, data)
    for _ in range(STEPS):
        if data.draw(st.booleans(), label="bad action"):
            bad = data.draw(invalid_action(env.action_space), label="action")
            refuses(lambda bad=bad: env.step(bad), "action")
            continue
        action = data.draw(valid_action(env.action_space), label="action")
        if unavailable(env, action):
            refuses(lambda action=action: env.step(action), "action")
        elif check_step(env, env.step(action)):
            reset(env, data)


@ids
@settings(max_examples=BAD_ARGUMENT_EXAMPLES, deadline=None)
@given(data=st.data())
def test_one_bad_argument_is_refused_naming_it(env_id, data):
    kwargs = data.draw(valid_arguments(env_id), label="valid arguments")
    name = data.draw(st.sampled_from(sorted(ARGUMENTS[env_id])), label="bad argument")
    kwargs[name] = data.draw(ARGUMENTS[env_id][name].invalid, label="bad value")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        refuses(lambda: constructor(env_id)(**kwargs), name)
