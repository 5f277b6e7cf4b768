"""labcoat's exercises and the ``labcoat`` command.

Each exercise is a module with a frozen ``Config`` dataclass and ``run(config) -> Result``; the
command line (``labcoat run NAME``) and notebooks call the same code::

    from labcoat.exercises import get_exercise
    plant = get_exercise("plant")
    result = plant.run(plant.config(seed=1))
"""

from __future__ import annotations

import importlib

from labcoat.exercises._framework import Exercise, Result, Table, apply_overrides, write_result
from labcoat.exercises._registry import EXERCISES

__all__ = [
    "EXERCISES",
    "Exercise",
    "Result",
    "Table",
    "apply_overrides",
    "get_exercise",
    "write_result",
]


def get_exercise(name: str) -> Exercise:
    """The exercise called ``name`` (see ``labcoat list``)."""
    if name not in EXERCISES:
        raise ValueError(f"unknown exercise {name!r}; choose one of {', '.join(EXERCISES)}")
    module = importlib.import_module(EXERCISES[name][0])
    exercise: Exercise = module.EXERCISE
    return exercise
