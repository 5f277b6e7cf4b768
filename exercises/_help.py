"""What ``labcoat run NAME --help`` shows: each config field's type, default, range and meaning.

The meaning is the docstring under the field (read from the source, as Sphinx and mkdocstrings
read it). The allowed range is the config's own check speaking: the field is set to a value
far outside any range and the refusal's "NAME must be ..." is quoted, so the help cannot drift
from the checks.
"""

from __future__ import annotations

import ast
import inspect
import math
import re
import textwrap
import types
import typing
import warnings
from dataclasses import dataclass
from typing import Any

from rich.padding import Padding
from rich.text import Text

from labcoat.exercises._framework import Exercise, config_fields, replace_nested

GROUPS = ("environment", "data", "agent", "model", "training", "study")
"""The order of the help groups; fields no group names are ``study`` settings."""


@dataclass(frozen=True)
class FieldHelp:
    """One row of an exercise's help."""

    key: str
    type: str
    default: str
    allowed: str
    quick: str
    doc: str
    group: str


def field_docs(cls: type) -> dict[str, str]:
    """The docstring under each field of a dataclass (the attribute docstrings of its source)."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    body = ast.parse(source).body[0]
    docs: dict[str, str] = {}
    statements = getattr(body, "body", [])
    for node, after in zip(statements, statements[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = inspect.cleandoc(after.value.value)
    return docs


def type_name(kind: Any) -> str:
    """A short spelling of a field's annotation: ``int``, ``float | str``, ``tuple[float, ...]``."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin is typing.Literal:
        return "one of " + ", ".join(map(str, args))
    if origin is tuple:
        return f"tuple[{', '.join(type_name(a) if a is not Ellipsis else '...' for a in args)}]"
    if kind is type(None):
        return "None"
    return getattr(kind, "__name__", str(kind))


def _probes(kind: Any) -> list[Any]:
    """Values outside any sensible range of a field of type ``kind``."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        return [p for a in args if a is not type(None) for p in _probes(a)]
    if kind is int:
        return [-(10**18), 10**18]
    if kind is float:
        return [-1e300, 1e300, math.nan]
    if origin is tuple:
        return [(), tuple(p for p in _probes(args[0])[:1]) if args else ("?",)]
    if kind is str:
        return ["\0?"]
    return []


def allowed(config: Any, key: str, kind: Any) -> str:
    """The allowed values of a field, quoted from the config's refusal of an absurd value."""
    origin = typing.get_origin(kind)
    if origin is typing.Literal:
        return "one of " + ", ".join(map(str, typing.get_args(kind)))
    if kind is bool:
        return "true or false"
    found: list[str] = []
    for probe in _probes(kind):
        said = _refusal(config, key, probe)
        if said and said not in found and not (found and _is_nan(probe)):
            found.append(said)
        if found and origin is tuple:
            break  # the empty tuple's refusal states the length and the entries' range
    return "; ".join(found) or "any"


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _refusal(config: Any, key: str, probe: Any) -> str:
    """What the config says a field "must be" when set to ``probe`` ("" if it accepts it)."""
    name = key.split(".")[-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an env's warnings about unusual (accepted) values
        try:
            replace_nested(config, {key: probe})
        except (MemoryError, OverflowError):
            return ""  # accepted by the checks, too big for the work after them (an env's arrays)
        except (TypeError, ValueError) as error:
            match = re.search(rf"\b{re.escape(name)} must (?:be )?(.*?)(?:, got .*)?$", str(error))
            return match.group(1) if match else ""
    return ""


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(_show(v) for v in value)
    return str(value)


def describe(exercise: Exercise) -> list[FieldHelp]:
    """One :class:`FieldHelp` per settable field, in the help groups' order."""
    config = exercise.config()
    group_of = {name: group for group, names in exercise.groups.items() for name in names}
    rows = []
    for key, (owner, name, kind) in config_fields(config).items():
        rows.append(
            FieldHelp(
                key=key,
                type=type_name(kind),
                default=_show(getattr(owner, name)),
                allowed=allowed(config, key, kind),
                quick=_show(exercise.quick[key]) if key in exercise.quick else "",
                doc=field_docs(type(owner)).get(name, "").split("\n")[0],
                group=group_of.get(key, "study"),
            )
        )
    order = {g: i for i, g in enumerate(GROUPS)}
    return sorted(rows, key=lambda r: order.get(r.group, len(order)))


def help_text(exercise: Exercise) -> list[Text | Padding]:
    """The help as lines of rich text: per group, each field's key, type, default and range.

    A definition list (as argparse prints options) rather than a table: it reads at any
    terminal width without splitting.
    """
    lines: list[Text | Padding] = []
    group = None
    for row in describe(exercise):
        if row.group != group:
            group = row.group
            lines.append(Text(f"\n{group} settings (--set KEY=VALUE)", style="bold"))
        head = Text("  ")
        head.append(row.key, style="bold cyan")
        head.append(f" = {row.default}  ({row.type})")
        if row.quick:
            head.append(f"  --quick: {row.quick}", style="yellow")
        lines.append(head)
        lines.append(Padding(Text(row.doc), (0, 0, 0, 6), expand=False))
        lines.append(
            Padding(Text(f"allowed: {row.allowed}", style="dim"), (0, 0, 0, 6), expand=False)
        )
    return lines
