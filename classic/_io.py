"""Atomic file writes: the one writer of labcoat (agent files, exercise results, run folders).

A reader sees the old file or the whole new one, never a part: the content is written to a
temporary file in the same folder and renamed over the target (``os.replace`` is atomic on
one file system). Files get the usual permissions (0666 less the umask), not mkstemp's 0600.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def umask() -> int:
    """The process's file-creation mask (read without changing it for long)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> Path:
    """Create or replace ``path`` atomically with what ``write(handle)`` writes; returns it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_bytes(path: Path, payload: bytes) -> Path:
    """:func:`atomic_write` of a bytes payload."""
    return atomic_write(path, lambda handle: handle.write(payload))
