"""Registration of the labcoat environments with Gymnasium."""

from __future__ import annotations

import subprocess
import sys
import warnings

import gymnasium as gym
import pytest

from labcoat.envs import ENV_IDS, register_envs

# id -> max_episode_steps, as documented in each environment's "Episode End" section
EXPECTED = {
    "labcoat/PlantWatering-v0": 200,
    "labcoat/Bandit-v0": None,
    "labcoat/TreatmentBandit-v0": None,
    "labcoat/ReactionOptimization-v0": None,
    "labcoat/HeaterControl-v0": 200,
    "labcoat/RandomWalk-v0": 100_000,
    "labcoat/GridWorld-v0": 400,
    "labcoat/LinearQuadratic-v0": 200,
    "labcoat/SampleCollector-v0": 200,
    "labcoat/ToricCode-v0": 50,
}


def labcoat_specs() -> dict[str, gym.envs.registration.EnvSpec]:
    return {k: v for k, v in gym.registry.items() if v.namespace == "labcoat"}


def test_every_id_registered_in_the_labcoat_namespace():
    assert set(ENV_IDS) == set(EXPECTED) and len(ENV_IDS) == len(EXPECTED)
    assert set(labcoat_specs()) == set(EXPECTED)
    for env_id in ENV_IDS:
        spec = gym.spec(env_id)
        assert spec.namespace == "labcoat"
        assert spec.entry_point.startswith("labcoat.envs.")


def test_registration_is_idempotent():
    before = labcoat_specs()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        register_envs()
        register_envs()
    after = labcoat_specs()
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] for k in before)


@pytest.mark.parametrize("env_id,max_steps", list(EXPECTED.items()))
def test_max_episode_steps(env_id, max_steps):
    assert gym.spec(env_id).max_episode_steps == max_steps


@pytest.mark.parametrize("env_id", ["labcoat/PlantWatering-v0", "labcoat/RandomWalk-v0"])
def test_time_limit_wrapper(env_id):
    env = gym.make(env_id)
    assert isinstance(env, gym.wrappers.TimeLimit)
    assert env.get_wrapper_attr("_max_episode_steps") == EXPECTED[env_id]


def test_bandit_has_a_vector_entry_point():
    assert gym.spec("labcoat/Bandit-v0").vector_entry_point == "labcoat.envs.bandit:BanditVectorEnv"


def python_output(code: str) -> str:
    """Standard output of ``code`` run by a fresh interpreter (which must succeed)."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_registers_without_importing_environment_modules():
    code = (
        "import sys, gymnasium as gym, labcoat.envs\n"
        "assert all(gym.spec(i) for i in labcoat.envs.ENV_IDS)\n"
        "print(sorted(m for m in sys.modules if m.startswith('labcoat.envs.')))\n"
    )
    assert python_output(code).strip() == "[]"


def test_make_from_a_fresh_interpreter():
    """``gym.make("labcoat.envs:labcoat/...")`` imports the package itself (no prior import)."""
    code = (
        "import gymnasium as gym\n"
        f"for env_id in {list(ENV_IDS)!r}:\n"
        "    env = gym.make('labcoat.envs:' + env_id)\n"
        "    env.reset(seed=0)\n"
        "    env.step(env.action_space.sample())\n"
        "    print(env.spec.id)\n"
    )
    assert python_output(code).split() == list(ENV_IDS)
