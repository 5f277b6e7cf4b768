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


def _spec(
    env_class: str, max_episode_steps: int | None = None, vector_class: str | None = None
) -> dict[str, Any]:
    """Keyword arguments of gymnasium.register for a class of ``_EXPORTS`` (entry-point strings)."""
    spec: dict[str, Any] = {"entry_point": f"{__name__}.{_EXPORTS[env_class]}:{env_class}"}
    if max_episode_steps is not None:
        spec["max_episode_steps"] = max_episode_steps
    if vector_class is not None:
        spec["vector_entry_point"] = f"{__name__}.{_EXPORTS[vector_class]}:{vector_class}"
    return spec


# id -> keyword arguments of gymnasium.register (entry points are strings: nothing is imported).
_REGISTRY: dict[str, dict[str, Any]] = {
    "labcoat/PlantWatering-v0": _spec("PlantWateringEnv", 200),
    "labcoat/Bandit-v0": _spec("BanditEnv", vector_class="BanditVectorEnv"),
    "labcoat/TreatmentBandit-v0": _spec("TreatmentBanditEnv"),
    "labcoat/ReactionOptimization-v0": _spec("ReactionOptimizationEnv"),
    "labcoat/HeaterControl-v0": _spec("HeaterControlEnv", 200),
    "labcoat/RandomWalk-v0": _spec("RandomWalkEnv", 100_000),
    "labcoat/GridWorld-v0": _spec("GridWorldEnv", 400),
    "labcoat/LinearQuadratic-v0": _spec("LinearQuadraticEnv", 200),
    "labcoat/SampleCollector-v0": _spec("SampleCollectorEnv", 200),
    "labcoat/ToricCode-v0": _spec("ToricCodeEnv", 50),
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
