"""The exercise protocol: a frozen config in, a Result out, written atomically to a folder.

Every exercise module defines a frozen dataclass ``Config`` (with a ``seed`` field and a
docstring line under each field), a function ``run(config) -> Result`` and a module constant
``EXERCISE = Exercise(...)``. The command line (cli.py) is a thin layer over these. The
configs validate their fields with the one helper set of the layers that may import classic
(``labcoat.classic._checks``: ``check_int``, ``check_float``, ``check_bool``, ``check_choice``,
re-exported here) and two loops over it defined here (``check_ints``, ``check_floats``): a value
of the wrong type is a TypeError, a value out of range a ValueError, and both name the field and
its allowed range.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import difflib
import importlib.util
import io
import json
import math
import sys
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
from matplotlib.figure import Figure

from labcoat.classic._checks import check_bool as check_bool
from labcoat.classic._checks import check_choice as check_choice
from labcoat.classic._checks import check_float as check_float
from labcoat.classic._checks import check_int as check_int
from labcoat.classic._checks import float_range
from labcoat.classic._io import atomic_write_bytes as atomic_write_bytes

C = TypeVar("C")
T = TypeVar("T")


@dataclass
class Table:
    """A summary table: printed in the terminal and written as CSV."""

    title: str
    columns: list[str]
    rows: list[list[Any]]


@dataclass
class Result:
    """What an exercise returns.

    Attributes:
        tables: summary tables, printed by the command line and written as ``<key>.csv``.
        figures: matplotlib figures, written as ``<key>.png``.
        data: curves and arrays; each entry is a mapping column -> 1-D array of equal length
            (written as ``<key>.csv``).
        metrics: headline numbers (JSON-able, nested dicts allowed), written to
            ``metrics.json``; tests assert on these.
        config: the config the exercise ran with (set by :meth:`Exercise.run`), written to
            ``config.json``.
    """

    tables: dict[str, Table] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    data: dict[str, Mapping[str, Sequence[Any] | np.ndarray]] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    config: Any = None


class Exercise(Generic[C]):
    """A named exercise of the notes: its config class, its run function, its quick settings.

    From Python (a notebook)::

        plant = get_exercise("plant")
        config = plant.config(quick=True, gamma=0.8)  # or plant.config({"gamma": "0.8"})
        result = plant.run(config)
        write_result(result, "plant-run")

    Args:
        name: the name ``labcoat run`` knows it by.
        summary: one line for ``labcoat list``.
        config: the frozen dataclass of the settings (its ``__post_init__`` checks them),
            kept as ``config_class``.
        run: the exercise itself, a checked config in, a :class:`Result` out, kept as
            ``function``.
        quick: overrides applied by ``--quick`` (seconds, for the tests and the tour).
        groups: help groups (``environment``, ``agent``) -> field names; the other fields
            are ``study`` settings.
    """

    def __init__(
        self,
        name: str,
        summary: str,
        config: type[C],
        run: Callable[[C], Result],
        quick: Mapping[str, Any] | None = None,
        groups: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.name = name
        self.summary = summary
        self.config_class = config
        self.function = run
        self.quick: Mapping[str, Any] = dict(quick or {})
        self.groups: Mapping[str, tuple[str, ...]] = dict(groups or {})

    def __repr__(self) -> str:
        return f"Exercise({self.name!r}, {self.summary!r})"

    def replace(self, **changes: Any) -> Exercise[C]:
        """A copy with some constructor arguments changed (``run=...`` for a stand-in)."""
        arguments = {
            "name": self.name,
            "summary": self.summary,
            "config": self.config_class,
            "run": self.function,
            "quick": self.quick,
            "groups": self.groups,
        }
        unknown = set(changes) - set(arguments)
        if unknown:
            raise TypeError(f"replace() takes {', '.join(arguments)}, got {sorted(unknown)}")
        return Exercise(**{**arguments, **changes})

    def config(
        self, overrides: Mapping[str, Any] | None = None, /, *, quick: bool = False, **values: Any
    ) -> C:
        """The default config with ``quick`` settings, then ``overrides`` and ``values``, applied.

        Keys are field names or dotted paths, as ``--set``; a string value is parsed as
        ``--set`` parses it, any other value goes to the config's checks as it is.

        Raises:
            ValueError: an unknown key (with the closest keys), or a value out of range.
            TypeError: a value of the wrong type; both name the field and its allowed range.
        """
        settings: dict[str, Any] = dict(self.quick) if quick else {}
        settings.update(overrides or {})
        settings.update(values)
        return apply_overrides(self.config_class(), settings)

    def run(self, config: C | Mapping[str, Any] | None = None, /, **values: Any) -> Result:
        """Run the exercise on ``config`` (a config, or overrides as :meth:`config` takes them).

        Raises:
            TypeError: ``config`` is neither a config of this exercise nor a mapping.
        """
        if config is None or isinstance(config, Mapping):
            config = self.config(config, **values)
        elif values:
            raise TypeError(f"{self.name}: pass overrides or a config, not both")
        if not isinstance(config, self.config_class):
            raise TypeError(
                f"config must be a {self.name} config, a mapping of overrides or None, "
                f"got {type(config).__name__}"
            )
        result = self.function(config)
        result.config = config
        return result


# ---------------------------------------------------------------- config checks


def check_ints(config: object, lows: Mapping[str, int]) -> None:
    """:func:`check_int` on each named field of ``config`` against its lower bound."""
    for name, low in lows.items():
        check_int(name, getattr(config, name), low)


def check_floats(
    name: str,
    values: object,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
    min_length: int = 1,
    max_length: int | None = None,
) -> None:
    """Check a tuple field: ``min_length..max_length`` numbers, each as :func:`check_float`.

    Raises:
        TypeError: ``values`` is not a tuple, or an entry is not a real number.
        ValueError: the length or an entry is out of range (NaN and ±inf included).
    """
    entries = float_range(low, high, low_open, high_open)
    most = "" if max_length is None else f" and at most {max_length}"
    allowed = f"a tuple of at least {min_length}{most} finite numbers{entries}"
    if not isinstance(values, tuple):
        raise TypeError(f"{name} must be {allowed}, got {values!r}")
    if len(values) < min_length or (max_length is not None and len(values) > max_length):
        raise ValueError(f"{name} must be {allowed}, got {values!r}")
    for value in values:
        check_float(name, value, low, high, low_open=low_open, high_open=high_open)


def mark_quick(result: Result) -> None:
    """Add ``(quick)`` to each figure's title, so that a quick run's plots say they are one."""
    for figure in result.figures.values():
        title = figure.get_suptitle()
        figure.suptitle(f"{title} (quick)" if title else "(quick run: small budget)")


# ---------------------------------------------------------------- progress bars

_progress_forced: bool | None = None


@contextlib.contextmanager
def progress_enabled(enabled: bool) -> Iterator[None]:
    """Force progress bars on or off inside the block (the command line turns them on)."""
    global _progress_forced
    before, _progress_forced = _progress_forced, enabled
    try:
        yield
    finally:
        _progress_forced = before


def progress_shown() -> bool:
    """Whether progress bars are shown by default: on a terminal, and in a Jupyter notebook.

    In Jupyter rich draws the bar in an ipywidgets ``Output`` (without ipywidgets it would only
    warn), so a notebook shows bars when ipywidgets is installed.
    """
    if sys.stderr.isatty():
        return True
    from rich.console import Console

    return Console().is_jupyter and _has_ipywidgets()


def _has_ipywidgets() -> bool:
    return importlib.util.find_spec("ipywidgets") is not None


def track(iterable: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a rich progress bar when shown (a terminal, or forced by the CLI)."""
    show = progress_shown() if _progress_forced is None else _progress_forced
    if not show:
        yield from iterable
        return
    from rich.progress import track as rich_track

    yield from rich_track(iterable, description=description, total=total, transient=True)


# ---------------------------------------------------------------- config overrides


def config_fields(config: Any, prefix: str = "") -> dict[str, tuple[Any, str, Any]]:
    """Every settable field of a (possibly nested) config: dotted key -> (owner, name, type)."""
    hints = typing.get_type_hints(type(config))
    out: dict[str, tuple[Any, str, Any]] = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            out.update(config_fields(value, prefix + f.name + "."))
        else:
            out[prefix + f.name] = (config, f.name, hints[f.name])
    return out


def _parse_value(key: str, text: str, kind: Any) -> Any:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if text.lower() == "none" and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _parse_value(key, text, arg)
            except ValueError as error:
                errors.append(str(error))
        raise ValueError("; ".join(errors))
    if origin is typing.Literal:
        for choice in args:
            if str(choice) == text:
                return choice
        raise ValueError(f"--set {key}: {text!r} is not one of {', '.join(map(str, args))}")
    if origin is tuple:
        item = args[0] if args else str
        parts = [p for p in text.strip("()[] ").split(",") if p.strip()]
        return tuple(_parse_value(key, p.strip(), item) for p in parts)
    if kind is bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"--set {key}: expected true or false, got {text!r}")
    if kind is int:
        return _parse_int(key, text)
    if kind in (float, str):
        try:
            value = kind(text)
        except ValueError:
            raise ValueError(f"--set {key}: expected {kind.__name__}, got {text!r}") from None
        if kind is float and not math.isfinite(value):
            raise ValueError(f"--set {key}: expected a finite number, got {text!r}")
        return value
    raise ValueError(f"--set {key}: fields of type {kind} cannot be set from the command line")


def _parse_int(key: str, text: str) -> int:
    """An integer written as ``100000``, ``100_000`` or, when integral, ``1e5``."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if math.isfinite(number) and number.is_integer():
        return int(number)
    raise ValueError(f"--set {key}: expected int, got {text!r}")


def apply_overrides(config: C, overrides: Mapping[str, Any]) -> C:
    """Return a copy of ``config`` with ``key=value`` settings applied (dotted or unique keys).

    A string value is parsed for the field's type (``--set`` passes strings); any other value
    is taken as it is, an integral float for an integer field as that integer. The config's
    own checks run again on the copy.

    Raises:
        ValueError: naming the key and the closest accepted keys, before any work is done.
    """
    values: dict[str, Any] = {}
    fields = config_fields(config)
    for key, value in overrides.items():
        full = resolve_key(fields, key)
        kind = fields[full][2]
        values[full] = _parse_value(key, value, kind) if isinstance(value, str) else value
        values[full] = _integral(values[full], kind)
    return replace_nested(config, values)


def resolve_key(fields: Mapping[str, Any], key: str) -> str:
    """The dotted field name ``key`` names: itself, or the one field whose last part it is.

    Raises:
        ValueError: no field or several match; the message proposes the closest keys.
    """
    if key in fields:
        return key
    matches = [k for k in fields if k.split(".")[-1] == key]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ValueError(f"--set {key} is ambiguous; use one of {', '.join(matches)}")
    known = ", ".join(sorted(fields))
    raise ValueError(
        f"--set {key} is not a setting of this exercise{did_you_mean(key, fields)}; "
        f"accepted keys: {known}"
    )


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x' or 'y'?)`` for the closest choices, or an empty string."""
    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=3, cutoff=0.6)
    close += [c for c in choices if c.split(".")[-1].startswith(word) and c not in close]
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close[:3]) + "?)"


def _integral(value: Any, kind: Any) -> Any:
    """An integral float for a field that accepts integers but not floats becomes that int."""
    kinds = (
        typing.get_args(kind)
        if typing.get_origin(kind) in (typing.Union, types.UnionType)
        else (kind,)
    )
    if int in kinds and float not in kinds and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def replace_nested(config: C, values: Mapping[str, Any]) -> C:
    """``dataclasses.replace`` for dotted keys (the config's own checks run again)."""
    top: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        head, _, rest = key.partition(".")
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            top[head] = value
    for head, sub in nested.items():
        top[head] = replace_nested(getattr(config, head), sub)
    return dataclasses.replace(config, **top)  # type: ignore[type-var]


# ---------------------------------------------------------------- writing results


def to_jsonable(value: Any) -> Any:
    """Numbers, arrays, dataclasses and mappings as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _csv_bytes(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([to_jsonable(v) for v in row])
    return buffer.getvalue().encode()


def write_result(result: Result, out_dir: str | Path, config: Any = None) -> list[Path]:
    """Write tables and data (CSV), metrics and config (JSON) and figures (PNG) atomically.

    Args:
        result: what the exercise returned.
        out_dir: the folder (created if missing; files of the same names are replaced).
        config: the config written to ``config.json`` (default: ``result.config``).

    Returns:
        The paths written, in order.
    """
    written: list[Path] = []
    out_dir = Path(out_dir)
    config = result.config if config is None else config

    def put(name: str, payload: bytes) -> None:
        atomic_write_bytes(out_dir / name, payload)
        written.append(out_dir / name)

    put("config.json", json.dumps(to_jsonable(config), indent=2).encode())
    put("metrics.json", json.dumps(to_jsonable(result.metrics), indent=2).encode())
    for key, table in result.tables.items():
        put(f"{key}.csv", _csv_bytes(table.columns, table.rows))
    for key, columns in result.data.items():
        arrays = [np.asarray(v) for v in columns.values()]
        lengths = {len(a) for a in arrays}
        if len(lengths) != 1:
            raise ValueError(f"data {key!r}: columns differ in length {sorted(lengths)}")
        put(f"{key}.csv", _csv_bytes(list(columns), zip(*arrays, strict=True)))
    for key, figure in result.figures.items():
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
        put(f"{key}.png", buffer.getvalue())
    return written
