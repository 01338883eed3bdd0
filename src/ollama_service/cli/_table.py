"""Tables as lines of text: full values for pipes, fitted to the width on a terminal.

Without a width (stdout is not a terminal) columns are as wide as their widest value, four
spaces apart, as `ollama list` prints them: nothing is cut, wrapped or padded at the end of a
line. With a width, the table is fitted in this order, stopping as soon as it fits: narrower
gaps, then wrapping the columns that may wrap at their spaces, then dropping the columns the
caller marked droppable, least useful first. Columns that may neither wrap nor drop (names,
IDs) are never cut; if they alone are wider than the terminal, lines run long.
Pure functions, without rich, so they work without the `cli` extra and test as tables.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["Column", "layout"]

_WIDE_GAP: Final = 4
_NARROW_GAP: Final = 2


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Attributes:
        header: Its title (`NAME`).
        wrap: It may wrap at spaces to fit a terminal.
        drop: Its rank when dropping columns to fit: 1 goes first, 0 never.
    """

    header: str
    wrap: bool = False
    drop: int = 0


def _clean(value: str) -> str:
    """One line per cell: line breaks and tabs shown as escapes, never as layout."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", " ")


def _min_width(column: Column, cells: Sequence[str]) -> int:
    if not column.wrap:
        return max(len(cell) for cell in cells)
    return max(max((len(word) for word in cell.split()), default=0) for cell in cells)


def _fit(
    columns: Sequence[Column], table: Sequence[Sequence[str]], width: int
) -> tuple[list[int], int] | None:
    """Column widths and a gap that fit `width`, wrapping where allowed; None if impossible."""
    cells = [[row[i] for row in table] for i in range(len(columns))]
    natural = [max(len(cell) for cell in column) for column in cells]
    for gap in (_WIDE_GAP, _NARROW_GAP):
        if sum(natural) + gap * (len(columns) - 1) <= width:
            return natural, gap
    gap = _NARROW_GAP
    widths = list(natural)
    floors = [_min_width(column, cells[i]) for i, column in enumerate(columns)]
    excess = sum(widths) + gap * (len(columns) - 1) - width
    # Take the excess from the widest wrappable column first, down to its longest word.
    while excess > 0:
        candidates = [i for i, c in enumerate(columns) if c.wrap and widths[i] > floors[i]]
        if not candidates:
            return None
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    return widths, gap


def _lines(table: Sequence[Sequence[str]], widths: Sequence[int], gap: int) -> list[str]:
    out: list[str] = []
    for row in table:
        wrapped = [
            textwrap.wrap(cell, width, break_long_words=False) or [""]
            if len(cell) > width
            else [cell]
            for cell, width in zip(row, widths, strict=True)
        ]
        for depth in range(max(len(parts) for parts in wrapped)):
            pieces = [
                (parts[depth] if depth < len(parts) else "").ljust(width)
                for parts, width in zip(wrapped, widths, strict=True)
            ]
            out.append((" " * gap).join(pieces).rstrip())
    return out


def layout(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None = None
) -> list[str]:
    """The table's lines, the header first.

    Args:
        columns: The columns, in order.
        rows: One sequence of cell texts per row, as long as `columns`.
        width: The terminal's width, or None for full values (a pipe or a file).

    Returns:
        The lines, without trailing spaces or line breaks.
    """
    table = [[column.header for column in columns]] + [
        [_clean(cell) for cell in row] for row in rows
    ]
    keep = list(range(len(columns)))
    if width is None:
        return _lines(table, [max(len(row[i]) for row in table) for i in keep], _WIDE_GAP)
    droppable = sorted((c.drop, i) for i, c in enumerate(columns) if c.drop > 0)
    while True:
        kept = [columns[i] for i in keep]
        sub = [[row[i] for i in keep] for row in table]
        fitted = _fit(kept, sub, width)
        if fitted is not None:
            return _lines(sub, *fitted)
        if not droppable:
            natural = [max(len(row[i]) for row in sub) for i in range(len(kept))]
            return _lines(sub, natural, _NARROW_GAP)
        keep.remove(droppable.pop(0)[1])
