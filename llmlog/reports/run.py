"""Running a named query: bind its parameters, execute it, hand back rows as dicts.

Report sessions are read-only and every statement has a time limit: a query, bundled or
the user's, cannot change data unless ``execute(..., write=True)`` (``llmlog query
--write``) asks for it, and each query is one statement (sent with the extended protocol,
which refuses a second), so a file cannot leave the read-only transaction either.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from llmlog.errors import ConfigError, QueryTimeoutError, UsageError
from llmlog.reports import params, sqlfile

log = logging.getLogger("llmlog")

if TYPE_CHECKING:
    import psycopg

    from llmlog.reports.sqlfile import Query

Row = dict[str, Any]


# Window aggregates sort hundreds of thousands of values (percentiles); 4 MB spills to disk.
REPORT_WORK_MEM = "64MB"
TIMEOUT_ENV = "LLMLOG_STATEMENT_TIMEOUT"
DEFAULT_TIMEOUT = 5.0  # seconds; 0 is no limit
_TIMEOUT_HINT = "give seconds, e.g. 30 (0: no limit)"


def statement_timeout(seconds: float | None = None) -> float:
    """How long one report statement may run: ``seconds`` (an option), else
    ``$LLMLOG_STATEMENT_TIMEOUT``, else 5 s; 0 means no limit."""
    if seconds is not None:
        if not math.isfinite(seconds) or seconds < 0:
            raise UsageError(f"--timeout {seconds} is not a number of seconds", hint=_TIMEOUT_HINT)
        return seconds
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{TIMEOUT_ENV}={text!r} is not a number of seconds", hint=_TIMEOUT_HINT)
    return value


def tune_session(conn: psycopg.Connection, timeout: float | None = None) -> None:
    """Report sessions (on top of connect()'s jit=off): read-only, each statement limited to
    ``statement_timeout(timeout)``, and memory for sorts."""
    seconds = statement_timeout(timeout)
    ms = max(1, round(seconds * 1000)) if seconds else 0
    conn.execute(
        f"SET work_mem = '{REPORT_WORK_MEM}'; SET default_transaction_read_only = on; "
        f"SET statement_timeout = {ms}"
    )


def execute(
    conn: psycopg.Connection, query: Query, values: Mapping[str, Any], *, write: bool = False
) -> list[Row]:
    """Rows of ``query`` run with already bound ``values``; ``write`` lets it change data.

    Never prepared: each execution is planned with its values, so constant folding drops the
    filters left unset and partitions outside the time bounds are pruned at plan time.
    """
    import psycopg
    from psycopg.rows import dict_row

    named = _named_placeholders(query)
    try:
        with (
            conn.cursor(row_factory=dict_row) as cur,
            _read_write(conn) if write else contextlib.nullcontext(),
        ):
            with _one_statement(conn, named, values):  # rows arrive when a pipeline ends
                cur.execute(query.sql, dict(values), prepare=False)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []
    except psycopg.errors.ReadOnlySqlTransaction as exc:
        raise UsageError(
            f"query {query.name} changes data ({_reason(exc)})",
            hint="queries run read-only; `llmlog query --write` runs one that changes data",
        ) from exc
    except psycopg.errors.QueryCanceled as exc:
        if "statement timeout" not in str(exc):
            raise
        limit = (conn.execute("SHOW statement_timeout").fetchone() or ("?",))[0]
        raise QueryTimeoutError(
            f"query {query.name} was stopped by the statement timeout ({limit})",
            hint=f"narrow the window, or raise the limit: --timeout SECONDS or {TIMEOUT_ENV}",
        ) from exc
    except (psycopg.DataError, psycopg.ProgrammingError, psycopg.OperationalError) as exc:
        if isinstance(exc, psycopg.OperationalError) and not (exc.sqlstate or "").startswith("54"):
            raise  # (class 54, a limit the query or its values exceeded, is theirs: the rest
            # of OperationalError is the store's)
        multiple = "multiple commands" in str(exc)
        hint = "a query file holds one statement" if multiple else "check the query and its values"
        raise UsageError(f"query {query.name}: {_reason(exc)}", hint=hint) from exc


def _one_statement(
    conn: psycopg.Connection, named: set[str], values: Mapping[str, Any]
) -> contextlib.AbstractContextManager[Any]:
    """psycopg sends a query that uses a parameter by the extended protocol, which takes
    one statement; any other (no values, or values its text never names: a declared but
    unused param) would go by the simple protocol, which runs several, unless it is sent
    in a pipeline (slower, so only then)."""
    return contextlib.nullcontext() if named & values.keys() else conn.pipeline()


# psycopg's placeholders as it reads them, left to right: ``%%`` is a literal ``%``.
_PLACEHOLDER = re.compile(r"%%|%\(([^)]+)\)|%[sbt]")


def _named_placeholders(query: Query) -> set[str]:
    """The names ``query``'s text binds; a positional ``%s`` is refused, since it has no
    name to bind a param to (psycopg would fail with a TypeError, or the server with a
    protocol error)."""
    named = set()
    for match in _PLACEHOLDER.finditer(query.sql):
        if match.group(0) in ("%s", "%b", "%t"):
            raise UsageError(
                f"query {query.name}: a positional placeholder (%s)",
                hint="name each value %(name)s and declare it `-- param name: TYPE`; "
                "write a literal % as %%",
            )
        if match.group(1):
            named.add(match.group(1))
    return named


@contextlib.contextmanager
def _read_write(conn: psycopg.Connection) -> Iterator[None]:
    with conn.transaction():
        conn.execute("SET TRANSACTION READ WRITE")
        yield


def _reason(exc: Exception) -> str:
    diag = getattr(exc, "diag", None)
    return (diag.message_primary if diag else None) or str(exc).strip().splitlines()[0]


def run(conn: psycopg.Connection, name: str, given: Mapping[str, Any]) -> list[Row]:
    """Rows of the bundled query ``name`` with ``given`` values (the rest from its defaults).

    Binding is strict: a value the query does not declare is refused, so a query that
    forgets a filter fails loudly instead of ignoring it.
    """
    query = sqlfile.bundled(name)
    values = params.bind(query, given)
    if values.get("grep"):
        index_text_for(conn, values)
    return execute(conn, query, values)


def index_text_for(conn: psycopg.Connection, values: Mapping[str, Any]) -> None:
    """Before a full-text search: index the closed days of its window that still lack it."""
    from datetime import date

    from llmlog.store import textindex

    since, until = values.get("since"), values.get("until")
    first = since.date() if since else date.min
    last = until.date() if until else date.max
    import psycopg

    days = textindex.unindexed_days(conn, first, last)
    if days:
        log.warning("indexing the text of %d closed day(s) for search, once", len(days))
        try:
            textindex.index_days(conn, days)
        except psycopg.errors.InsufficientPrivilege:  # a reader (llmlog access): search unindexed
            log.warning("this role may not index them: searching without the index (slower)")


def drop_keys(rows: list[Row], keep: set[str], among: tuple[str, ...]) -> list[Row]:
    """``rows`` without the grouping columns of ``among`` that were not asked for."""
    gone = set(among) - keep
    return [{k: v for k, v in row.items() if k not in gone} for row in rows]
