"""Rendering shared by the environments: the render_mode check and the frame of each mode."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from labcoat.envs._checks import check_choice


def check_render_mode(render_mode: object, render_modes: Sequence[str]) -> str | None:
    """``render_mode`` if it is None or one of ``render_modes``, else a ValueError listing them."""
    return check_choice("render_mode", render_mode, (None, *render_modes))  # type: ignore[return-value]


def render_frame(
    render_mode: str | None, text: Callable[[], str], picture: Callable[[], np.ndarray]
) -> str | np.ndarray | None:
    """The frame of ``render_mode``: ``text()`` for "ansi", ``picture()`` for "rgb_array"."""
    if render_mode == "ansi":
        return text()
    if render_mode == "rgb_array":
        return picture()
    return None
