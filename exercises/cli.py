"""The ``labcoat`` command: ``labcoat list``, ``envs``, ``show``, ``run`` and ``tour``."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.metadata
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from labcoat.exercises import EXERCISES, Exercise, get_exercise
from labcoat.exercises._framework import (
    Result,
    apply_overrides,
    atomic_write_bytes,
    mark_quick,
    progress_enabled,
    write_result,
)
from labcoat.exercises._help import help_text
from labcoat.exercises._output import OutputConflict, check_out, publish, run_info
from labcoat.exercises._tables import rich_tables

# Piped or logged output gets a wide console (rich assumes 80 columns), so tables stay whole.
console = Console(width=None if sys.stdout.isatty() else 140)


def _first_line(obj: object) -> str:
    doc = (getattr(obj, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else ""


def _print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a table whole at the console's width: wrapped headers, or split in parts."""
    for table in rich_tables(title, columns, rows, console.width):
        console.print(table)


def _space(space: object) -> str:
    """A short name for a space: ``Discrete(3)``, ``Box(4,)``."""
    shape = getattr(space, "shape", None)
    if type(space).__name__ == "Box" and shape is not None:
        return f"Box{tuple(shape)}"
    return str(space)


def env_rows() -> list[list[str]]:
    """One row per registered labcoat environment: id, spaces, description."""
    import gymnasium as gym

    import labcoat.envs

    rows = []
    for env_id in labcoat.envs.ENV_IDS:
        env = gym.make(env_id)
        try:
            rows.append(
                [
                    env_id,
                    _space(env.observation_space),
                    _space(env.action_space),
                    _first_line(type(env.unwrapped)),
                ]
            )
        finally:
            env.close()
    return rows


def cmd_envs(_: argparse.Namespace) -> int:
    """Print the environment table."""
    _print_table("labcoat environments", ["id", "observation", "action", "what"], env_rows())
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Print the exercises, then the environments and the agents."""
    _print_table(
        "labcoat exercises (labcoat run NAME)",
        ["name", "what"],
        [[name, summary] for name, (_, summary) in EXERCISES.items()],
    )
    cmd_envs(args)
    agents = importlib.import_module("labcoat.agents")
    rows = [
        [name, _first_line(getattr(agents, name))]
        for name in getattr(agents, "__all__", [])
        if isinstance(getattr(agents, name), type)
    ]
    _print_table("labcoat agents (labcoat.agents)", ["name", "what"], rows)
    return 0


def print_exercise_help(name: str) -> None:
    """Print an exercise's summary and every config field: type, default, range, meaning.

    Raises:
        UsageError: an unknown exercise (the message proposes the closest names).
    """
    try:
        exercise = get_exercise(name)
    except ValueError as error:
        raise UsageError(str(error)) from None
    console.print(f"[bold]labcoat run {name}[/bold]: {exercise.summary}", highlight=False)
    for line in help_text(exercise):
        console.print(line, highlight=False)
    console.print()
    console.print(
        "--quick applies the 'quick' column; --seed N is --set seed=N. "
        "From Python: get_exercise(NAME).config(key=value, ...).",
        highlight=False,
    )


def cmd_show(args: argparse.Namespace) -> int:
    """Print an exercise's settings."""
    print_exercise_help(args.exercise)
    return 0


def _parse_sets(pairs: Sequence[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--set expects key=value, got {pair!r}")
        overrides[key.strip()] = value.strip()
    return overrides


class UsageError(Exception):
    """A bad command-line argument, found before any work: one line on stderr, exit status 2."""


def build_config(
    name: str, *, seed: int | None, quick: bool, sets: Sequence[str]
) -> tuple[Exercise, Any]:
    """The exercise and its config with ``--quick``, ``--set`` and ``--seed`` applied.

    Raises:
        UsageError: a malformed ``--set``, an unknown key, or a value the config refuses
            (its TypeError or ValueError, which name the field and its allowed range).
    """
    try:
        user_sets = _parse_sets(sets)
        exercise = get_exercise(name)
        overrides = {k: str(v) for k, v in exercise.quick.items()} if quick else {}
        overrides.update(user_sets)
        if seed is not None:
            overrides["seed"] = str(seed)
        return exercise, apply_overrides(exercise.config(), overrides)
    except (TypeError, ValueError) as error:
        raise UsageError(str(error)) from None


@dataclass
class Progress:
    """Where a command writes and whether its folder is in place (for the Ctrl-C message)."""

    out: Path | None = None
    published: bool = False

    def done(self) -> None:
        """Record that the output folder is in place, whole."""
        self.published = True


@dataclass
class Finished:
    """A run done in memory: what ``write_run`` puts in its folder."""

    name: str
    quick: bool
    config: Any
    result: Result
    started: dt.datetime
    seconds: float


def execute(name: str, exercise: Exercise, config: Any, *, quick: bool) -> Finished:
    """Run an exercise in memory (nothing is written) and print its tables."""
    console.print(f"[bold]labcoat run {name}[/bold]" + (" (quick)" if quick else ""))
    started, clock = dt.datetime.now(dt.UTC), time.perf_counter()
    with progress_enabled(True):
        result = exercise.run(config)
    seconds = time.perf_counter() - clock
    if quick:
        mark_quick(result)
    for table in result.tables.values():
        _print_table(table.title, table.columns, table.rows)
    return Finished(name, quick, config, result, started, seconds)


def write_run(run: Finished, folder: Path, command: Sequence[str]) -> list[Path]:
    """Write a run's results and its ``run.json`` into ``folder``.

    The volatile things (versions, commit, command, date, wall time) go to ``run.json`` only,
    so that the same seed writes byte-identical CSV and ``metrics.json``.
    """
    written = write_result(run.result, folder, run.config)
    info = {"exercise": run.name, "quick": run.quick, **run_info(command, run.started, run.seconds)}
    atomic_write_bytes(folder / "run.json", json.dumps(info, indent=2).encode())
    return [*written, folder / "run.json"]


def _default_out(name: str) -> Path:
    return Path("labcoat-runs") / f"{name}-{dt.datetime.now():%Y%m%d-%H%M%S}"


def _checked_out(out: str | Path | None, name: str, force: bool, progress: Progress) -> Path:
    try:
        progress.out = check_out(_default_out(name) if out is None else out, force=force)
    except ValueError as error:
        raise UsageError(str(error)) from None
    return progress.out


def run_one(
    name: str,
    *,
    seed: int | None,
    out: str | Path | None,
    quick: bool,
    sets: Sequence[str],
    force: bool = False,
    command: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> tuple[Result, Path]:
    """Check the config and ``out`` before any work, run, then publish ``out`` whole.

    Raises:
        UsageError: a bad setting or output folder (before any work).
        OutputConflict: another run filled ``out`` meanwhile (this run's files are kept).
    """
    progress = progress or Progress()
    exercise, config = build_config(name, seed=seed, quick=quick, sets=sets)
    folder = _checked_out(out, name, force, progress)
    run = execute(name, exercise, config, quick=quick)
    files: list[Path] = []

    def fill(tmp: Path) -> None:
        files.extend(folder / p.relative_to(tmp) for p in write_run(run, tmp, command or sys.argv))

    publish(folder, fill, force=force, published=progress.done)
    console.print(f"{name}: {run.seconds:.1f} s; {len(files)} files in [bold]{folder}[/bold]")
    for path in files:
        console.print(f"  {KINDS.get(path.suffix, 'file')}: {path}", highlight=False)
    return run.result, folder


KINDS = {".png": "plot", ".csv": "csv", ".json": "json"}
"""How the file list after a run names each kind of file."""


def cmd_run(args: argparse.Namespace) -> int:
    """Run one exercise, or print its help (``labcoat run NAME --help``)."""
    if args.help or args.exercise is None:
        args.run_parser.print_help()
        if args.exercise is not None:
            print()
            print_exercise_help(args.exercise)
        return 0 if args.help else 2
    run_one(
        args.exercise,
        seed=args.seed,
        out=args.out,
        quick=args.quick,
        sets=args.set,
        force=args.force,
        command=args.command_line,
        progress=args.progress,
    )
    return 0


TOUR = (("plant", False), ("bandits", True))
"""The tour: each exercise and whether it runs in quick mode."""


def cmd_tour(args: argparse.Namespace) -> int:
    """The main job: the plant MDP in full and the bandit testbed in quick mode, one folder."""
    configs = {
        name: build_config(name, seed=args.seed, quick=quick, sets=()) for name, quick in TOUR
    }
    root = _checked_out(args.out, "tour", args.force, args.progress)
    runs = [execute(name, *configs[name], quick=quick) for name, quick in TOUR]

    def fill(tmp: Path) -> None:
        for run in runs:
            write_run(run, tmp / run.name, args.command_line)

    publish(root, fill, force=args.force, published=args.progress.done)
    console.print(f"tour done: plots and CSV under [bold]{root}[/bold]")
    return 0


OUT_HELP = "output folder, filled whole when the run completes (default: labcoat-runs/NAME-TIME)"
FORCE_HELP = "replace a non-empty --out folder whole"


def _version() -> str:
    try:
        return importlib.metadata.version("labcoat")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``labcoat`` command."""
    parser = argparse.ArgumentParser(
        prog="labcoat", description="Reinforcement learning and generative modelling, by doing."
    )
    parser.add_argument("--version", action="version", version=f"labcoat {_version()}")
    parser.set_defaults(func=None)
    add_subcommands(parser.add_subparsers(dest="command", metavar="COMMAND"))
    return parser


def add_subcommands(sub: Any) -> None:
    """The subcommands, each with its ``func`` (one place to add a command)."""
    sub.add_parser("list", help="list exercises, environments and agents").set_defaults(
        func=cmd_list
    )
    sub.add_parser("envs", help="list the registered environments").set_defaults(func=cmd_envs)
    show = sub.add_parser("show", help="an exercise's settings: type, default, range, meaning")
    show.add_argument("exercise", metavar="NAME", help=f"one of {', '.join(EXERCISES)}")
    show.set_defaults(func=cmd_show)
    run = sub.add_parser(
        "run", help="run an exercise", add_help=False, epilog=RUN_EPILOG, usage=RUN_USAGE
    )
    run.add_argument("-h", "--help", action="store_true", help="this help, and NAME's settings")
    run.add_argument("exercise", nargs="?", metavar="NAME", help=f"one of {', '.join(EXERCISES)}")
    run.add_argument("--seed", type=int, default=None, help="random seed (default: the config's)")
    run.add_argument("--out", default=None, help=OUT_HELP)
    run.add_argument("--force", action="store_true", help=FORCE_HELP)
    run.add_argument("--quick", action="store_true", help="a small, fast version")
    run.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="change a config field"
    )
    run.set_defaults(func=cmd_run, run_parser=run)
    tour = sub.add_parser("tour", help="run plant and bandits (quick): the main job")
    tour.add_argument("--seed", type=int, default=None)
    tour.add_argument("--out", default=None, help=OUT_HELP)
    tour.add_argument("--force", action="store_true", help=FORCE_HELP)
    tour.set_defaults(func=cmd_tour)
    from labcoat.exercises import studies  # studies imports this module

    studies.add_commands(sub)


RUN_USAGE = "labcoat run NAME [--quick] [--seed N] [--set KEY=VALUE ...] [--out DIR] [--force]"
RUN_EPILOG = "labcoat run NAME --help (or labcoat show NAME) lists NAME's settings."


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``labcoat`` command.

    One BLAS/torch thread per process unless ``OMP_NUM_THREADS`` says otherwise: labcoat's
    models are small, and extra threads only contend (ten times slower on a loaded 2-core box).
    """
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.func is None:
        parser.print_help()
        return 0
    args.command_line, args.progress = ["labcoat", *argv], Progress()
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        print(_interrupted(args.progress), file=sys.stderr)
        return 130
    except OutputConflict as error:
        print(f"labcoat: error: {error}", file=sys.stderr)
        return 1
    except (UsageError, ValueError) as error:
        print(f"labcoat: error: {error}", file=sys.stderr)
        return 2
    return code


def _interrupted(progress: Progress) -> str:
    if progress.published:
        return f"interrupted; the run's files are complete in {progress.out}"
    if progress.out is None:
        return "interrupted; nothing written"
    return f"interrupted; nothing written to {progress.out}"


__all__ = [
    "Finished",
    "Progress",
    "UsageError",
    "build_config",
    "build_parser",
    "execute",
    "main",
    "print_exercise_help",
    "run_one",
    "write_run",
]
