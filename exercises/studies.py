"""Studies: one exercise over seeds x settings, on this machine or a Ray cluster.

``labcoat sweep EXERCISE --seeds 0-9 --grid key=v1,v2`` runs one trial per (setting, seed): an
ordinary exercise run whose folder ``OUT/<setting>/seed-<seed>/`` holds what ``labcoat run``
writes (config.json, metrics.json, CSV, PNG, run.json), renamed into place whole. The sweep is
resumable: a trial whose folder is in place is skipped when the sweep is started again. A trial
that fails leaves ``OUT/<setting>/seed-<seed>.failed.json`` (its error and traceback) and the
others go on; it is tried again on the next start. ``OUT/sweep.json`` lists the trials and their
status.

Engines: ``local`` runs the trials in a process pool on this machine (``jobs`` workers, one
BLAS/torch thread each; ``jobs=1`` runs them one after another in this process); ``ray`` runs
each trial as a Ray task (``ray.init(address=...)``: ``"auto"`` joins a running cluster, none
starts a local Ray with ``jobs`` CPUs). A worker returns the trial's files to the driver, which
writes them, so the nodes of a cluster need no shared disk. A trial's numbers depend only on
its exercise, settings and seed: same seed, same files on both engines.

``labcoat compare DIR [DIR ...]`` reads sweeps and reports every scalar metric per setting over
its seeds: mean, IQM and median with 95 % stratified bootstrap intervals (labcoat.exercises.stats),
as tables, CSV and plots (interval estimates, performance profiles, learning curves).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import datetime as dt
import functools
import itertools
import json
import math
import multiprocessing
import os
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from rich.console import Console
from rich.table import Table as RichTable

from labcoat.exercises import EXERCISES, stats
from labcoat.exercises._framework import (
    Result,
    Table,
    atomic_write_bytes,
    check_choice,
    check_int,
    progress_enabled,
    track,
    write_result,
)
from labcoat.exercises._output import check_out, publish
from labcoat.exercises.cli import Finished as _Finished
from labcoat.exercises.cli import UsageError, build_config, write_run

ENGINES = ("local", "ray")
"""Where the trials run: a process pool on this machine, or Ray tasks."""

RAY_MISSING = (
    "the ray engine needs Ray, which is not installed: pip install 'labcoat[ray]' "
    "(or use --engine local)"
)


@dataclass(frozen=True)
class Trial:
    """One exercise run of a sweep: the exercise, its settings (``--set`` texts) and seed."""

    exercise: str
    seed: int
    settings: tuple[tuple[str, str], ...] = ()
    quick: bool = False

    @property
    def setting(self) -> str:
        """The setting's folder name: ``key=value,key=value``, or ``default``."""
        if not self.settings:
            return "default"
        return re.sub(r"[^\w.=,+-]", "_", ",".join(f"{k}={v}" for k, v in self.settings))

    @property
    def folder(self) -> str:
        """The trial's folder below the sweep's: ``<setting>/seed-<seed>``."""
        return f"{self.setting}/seed-{self.seed}"


@dataclass
class Outcome:
    """What a worker returns: the trial's files (path -> bytes), or its error."""

    trial: Trial
    files: dict[str, bytes] | None
    error: str | None
    seconds: float


@dataclass
class SweepReport:
    """What a sweep did: trials run now, skipped as finished before, and failed."""

    out: Path
    trials: list[Trial]
    finished: list[Trial] = field(default_factory=list)
    skipped: list[Trial] = field(default_factory=list)
    failed: dict[Trial, str] = field(default_factory=dict)


# ---------------------------------------------------------------- planning


def parse_seeds(text: str) -> list[int]:
    """Seeds from ``0-9``, ``1,5,7`` or ``0-4,10`` (ranges inclusive, no repeats).

    Raises:
        ValueError: naming ``--seeds`` and the accepted forms.
    """
    seeds: list[int] = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if match is None or (match[2] is not None and int(match[2]) < int(match[1])):
            raise ValueError(
                f"--seeds must be seeds >= 0 as 0-9, 1,5,7 or 0-4,10 (ranges low-high), "
                f"got {text!r}"
            )
        high = int(match[2] if match[2] is not None else match[1])
        seeds.extend(s for s in range(int(match[1]), high + 1) if s not in seeds)
    return seeds


def parse_grid(texts: Sequence[str]) -> dict[str, list[str]]:
    """``key=v1,v2,...`` options as a mapping key -> values.

    Raises:
        ValueError: an option without ``=``, a key or a value, or a repeated key.
    """
    grid: dict[str, list[str]] = {}
    for text in texts:
        key, sep, values = text.partition("=")
        parts = [v.strip() for v in values.split(",")]
        if not sep or not key.strip() or not all(parts) or key.strip() in grid:
            raise ValueError(f"--grid expects key=v1,v2,... once per key, got {text!r}")
        grid[key.strip()] = parts
    return grid


def parse_random(texts: Sequence[str]) -> dict[str, tuple[float, float, int]]:
    """``key=low:high:n`` options as a mapping key -> (low, high, n).

    Raises:
        ValueError: a malformed option, ``low > high`` or ``n < 1``.
    """
    ranges: dict[str, tuple[float, float, int]] = {}
    for text in texts:
        key, _, spec = text.partition("=")
        parts = spec.split(":")
        try:
            low, high, n = float(parts[0]), float(parts[1]), int(parts[2])
        except (IndexError, ValueError):
            low, high, n = math.nan, math.nan, 0
        if len(parts) != 3 or not key.strip() or not low <= high or n < 1:
            raise ValueError(
                f"--random expects key=low:high:n with finite low <= high and n >= 1, got {text!r}"
            )
        ranges[key.strip()] = (low, high, n)
    return ranges


def random_values(
    ranges: Mapping[str, tuple[float, float, int]], seed: int
) -> dict[str, list[str]]:
    """``n`` values per key drawn uniformly from [low, high]: integers when both are integers.

    The draws come from ``np.random.default_rng(seed)``, key after key in the given order.
    """
    rng = np.random.default_rng(seed)
    values = {}
    for key, (low, high, n) in ranges.items():
        if low.is_integer() and high.is_integer():
            draws = rng.integers(int(low), int(high), size=n, endpoint=True)
            values[key] = [str(int(v)) for v in draws]
        else:
            values[key] = [f"{v:.6g}" for v in rng.uniform(low, high, size=n)]
    return values


def plan(
    exercise: str,
    seeds: Sequence[int],
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    quick: bool = False,
) -> list[Trial]:
    """Every (setting, seed) of the grid, each setting's config checked before any work.

    Raises:
        ValueError: an unknown exercise, a bad seed, or a setting its config refuses
            (naming the key and its allowed range).
    """
    check_choice("exercise", exercise, tuple(EXERCISES))
    if not seeds:
        raise ValueError("seeds must hold at least one seed >= 0, got none")
    seeds = [check_int("seed", s, 0) for s in seeds]
    grid = grid or {}
    keys = list(grid)
    settings = [
        tuple(zip(keys, map(str, values), strict=True))
        for values in itertools.product(*(grid[k] for k in keys))
    ]
    for setting in settings:
        try:
            build_config(
                exercise, seed=seeds[0], quick=quick, sets=[f"{k}={v}" for k, v in setting]
            )
        except UsageError as error:
            raise ValueError(str(error)) from None
    return [Trial(exercise, seed, setting, quick) for setting in settings for seed in seeds]


# ---------------------------------------------------------------- one trial


def run_trial(trial: Trial) -> Outcome:
    """Run one trial in memory and return its files; an exception becomes the error text.

    The files are those of ``labcoat run`` (``write_run``), made in a temporary folder.
    """
    clock = time.perf_counter()
    started = dt.datetime.now(dt.UTC)
    try:
        sets = [f"{k}={v}" for k, v in trial.settings]
        exercise, config = build_config(
            trial.exercise, seed=trial.seed, quick=trial.quick, sets=sets
        )
        with progress_enabled(False):
            result = exercise.run(config)
        seconds = time.perf_counter() - clock
        run = _Finished(trial.exercise, trial.quick, config, result, started, seconds)
        command = ["labcoat", "run", trial.exercise, "--seed", str(trial.seed)]
        command += ["--quick"] * trial.quick + [a for s in sets for a in ("--set", s)]
        with tempfile.TemporaryDirectory(prefix="labcoat-trial-") as tmp:
            paths = write_run(run, Path(tmp), command)
            files = {str(p.relative_to(tmp)): p.read_bytes() for p in paths}
    except Exception:
        return Outcome(trial, None, traceback.format_exc(), time.perf_counter() - clock)
    return Outcome(trial, files, None, time.perf_counter() - clock)


def _failed_path(out: Path, trial: Trial) -> Path:
    return out / trial.setting / f"seed-{trial.seed}.failed.json"


def is_finished(out: Path, trial: Trial) -> bool:
    """Whether the trial's folder is in place (folders appear whole, so it is complete)."""
    return (out / trial.folder / "metrics.json").is_file()


def record(out: Path, outcome: Outcome) -> None:
    """Publish a finished trial's folder whole, or write the failed trial's error file."""
    failed = _failed_path(out, outcome.trial)
    if outcome.files is None:
        report = {
            "trial": outcome.trial.folder,
            "error": outcome.error,
            "seconds": round(outcome.seconds, 3),
        }
        atomic_write_bytes(failed, json.dumps(report, indent=2).encode())
        return
    files = outcome.files

    def fill(tmp: Path) -> None:
        for name, payload in files.items():
            atomic_write_bytes(tmp / name, payload)

    publish(out / outcome.trial.folder, fill, force=True)
    failed.unlink(missing_ok=True)


# ---------------------------------------------------------------- engines


def _local(trials: Sequence[Trial], jobs: int) -> Iterator[Outcome]:
    if jobs == 1:
        yield from map(run_trial, trials)
        return
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(variable, "1")  # read by the workers' BLAS and torch at import
    context = multiprocessing.get_context("spawn")  # no fork of a process holding torch threads
    with concurrent.futures.ProcessPoolExecutor(jobs, context) as pool:
        futures = {pool.submit(run_trial, trial): trial for trial in trials}
        try:
            for future in concurrent.futures.as_completed(futures):
                yield _collect(futures[future], future.result)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _collect(trial: Trial, get: Any) -> Outcome:
    """The worker's outcome, or the engine's error (a worker that died) as the trial's."""
    try:
        outcome: Outcome = get()
    except Exception:
        return Outcome(trial, None, traceback.format_exc(), 0.0)
    return outcome


def import_ray() -> Any:
    """Import Ray, or say how to install it.

    Raises:
        ImportError: Ray is missing; the message names ``pip install 'labcoat[ray]'``.
    """
    try:
        import ray
    except ImportError:
        raise ImportError(RAY_MISSING) from None
    return ray


def _ray(trials: Sequence[Trial], jobs: int, address: str | None) -> Iterator[Outcome]:
    ray = import_ray()
    if not ray.is_initialized():
        threads = {v: "1" for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
        ray.init(
            address=address,
            num_cpus=jobs if address is None else None,
            runtime_env={"env_vars": threads},
            include_dashboard=False,
            logging_level="warning",
        )
    task = ray.remote(num_cpus=1)(run_trial)
    refs = {task.remote(trial): trial for trial in trials}
    pending = list(refs)
    try:
        while pending:
            (ready,), pending = ray.wait(pending, num_returns=1)
            yield _collect(refs[ready], functools.partial(ray.get, ready))
    finally:
        for ref in pending:
            ray.cancel(ref)


def outcomes(
    trials: Sequence[Trial], *, engine: str = "local", jobs: int = 1, address: str | None = None
) -> Iterator[Outcome]:
    """Run trials on an engine; outcomes come in the order they finish."""
    if engine == "ray":
        return _ray(trials, jobs, address)
    return _local(trials, jobs)


# ---------------------------------------------------------------- the sweep


def _check_sweep(engine: str, jobs: int | None, address: str | None) -> int:
    check_choice("engine", engine, ENGINES)
    if address is not None and engine != "ray":
        raise ValueError(f"address is for the ray engine, got engine={engine!r}")
    if jobs is None:
        return os.cpu_count() or 1
    return check_int("jobs", jobs, 1)


def sweep(
    exercise: str,
    seeds: Sequence[int],
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    quick: bool = False,
    out: str | os.PathLike[str] = "labcoat-runs/sweep",
    engine: str = "local",
    jobs: int | None = None,
    address: str | None = None,
) -> SweepReport:
    """Run ``exercise`` for every seed and every setting of ``grid``; skip finished trials.

    Args:
        exercise: an exercise name (``labcoat list``).
        seeds: the seeds, each ``>= 0``.
        grid: key -> values: every combination is one setting (``--set key=value``).
        quick: run the exercise's quick version.
        out: the sweep's folder; trials go to ``out/<setting>/seed-<seed>/``.
        engine: ``"local"`` (a process pool) or ``"ray"`` (Ray tasks).
        jobs: local workers, or the CPUs of a local Ray (default: this machine's CPUs).
        address: the Ray cluster (``"auto"``, ``"ray://host:10001"``); None starts a local Ray.

    Raises:
        ValueError: a bad argument or setting, found before any trial runs.
        ImportError: ``engine="ray"`` without Ray installed.
    """
    jobs = _check_sweep(engine, jobs, address)
    trials = plan(exercise, seeds, grid, quick=quick)
    folder = check_out(out, force=True)  # an existing sweep folder is resumed, never emptied
    if engine == "ray":
        import_ray()
    report = SweepReport(folder, trials)
    todo: list[Trial] = []
    for trial in trials:
        (report.skipped if is_finished(folder, trial) else todo).append(trial)
    _write_index(report, {"exercise": exercise, "seeds": list(seeds), "quick": quick})
    done = outcomes(todo, engine=engine, jobs=jobs, address=address)
    for outcome in track(done, f"{exercise} trials", total=len(todo)):
        record(folder, outcome)
        if outcome.error is None:
            report.finished.append(outcome.trial)
        else:
            report.failed[outcome.trial] = outcome.error
    _write_index(report, {"exercise": exercise, "seeds": list(seeds), "quick": quick})
    return report


def _write_index(report: SweepReport, spec: dict[str, Any]) -> None:
    def status(trial: Trial) -> str:
        if trial in report.failed:
            return "failed"
        return "finished" if is_finished(report.out, trial) else "pending"

    trials = [
        {"folder": t.folder, "seed": t.seed, "settings": dict(t.settings), "status": status(t)}
        for t in report.trials
    ]
    index = {**spec, "trials": trials}
    atomic_write_bytes(report.out / "sweep.json", json.dumps(index, indent=2).encode())


# ---------------------------------------------------------------- the command line


def _sweep_out(name: str) -> Path:
    return Path("labcoat-runs") / f"sweep-{name}-{dt.datetime.now():%Y%m%d-%H%M%S}"


def cmd_sweep(args: argparse.Namespace) -> int:
    """``labcoat sweep``: parse the options, run the sweep with a progress bar, summarize."""
    try:
        grid: dict[str, list[str]] = parse_grid(args.grid)
        random = random_values(parse_random(args.random), args.random_seed)
        if set(grid) & set(random):
            raise ValueError(f"--grid and --random both set {sorted(set(grid) & set(random))}")
        seeds = parse_seeds(args.seeds)
        with progress_enabled(True):
            report = sweep(
                args.exercise,
                seeds,
                {**grid, **random},
                quick=args.quick,
                out=args.out or _sweep_out(args.exercise),
                engine=args.engine,
                jobs=args.jobs,
                address=args.address,
            )
    except ImportError as error:
        raise UsageError(str(error)) from None
    print(
        f"{args.exercise}: {len(report.finished)} trials run, {len(report.skipped)} finished "
        f"before, {len(report.failed)} failed; in {report.out}"
    )
    for trial, text in report.failed.items():
        print(f"  failed {trial.folder}: {text.strip().splitlines()[-1]}", file=sys.stderr)
    return 1 if report.failed else 0


def add_commands(subparsers: Any) -> None:
    """Add ``sweep`` and ``compare`` to the ``labcoat`` command's subparsers."""
    sweep_parser = subparsers.add_parser(
        "sweep", help="run an exercise over seeds x settings (resumable)"
    )
    sweep_parser.add_argument("exercise", choices=sorted(EXERCISES))
    sweep_parser.add_argument("--seeds", default="0-4", help="seeds: 0-9, 1,5,7 (default 0-4)")
    sweep_parser.add_argument(
        "--grid", action="append", default=[], metavar="KEY=V1,V2", help="values of a setting"
    )
    sweep_parser.add_argument(
        "--random",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH:N",
        help="N values drawn uniformly (integers if LOW and HIGH are)",
    )
    sweep_parser.add_argument("--random-seed", type=int, default=0, help="seed of --random")
    sweep_parser.add_argument("--quick", action="store_true", help="quick trials")
    sweep_parser.add_argument("--jobs", type=int, default=None, help="workers (default: CPUs)")
    sweep_parser.add_argument("--engine", choices=ENGINES, default="local")
    sweep_parser.add_argument("--address", default=None, help="Ray cluster address, or auto")
    sweep_parser.add_argument(
        "--out", default=None, help="sweep folder (default labcoat-runs/sweep-NAME-TIME)"
    )
    sweep_parser.set_defaults(func=cmd_sweep)
    compare_parser = subparsers.add_parser(
        "compare", help="IQM, mean, median with 95%% CIs over seeds of sweeps"
    )
    compare_parser.add_argument("dirs", nargs="+", metavar="DIR", help="sweep folders")
    compare_parser.add_argument(
        "--metric", action="append", default=[], help="metrics whose name contains this"
    )
    compare_parser.add_argument(
        "--out", default=None, help="report folder (default labcoat-runs/compare-TIME)"
    )
    compare_parser.add_argument("--force", action="store_true", help="replace --out whole")
    compare_parser.set_defaults(func=cmd_compare)


# ---------------------------------------------------------------- compare


def flatten(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """The finite scalar numbers of a metrics mapping, nested keys joined by ``/``."""
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "/"))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if math.isfinite(value):
                flat[name] = float(value)
    return flat


def load_sweep(folder: Path) -> dict[str, dict[int, Path]]:
    """The finished trials of a sweep folder: setting -> seed -> trial folder."""
    found: dict[str, dict[int, Path]] = {}
    for metrics in sorted(folder.glob("*/seed-*/metrics.json")):
        trial = metrics.parent
        seed = int(trial.name.removeprefix("seed-"))
        found.setdefault(trial.parent.name, {})[seed] = trial
    return found


def groups(dirs: Sequence[Path]) -> dict[str, dict[int, Path]]:
    """Label (``sweep`` or ``sweep/setting``) -> seed -> trial folder, over all sweeps.

    Raises:
        ValueError: a folder holds no finished trial.
    """
    labelled: dict[str, dict[int, Path]] = {}
    for folder in dirs:
        found = load_sweep(folder)
        if not found:
            raise ValueError(f"compare: {folder} holds no finished trial (DIR/setting/seed-N)")
        for setting, trials in found.items():
            label = setting if len(dirs) == 1 else f"{folder.name}/{setting}"
            labelled[label] = trials
    return labelled


def metric_scores(labelled: Mapping[str, Mapping[int, Path]]) -> dict[str, dict[str, np.ndarray]]:
    """Metric -> label -> scores over seeds, for the metrics every trial of a label has."""
    scores: dict[str, dict[str, np.ndarray]] = {}
    for label, trials in labelled.items():
        flats = [flatten(json.loads((t / "metrics.json").read_text())) for t in trials.values()]
        for name in sorted(set.intersection(*(set(f) for f in flats))):
            scores.setdefault(name, {})[label] = np.array([f[name] for f in flats])
    return scores


SUMMARY_COLUMNS = ["metric", "setting", "seeds"] + [
    f"{name}{part}" for name in stats.AGGREGATES for part in ("", " low", " high")
]
"""The columns of compare's summary.csv: each aggregate with its 95 % interval."""


def summary_rows(scores: Mapping[str, Mapping[str, np.ndarray]]) -> list[list[Any]]:
    """One row per metric and setting: seeds, then each aggregate and its interval."""
    rows = []
    for metric, by_label in scores.items():
        for label, values in by_label.items():
            row: list[Any] = [metric, label, len(values)]
            for aggregate in stats.AGGREGATES.values():
                found = stats.interval(values, aggregate)
                row += [found.estimate, found.low, found.high]
            rows.append(row)
    return rows


def compare(dirs: Sequence[str | os.PathLike[str]], metrics: Sequence[str] = ()) -> Result:
    """Every scalar metric of the sweeps in ``dirs``, per setting over its seeds.

    Args:
        dirs: sweep folders (``labcoat sweep --out``).
        metrics: keep the metrics whose name contains one of these (all when empty).

    Returns:
        A Result: the summary table (mean, IQM, median with 95 % intervals), and figures of the
        interval estimates, performance profiles and learning curves.

    Raises:
        ValueError: a folder without finished trials, or no metric left by ``metrics``.
    """
    labelled = groups([Path(d) for d in dirs])
    scores = {
        name: by_label
        for name, by_label in metric_scores(labelled).items()
        if not metrics or any(m in name for m in metrics)
    }
    if not scores:
        raise ValueError(f"compare: no metric of these sweeps matches --metric {list(metrics)}")
    figures = {"intervals": _interval_figure(scores), "profiles": _profile_figure(scores)}
    for name, figure in _curve_figures(labelled).items():
        figures[f"curves_{name}"] = figure
    table = Table("Over training seeds: estimate [95 % CI]", SUMMARY_COLUMNS, summary_rows(scores))
    return Result(tables={"summary": table}, figures=figures)


PANELS = 12
"""At most this many metrics (or curve columns) are plotted, the first ones by name."""


def _panels(count: int) -> tuple[Figure, list[Any]]:
    shown = min(count, PANELS)
    columns = min(shown, 3)
    rows = math.ceil(shown / columns)
    figure = Figure(figsize=(4.5 * columns, 3.2 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for extra in axes[shown:]:
        extra.set_visible(False)
    return figure, list(axes[:shown])


def _interval_figure(scores: Mapping[str, Mapping[str, np.ndarray]]) -> Figure:
    figure, axes = _panels(len(scores))
    for ax, (metric, by_label) in zip(axes, scores.items(), strict=False):
        found = [stats.interval(values) for values in by_label.values()]
        estimates = np.array([f.estimate for f in found])
        errors = np.abs(np.array([[f.low, f.high] for f in found]).T - estimates)
        ax.errorbar(estimates, np.arange(len(found)), xerr=errors, fmt="o", capsize=3)
        ax.set_yticks(np.arange(len(found)), list(by_label), fontsize="small")
        ax.set_title(metric, fontsize="small")
        ax.set_xlabel("IQM over seeds, 95 % CI")
    figure.suptitle("Interval estimates per setting (stratified bootstrap over seeds)")
    return figure


def _profile_figure(scores: Mapping[str, Mapping[str, np.ndarray]]) -> Figure:
    figure, axes = _panels(len(scores))
    for ax, (metric, by_label) in zip(axes, scores.items(), strict=False):
        every = np.concatenate(list(by_label.values()))
        taus = np.linspace(every.min(), every.max(), 60)
        for label, values in by_label.items():
            profile = stats.performance_profile(values, taus)
            ax.plot(taus, profile.fraction, label=label)
            ax.fill_between(taus, profile.low, profile.high, alpha=0.15)
        ax.set(title=metric, xlabel="score tau", ylabel="fraction of seeds > tau")
        ax.title.set_fontsize("small")
        ax.legend(fontsize="x-small")
    figure.suptitle("Performance profiles over seeds (95 % bands)")
    return figure


def read_curves(path: Path) -> tuple[str, np.ndarray, dict[str, np.ndarray]] | None:
    """A CSV whose first column increases and whose other columns are numbers, else None."""
    with path.open() as handle:
        rows = list(csv.reader(handle))
    try:
        values = np.array(rows[1:], dtype=float)
    except ValueError:
        return None
    if values.ndim != 2 or len(values) < 3 or not np.all(np.diff(values[:, 0]) > 0):
        return None
    columns = {name: values[:, j] for j, name in enumerate(rows[0][1:], start=1)}
    return rows[0][0], values[:, 0], columns


def _curve_figures(labelled: Mapping[str, Mapping[int, Path]]) -> dict[str, Figure]:
    first = next(iter(next(iter(labelled.values())).values()))
    figures = {}
    for path in sorted(first.glob("*.csv")):
        found = read_curves(path)
        if found is not None:
            figures[path.stem] = _curve_figure(path.name, found[0], labelled)
    return figures


def _curve_figure(name: str, x_name: str, labelled: Mapping[str, Mapping[int, Path]]) -> Figure:
    curves: dict[str, list[tuple[np.ndarray, dict[str, np.ndarray]]]] = {}
    for label, trials in labelled.items():
        read = [read_curves(t / name) for t in trials.values() if (t / name).is_file()]
        curves[label] = [(c[1], c[2]) for c in read if c is not None]
    columns = list(next(iter(curves.values()))[0][1])
    figure, axes = _panels(len(columns))
    for ax, column in zip(axes, columns, strict=False):
        for label, runs in curves.items():
            x = runs[0][0]
            same = [r[1][column] for r in runs if column in r[1] and len(r[0]) == len(x)]
            estimate, low, high = stats.pointwise(np.array(same))
            ax.plot(x, estimate, label=f"{label} ({len(same)} seeds)")
            ax.fill_between(x, low, high, alpha=0.15)
        ax.set(title=column, xlabel=x_name)
        ax.title.set_fontsize("small")
        ax.legend(fontsize="x-small")
    figure.suptitle(f"{name}: IQM over seeds with 95 % bootstrap bands")
    return figure


def _default_compare_out() -> Path:
    return Path("labcoat-runs") / f"compare-{dt.datetime.now():%Y%m%d-%H%M%S}"


def cmd_compare(args: argparse.Namespace) -> int:
    """``labcoat compare``: print a table per metric, write summary.csv and the plots."""
    try:
        folder = check_out(args.out or _default_compare_out(), force=args.force)
    except ValueError as error:
        raise UsageError(str(error)) from None
    result = compare(args.dirs, args.metric)
    console = Console(width=None if sys.stdout.isatty() else 140)
    summary = result.tables["summary"]
    for metric in dict.fromkeys(row[0] for row in summary.rows):
        table = RichTable(title=metric, title_justify="left")
        for column in ("setting", "seeds", *stats.AGGREGATES):
            table.add_column(column)
        for row in (r for r in summary.rows if r[0] == metric):
            cells = [stats.Interval(*row[i : i + 3]) for i in range(3, len(row), 3)]
            table.add_row(row[1], str(row[2]), *map(str, cells))
        console.print(table)
    config = {"dirs": [str(d) for d in args.dirs], "metrics": list(args.metric)}
    publish(folder, lambda tmp: write_result(result, tmp, config), force=args.force)
    print(f"compare: summary.csv and {len(result.figures)} plots in {folder}")
    return 0


__all__ = [
    "ENGINES",
    "Outcome",
    "SweepReport",
    "Trial",
    "add_commands",
    "cmd_compare",
    "cmd_sweep",
    "compare",
    "metric_scores",
    "read_curves",
    "summary_rows",
    "flatten",
    "groups",
    "import_ray",
    "load_sweep",
    "outcomes",
    "parse_grid",
    "parse_random",
    "parse_seeds",
    "plan",
    "random_values",
    "record",
    "run_trial",
    "sweep",
]
