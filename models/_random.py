"""Seeded random generators and devices, checked where they enter (no global random state)."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import torch

from labcoat.classic._checks import check_int

DeviceLike: TypeAlias = str | torch.device
"""Where a model and its tensors live: "cpu", "cuda", "cuda:1", "mps" or a ``torch.device``."""

DEVICE_TYPES = ("cpu", "cuda", "mps")


def check_seed(seed: object, name: str = "seed") -> int:
    """Return ``seed`` as an int, or raise naming ``name`` and the allowed range (>= 0).

    :func:`labcoat.classic._checks.check_int` with ``low=0`` (its rule: numpy integers are
    accepted, bools and floats are not).

    Raises:
        TypeError: if ``seed`` is not an integer (bools are refused too).
        ValueError: if ``seed`` is negative.
    """
    return check_int(name, seed, 0)


def _available(device: torch.device) -> bool:
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        return (device.index or 0) < count
    if device.type == "mps":
        return torch.backends.mps.is_available() and (device.index or 0) == 0
    return True


def check_device(device: object, name: str = "device") -> torch.device:
    """Return ``device`` as a ``torch.device`` that this machine has, or raise naming ``name``.

    Accepted: "cpu", "cuda", "cuda:<index>", "mps", or a ``torch.device`` of those types.

    Raises:
        TypeError: ``device`` is neither a string nor a ``torch.device``.
        ValueError: an unknown device string or type (e.g. "meta", "gpu"), or a device this
            machine does not have (no CUDA, no Apple GPU, an index past the last GPU).
    """
    allowed = "'cpu', 'cuda', 'cuda:<index>', 'mps' or a torch.device of those"
    if isinstance(device, str):
        try:
            device = torch.device(device)
        except RuntimeError:
            raise ValueError(f"{name} must be {allowed}, got {device!r}") from None
    if not isinstance(device, torch.device):
        raise TypeError(f"{name} must be {allowed}, got {type(device).__name__}")
    if device.type not in DEVICE_TYPES:
        raise ValueError(f"{name} must be {allowed}, got {str(device)!r}")
    if not _available(device):
        raise ValueError(
            f"{name} {str(device)!r} is not available on this machine "
            f"(torch.cuda.is_available() = {torch.cuda.is_available()}, "
            f"torch.backends.mps.is_available() = {torch.backends.mps.is_available()}); "
            "use device='cpu'"
        )
    return device


def torch_generator(
    seed: object, offset: int = 0, name: str = "seed", device: DeviceLike = "cpu"
) -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded with ``seed + offset`` after checking ``seed``.

    The same seed gives the same numbers on the same kind of device; a CUDA generator draws
    other numbers than a CPU one (PyTorch's generators differ by device).
    """
    return torch.Generator(device=device).manual_seed(check_seed(seed, name) + offset)


def generator_on(generator: torch.Generator, device: torch.device) -> torch.Generator:
    """``generator`` if it lives on ``device``, else a new one there with its initial seed.

    A module that owns a generator (dropout masks, a VAE's or DDPM's noise) calls this with
    the device of its input, so its noise is drawn where the data are; moving the module to
    another device restarts its stream from the seed.
    """
    if generator.device == device or (generator.device.type == device.type == "cpu"):
        return generator
    return torch.Generator(device=device).manual_seed(generator.initial_seed())


def sampling_generator(
    generator: torch.Generator | int, device: torch.device, name: str = "generator"
) -> torch.Generator:
    """A sampler's generator on ``device``: a given one via :func:`generator_on`, a seed new.

    An integer ``generator`` is checked as a seed (≥ 0) and seeds a generator on ``device``.
    """
    if isinstance(generator, torch.Generator):
        return generator_on(generator, device)
    return torch_generator(generator, name=name, device=device)


def numpy_generator(seed: object, offset: int = 0, name: str = "seed") -> np.random.Generator:
    """A ``np.random.Generator`` (PCG64) seeded with ``seed + offset`` after checking ``seed``."""
    return np.random.default_rng(check_seed(seed, name) + offset)
