"""One renderer for every command: table, json, jsonl or csv, chosen once by ``--format``.

Commands hand over dicts and never branch on the format. Data goes to stdout; messages go
to stderr. Colour only on a terminal, and never when ``NO_COLOR`` is set (Rich obeys it).

Stored text is untrusted: the consoles never read Rich markup (styling is given as
``Text`` objects), and table views show terminal control characters escaped
(``printable``); json, jsonl and csv keep every value exact.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.text import Text

out = Console(soft_wrap=True, markup=False)
err = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)

# What a terminal would act on rather than show: C0/C1 controls (ESC starts colour, cursor
# and hyperlink sequences; CR, BS and BEL rewrite or ring), bidirectional overrides and
# isolates (they reorder what follows), and the Unicode line/paragraph separators.
# Newline and tab stay: a table cell shows them as what they are.
_UNSAFE = [
    *(c for c in range(0x20) if chr(c) not in "\n\t"),
    *range(0x7F, 0xA0),
    0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029,
]  # fmt: skip
_ESCAPES = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _UNSAFE}


LINE_PREVIEW = 500  # characters read for a "line" cell (the column shows fewer)


class Format(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def resolve_format(chosen: Format | None) -> Format:
    """The explicit choice, else ``table`` on a terminal and ``jsonl`` into a pipe or file."""
    if chosen is not None:
        return chosen
    return Format.table if sys.stdout.isatty() else Format.jsonl


@dataclass(frozen=True)
class Col:
    """A column of a table: its key in the row, its header, and how people read it."""

    key: str
    header: str | None = None
    kind: str = "text"  # text | int | usd | ms | time | id | pct | num | line | flag
    max_width: int | None = None
    optional: bool = False  # dropped (last first) when the table would not fit the terminal

    @property
    def title(self) -> str:
        return self.header or self.key


def printable(text: str) -> str:
    """``text`` with the characters a terminal would act on shown as escapes (``\\x1b``)."""
    return text.translate(_ESCAPES)


def cell(value: str, style: str = "") -> Text:
    """Text shown literally: no markup read, control characters escaped."""
    return Text(printable(value), style=style)


def message(text: str) -> None:
    """A message for the person (stderr), printed literally."""
    err.print(cell(text))


def human(value: Any, kind: str) -> str:
    """``value`` formatted for a table cell."""
    if value is None:
        return ""
    if kind == "usd":
        amount = float(value)
        if amount == 0:
            return "$0"
        if abs(amount) >= 1:
            return f"${amount:,.2f}"
        return f"${Decimal(f'{amount:.4g}'):f}"  # 4 significant digits, never 1e-05
    if kind == "ms":
        amount = float(value)
        return f"{amount:,.0f} ms" if amount >= 100 else f"{amount:.1f} ms"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "pct":
        return f"{float(value) * 100:.1f}%"
    if kind == "num":
        return f"{float(value):,.1f}"
    if kind == "time" and isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if kind == "id":
        return str(value)[:13]
    if kind == "line":  # a preview: the first line's start
        lines = str(value)[:LINE_PREVIEW].strip().splitlines()
        return lines[0] if lines else ""
    if kind == "flag":
        return "yes" if value else ""
    return str(value)


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def dumps(value: Any, *, indent: int | None = None) -> str:
    import json  # here, not at the top: `llmlog --help` need not load it (bench/startup.py)

    return json.dumps(jsonable(value), ensure_ascii=False, indent=indent)


def emit_rows(
    rows: Sequence[dict[str, Any]],
    fmt: Format,
    columns: Sequence[Col] | None = None,
    *,
    title: str | None = None,
    empty: str = "no results",
) -> None:
    """Print rows in the chosen format; an empty result is one line on stderr (and, as
    JSON, an empty array: a document a program can still parse)."""
    if not rows:
        message(empty)
        if fmt is Format.json:
            print("[]")
        return
    if fmt is Format.json:
        print(dumps(list(rows), indent=2))
    elif fmt is Format.jsonl:
        write_jsonl(rows)
    elif fmt is Format.csv:
        _write_csv(rows)
    else:
        out.print(_table(rows, columns or [Col(k) for k in rows[0]], title))


def write_jsonl(rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        sys.stdout.write(dumps(row) + "\n")
    sys.stdout.flush()


def emit_object(obj: dict[str, Any], fmt: Format, *, title: str | None = None) -> None:
    """Print one object: a key/value table for people, one JSON object otherwise."""
    if fmt is Format.table:
        from rich.table import Table

        table = Table(title=title, show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column()
        for key, value in obj.items():
            table.add_row(cell(key), cell("" if value is None else str(jsonable(value))))
        out.print(table)
    elif fmt is Format.csv:
        _write_csv([obj])
    else:
        print(dumps(obj, indent=2 if fmt is Format.json else None))


def _write_csv(rows: Sequence[dict[str, Any]]) -> None:
    write_csv(rows)


def write_csv(rows: Sequence[dict[str, Any]], *, header: bool = True) -> None:
    """CSV rows (JSON for nested values and booleans); ``header=False`` continues a block."""
    import csv

    fields = list(rows[0])
    writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
    # The csv module leaves a field with a lone CR unquoted, and readers take that CR
    # for the end of the row: such a row is written with every field quoted.
    quoting = csv.DictWriter(
        sys.stdout, fieldnames=fields, lineterminator="\n", quoting=csv.QUOTE_ALL
    )
    if header:
        (quoting if any("\r" in str(field) for field in fields) else writer).writeheader()
    for row in rows:
        values = {
            k: (dumps(v) if isinstance(v, dict | list | bool) else jsonable(v))
            for k, v in row.items()
        }
        has_cr = any(isinstance(v, str) and "\r" in v for v in values.values())
        (quoting if has_cr else writer).writerow(values)
    sys.stdout.flush()


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[Col], title: str | None) -> Any:
    from rich.table import Table

    table = Table(title=title, header_style="bold")
    shown = fitting(rows, columns, out.width)
    # Still too wide: the widest columns give way first (Rich would take the width evenly
    # from all, squeezing a narrow column to nothing).
    cap = _cap([_needed(rows, c) - 3 for c in shown], out.width - 3 * len(shown) - 1)
    for col in shown:
        right = col.kind in ("int", "usd", "ms", "pct", "num")
        table.add_column(
            cell(col.title),
            justify="right" if right else "left",
            max_width=min(col.max_width or cap, cap),
            overflow="ellipsis",
            no_wrap=col.max_width is not None,
        )
    for row in rows:
        table.add_row(*(cell(human(row.get(c.key), c.kind)) for c in shown))
    return table


def fitting(rows: Sequence[dict[str, Any]], columns: Sequence[Col], width: int) -> list[Col]:
    """``columns`` without the optional ones (last first) that would overflow ``width``."""
    kept = list(columns)
    while sum(_needed(rows, c) for c in kept) + 1 > width and any(c.optional for c in kept):
        kept.remove(next(c for c in reversed(kept) if c.optional))
    return kept


def _cap(needs: list[int], room: int) -> int:
    """The largest width ``cap`` with ``sum(min(need, cap)) <= room`` (at least 4)."""
    low, high = 4, max(needs, default=4)
    while low < high:
        middle = (low + high + 1) // 2
        if sum(min(need, middle) for need in needs) <= room:
            low = middle
        else:
            high = middle - 1
    return low


def _needed(rows: Sequence[dict[str, Any]], col: Col) -> int:
    """The width ``col`` takes to show its widest value (of the first 50), borders included."""
    shown = (printable(human(row.get(col.key), col.kind)) for row in rows[:50])
    widest = max((len(line) for text in shown for line in text.splitlines()), default=0)
    return min(max(widest, len(printable(col.title))), col.max_width or 10**6) + 3
