"""Named queries: ``.sql`` files with a header that declares their name and parameters.

A header is the leading ``--`` comment block::

    -- name: tail
    -- description: Newest calls first.
    -- param since: timestamptz = 24h
    -- param limit: int = 50
    -- param feature: text = null
    -- param id: text

A parameter without ``=`` is required. The body uses psycopg's named placeholders
(``%(limit)s``; a literal percent sign is ``%%``); values are always bound, never formatted
into the text. Bundled queries live in ``queries/``; ``$LLMLOG_QUERIES_DIR`` adds the user's
own; for ``llmlog query NAME`` a user's file wins over a bundled one of the same name,
while the report commands always run the bundled file they were written for.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from llmlog.errors import NotFoundError, UsageError
from llmlog.reports.params import TYPES

_HEADER = re.compile(r"^--\s*(name|description|param)\b\s*(.*)$")
_PARAM = re.compile(r"^([a-z_][a-z0-9_]*)\s*:\s*([a-z\[\]]+)\s*(?:=\s*(.*?))?\s*$")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None  # the default's text as written; "null" for NULL
    required: bool


@dataclass(frozen=True)
class Query:
    name: str
    description: str
    params: tuple[Param, ...]
    sql: str
    path: Path

    @property
    def param_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params)


def parse(text: str, path: Path) -> Query:
    """The query in ``text`` (read from ``path``); UsageError when its header is malformed."""
    name, description, params = None, "", []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        match = _HEADER.match(stripped)
        if not match:
            continue
        key, value = match.group(1), match.group(2).lstrip(":").strip()
        if key == "name":
            name = value
        elif key == "description":
            description = f"{description} {value}".strip()
        else:
            params.append(_parse_param(value, path))
    if not name:
        raise UsageError(f"{path}: no `-- name:` line in the header", hint=_HEADER_HINT)
    return Query(name, description, tuple(params), text, path)


_HEADER_HINT = (
    "start the file with `-- name: NAME`, `-- description: …`, `-- param NAME: TYPE = DEFAULT`"
)


def _parse_param(spec: str, path: Path) -> Param:
    match = _PARAM.match(spec)
    if not match or match.group(2) not in TYPES:
        raise UsageError(
            f"{path}: bad parameter declaration {spec!r}",
            hint=f"write `-- param NAME: TYPE = DEFAULT`, TYPE one of {', '.join(TYPES)}",
        )
    name, kind, default = match.groups()
    return Param(name, kind, default, required=default is None)


def directories() -> list[Path]:
    """Where queries are found, later ones winning on a name clash."""
    from llmlog.resources import bundled

    dirs = [bundled("queries")]
    user = os.environ.get("LLMLOG_QUERIES_DIR")
    if user:
        dirs.append(Path(user).expanduser())
    return dirs


def available() -> dict[str, Query]:
    """Every query by name: the bundled ones and ``$LLMLOG_QUERIES_DIR``'s."""
    found: dict[str, Query] = {}
    for directory in directories():
        for path in sorted(directory.glob("*.sql")):
            query = read(path)
            found[query.name] = query
    return found


def read(path: Path) -> Query:
    try:
        return parse(path.read_text(encoding="utf-8"), path)
    except OSError as exc:
        raise NotFoundError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{path} is not UTF-8 text (byte {exc.start})", hint="save the file as UTF-8"
        ) from None


@functools.cache
def bundled(name: str) -> Query:
    """The bundled query ``name`` (what a report command runs); read once per process."""
    from llmlog.resources import bundled as bundled_dir

    return read(bundled_dir("queries") / f"{name}.sql")


def load(name_or_path: str) -> Query:
    """A query by name, or from a ``.sql`` file path."""
    if name_or_path.endswith(".sql") or os.sep in name_or_path:
        return read(Path(name_or_path).expanduser())
    queries = available()
    if name_or_path not in queries:
        raise NotFoundError(f"no query named {name_or_path!r}", hint="`llmlog queries` lists them")
    return queries[name_or_path]
