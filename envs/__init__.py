"""labcoat's Gymnasium environments.

Importing this package registers every environment under the ``labcoat`` namespace, so
``gym.make("labcoat/PlantWatering-v0")`` works after ``import labcoat.envs`` and
``gym.make("labcoat.envs:labcoat/PlantWatering-v0")`` works from a fresh interpreter.
Registration only records entry-point strings: no environment module is imported here.
"""

from __future__ import annotations

import importlib
from typing import Any

import gymnasium as gym

__all__ = [
    "ENV_IDS",
    "BanditEnv",
    "BanditVectorEnv",
    "ExperimentHistory",
    "GridWorldEnv",
    "HeaterControlEnv",
    "LinearQuadraticEnv",
    "PlantWateringEnv",
    "RandomWalkEnv",
    "ReactionOptimizationEnv",
    "SampleCollectorEnv",
    "ToricCodeEnv",
    "Transition",
    "TreatmentBanditEnv",
    "register_envs",
]

# Public class -> module; imported on first attribute access so registration stays import-free.
_EXPORTS = {
    "BanditEnv": "bandit",
    "BanditVectorEnv": "bandit",
    "ExperimentHistory": "history",
    "GridWorldEnv": "grid_world",
    "HeaterControlEnv": "heater",
    "LinearQuadraticEnv": "linear_quadratic",
    "PlantWateringEnv": "plant_watering",
    "RandomWalkEnv": "random_walk",
    "ReactionOptimizationEnv": "reaction",
    "SampleCollectorEnv": "sample_collector",
    "ToricCodeEnv": "toric_code",
    "Transition": "_tabular",
    "TreatmentBanditEnv": "treatment_bandit",
}

# id -> keyword arguments of gymnasium.register (entry points are strings: nothing is imported).
_REGISTRY: dict[str, dict[str, Any]] = {
    "labcoat/PlantWatering-v0": dict(
        entry_point="labcoat.envs.plant_watering:PlantWateringEnv",
        max_episode_steps=200,
    ),
    "labcoat/Bandit-v0": dict(
        entry_point="labcoat.envs.bandit:BanditEnv",
        vector_entry_point="labcoat.envs.bandit:BanditVectorEnv",
    ),
    "labcoat/TreatmentBandit-v0": dict(
        entry_point="labcoat.envs.treatment_bandit:TreatmentBanditEnv",
    ),
    "labcoat/ReactionOptimization-v0": dict(
        entry_point="labcoat.envs.reaction:ReactionOptimizationEnv",
    ),
    "labcoat/HeaterControl-v0": dict(
        entry_point="labcoat.envs.heater:HeaterControlEnv",
        max_episode_steps=200,
    ),
    "labcoat/RandomWalk-v0": dict(
        entry_point="labcoat.envs.random_walk:RandomWalkEnv",
        max_episode_steps=100_000,
    ),
    "labcoat/GridWorld-v0": dict(
        entry_point="labcoat.envs.grid_world:GridWorldEnv",
        max_episode_steps=400,
    ),
    "labcoat/LinearQuadratic-v0": dict(
        entry_point="labcoat.envs.linear_quadratic:LinearQuadraticEnv",
        max_episode_steps=200,
    ),
    "labcoat/SampleCollector-v0": dict(
        entry_point="labcoat.envs.sample_collector:SampleCollectorEnv",
        max_episode_steps=200,
    ),
    "labcoat/ToricCode-v0": dict(
        entry_point="labcoat.envs.toric_code:ToricCodeEnv",
        max_episode_steps=50,
    ),
}

ENV_IDS: tuple[str, ...] = tuple(_REGISTRY)
"""The ids of every labcoat environment, in the order of the README's table."""


def register_envs() -> None:
    """Register every labcoat environment with Gymnasium (idempotent)."""
    for env_id, kwargs in _REGISTRY.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, **kwargs)


register_envs()


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
