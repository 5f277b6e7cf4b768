"""labcoat's exercises and the ``labcoat`` command.

Each exercise is a module with a frozen ``Config`` dataclass and ``run(config) -> Result``; the
command line (``labcoat run NAME``) and notebooks call the same code::

    from labcoat.exercises import get_exercise, write_result
    plant = get_exercise("plant")
    config = plant.config(quick=True, seed=1)  # or a dict: plant.config({"gamma": 0.8})
    result = plant.run(config)  # tables, figures, data, metrics
    write_result(result, "plant-run")  # CSV, JSON and PNG files
"""

from __future__ import annotations

import importlib

from labcoat.exercises._framework import (
    Exercise,
    Result,
    Table,
    apply_overrides,
    did_you_mean,
    write_result,
)
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
    """The exercise called ``name`` (see ``labcoat list``).

    Raises:
        ValueError: an unknown name; the message proposes the closest names.
    """
    if name not in EXERCISES:
        raise ValueError(
            f"unknown exercise {name!r}{did_you_mean(name, EXERCISES)}; "
            f"choose one of {', '.join(EXERCISES)}"
        )
    module = importlib.import_module(EXERCISES[name][0])
    exercise: Exercise = module.EXERCISE
    return exercise
