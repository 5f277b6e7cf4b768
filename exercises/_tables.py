"""Tables for the terminal: headers wrap, labels and numbers are never cut, wide tables split.

rich shrinks a table that does not fit by eliding cells (``8…``). Here every column but the
free-text ones (``what``) is as wide as its widest cell, so a number or a row label is always
whole; headers wrap at spaces; and a table whose columns cannot fit side by side is printed
as several tables, each repeating the first column (the row labels).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table as RichTable
from rich.text import Text

TEXT_COLUMNS = ("what", "allowed")
"""Columns of free text, which wrap (at least ``TEXT_MIN`` characters wide when they can)."""
TEXT_MIN = 24


def format_cell(value: object) -> str:
    """A cell as text: floats to 4 significant digits, the rest as ``str``."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _longest_word(text: str) -> int:
    return max((len(word) for word in text.split()), default=0)


def _min_widths(columns: Sequence[str], cells: Sequence[Sequence[str]]) -> list[int]:
    widths = []
    for i, column in enumerate(columns):
        values = [row[i] for row in cells]
        if column in TEXT_COLUMNS:
            width = min(TEXT_MIN, max([len(v) for v in values] + [1]))
            width = max(width, *(_longest_word(v) for v in values), 1)
        else:
            width = max([len(v) for v in values] + [1])
        widths.append(max(width, _longest_word(column)))
    return widths


def _natural_widths(columns: Sequence[str], cells: Sequence[Sequence[str]]) -> list[int]:
    return [max([len(row[i]) for row in cells] + [len(c)]) for i, c in enumerate(columns)]


def _widen(part: list[int], low: list[int], high: list[int], width: int) -> list[int]:
    """Widths of the part's columns: their minimum, widened in turn toward natural ones."""
    slack = width - sum(low[i] + 3 for i in part) - 1
    out = [low[i] for i in part]
    while slack > 0 and any(w < high[i] for w, i in zip(out, part, strict=True)):
        for j, i in enumerate(part):
            if slack > 0 and out[j] < high[i]:
                out[j] += 1
                slack -= 1
    return out


def _chunks(widths: Sequence[int], width: int) -> list[list[int]]:
    """Column indices of each part: the first column in every part, the others in order."""
    parts: list[list[int]] = [[0]]
    used = widths[0] + 4  # a column costs its width + 3 (padding and a rule), plus 1 edge
    for i in range(1, len(widths)):
        if used + widths[i] + 3 > width and len(parts[-1]) > 1:
            parts.append([0])
            used = widths[0] + 4
        parts[-1].append(i)
        used += widths[i] + 3
    return parts


def rich_tables(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[object]], width: int
) -> list[RichTable]:
    """The rich tables that show ``rows`` in ``width`` columns of text (one, or several parts).

    Raises:
        ValueError: a row's length differs from the number of columns.
    """
    columns = [str(c) for c in columns]
    cells = [[format_cell(v) for v in row] for row in rows]
    for row in cells:
        if len(row) != len(columns):
            raise ValueError(f"rows must have {len(columns)} cells, got {len(row)}: {row}")
    if not columns:
        return [RichTable(title=Text(title), title_justify="left")]
    widths = _min_widths(columns, cells)
    natural = _natural_widths(columns, cells)
    parts = _chunks(widths, width)
    tables = []
    for number, part in enumerate(parts, start=1):
        suffix = f" ({number}/{len(parts)})" if len(parts) > 1 else ""
        table = RichTable(title=Text(title + suffix), title_justify="left")
        for i, size in zip(part, _widen(part, widths, natural, width), strict=True):
            table.add_column(Text(columns[i]), width=size, overflow="fold")
        for row in cells:
            table.add_row(*(Text(row[i]) for i in part))  # Text: "[x]" is not rich markup
        tables.append(table)
    return tables
