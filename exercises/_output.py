"""The output folder of a run: checked before any work, filled aside, renamed into place whole.

A run writes into a temporary sibling of ``--out`` (same parent, so the final rename is atomic)
and renames it into place only when every file is written. Readers therefore see no folder or a
complete one; an interrupted run leaves nothing; two runs aimed at one folder cannot mix their
files (POSIX ``rename`` of a folder onto a non-empty folder fails, so the second one loses).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import importlib.metadata
import os
import platform
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from labcoat.classic._io import umask

VERSIONED = ("numpy", "torch", "gymnasium", "stable-baselines3")
"""The packages whose versions ``run.json`` records besides labcoat's."""

_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


class OutputConflict(FileExistsError):
    """Another run filled the output folder while this one ran; this run's files are kept."""


def check_out(text: str | os.PathLike[str], *, force: bool) -> Path:
    """Return ``--out`` as a path after checking that a run can replace it, before any work.

    Raises:
        ValueError: one line naming ``--out``: empty, a file, under a file, in a folder that
            cannot be written, the current folder, or a non-empty folder without ``force``.
    """
    if not str(text).strip():
        raise ValueError("--out must be a folder path, got an empty string")
    out = Path(text)
    absolute = Path(os.path.abspath(out))
    if absolute == absolute.parent or Path.cwd().is_relative_to(absolute):
        raise ValueError(f"--out {out} holds the current folder; choose a folder below it")
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a folder")
    ancestor = absolute.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(f"--out {out} is under {ancestor}, which is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ValueError(f"--out {out}: {ancestor} is not writable")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ValueError(
            f"--out {out} is not empty (another run's files?); choose a new folder, "
            "or pass --force to replace it whole"
        )
    return out


def publish(
    out: Path,
    fill: Callable[[Path], object],
    *,
    force: bool,
    published: Callable[[], object] = lambda: None,
) -> None:
    """Call ``fill(folder)`` on a temporary sibling of ``out``, then rename it into place.

    ``published()`` is called as soon as the folder is in place. With ``force`` an existing
    ``out`` is renamed away first and deleted after that. On any exception (KeyboardInterrupt
    included) the temporary folder is removed and a folder set aside is put back.

    Raises:
        OutputConflict: ``out`` was filled by another run meanwhile; this run's complete
            files are kept in a sibling folder named in the message.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial"))
    try:
        fill(folder)
        os.chmod(folder, 0o777 & ~umask())  # mkdtemp makes 0700; give the usual permissions
        _move_into_place(folder, out, force=force, published=published)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


_FILLED = (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR)
"""What ``rename`` says when the target is another run's folder (or a file)."""


def _move_into_place(
    folder: Path, out: Path, *, force: bool, published: Callable[[], object]
) -> None:
    old = _set_aside(out) if force else None
    try:
        os.rename(folder, out)  # atomic; replaces a missing or empty folder, fails on a full one
    except OSError as error:
        if error.errno not in _FILLED:
            _put_back(old, out)
            raise
        _discard(old)  # another run replaced it too; its whole folder stays
        kept = out.with_name(f"{out.name}.{secrets.token_hex(4)}")
        os.rename(folder, kept)
        raise OutputConflict(
            f"--out {out} was filled by another run meanwhile; this run's files are in {kept}"
        ) from None
    except BaseException:
        _put_back(old, out)  # e.g. Ctrl-C: the previous folder is not lost
        raise
    published()
    _discard(old)


def _set_aside(out: Path) -> Path | None:
    old = out.with_name(f".{out.name}.{secrets.token_hex(4)}.old")
    try:
        os.rename(out, old)
    except FileNotFoundError:
        return None
    return old


def _put_back(old: Path | None, out: Path) -> None:
    if old is not None:
        with contextlib.suppress(OSError):
            os.rename(old, out)


def _discard(old: Path | None) -> None:
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def run_info(command: Sequence[str], started: dt.datetime, seconds: float) -> dict[str, Any]:
    """What ``run.json`` records beside the exercise: versions, commit, command, date, time."""
    return {
        "labcoat": _version("labcoat"),
        "git_commit": git_commit(Path(__file__).resolve().parents[1]),
        "python": platform.python_version(),
        "versions": {name: _version(name) for name in VERSIONED},
        "command": list(command),
        "started_utc": started.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(seconds, 3),
    }


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def git_commit(work_tree: Path) -> str | None:
    """The commit checked out in ``work_tree``, read from its ``.git`` (no git process).

    Handles a ``.git`` folder, a ``.git`` file (linked worktrees), loose and packed refs and a
    detached HEAD; returns None when ``work_tree`` is not a git checkout or anything is odd.
    """
    with contextlib.suppress(OSError, UnicodeDecodeError):
        git_dir = _git_dir(work_tree)
        if git_dir is not None:
            return _resolve_head(git_dir)
    return None


def _git_dir(work_tree: Path) -> Path | None:
    dot_git = work_tree / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():
        text = dot_git.read_text().strip()
        if text.startswith("gitdir:"):
            return (work_tree / text.removeprefix("gitdir:").strip()).resolve()
    return None


def _resolve_head(git_dir: Path) -> str | None:
    head = (git_dir / "HEAD").read_text().strip()
    if not head.startswith("ref:"):
        return head if _SHA.fullmatch(head) else None
    ref = head.removeprefix("ref:").strip()
    common = git_dir
    if (git_dir / "commondir").is_file():
        common = (git_dir / (git_dir / "commondir").read_text().strip()).resolve()
    for base in (git_dir, common):
        if (base / ref).is_file():
            sha = (base / ref).read_text().strip()
            return sha if _SHA.fullmatch(sha) else None
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1] == ref and _SHA.fullmatch(parts[0]):
                return parts[0]
    return None
