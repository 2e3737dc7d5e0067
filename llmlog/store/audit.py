"""Who ran what: an optional record of the report and export commands run on the store.

When the owner turns it on (``llmlog access audit on``), each report or export command
records itself before it reads: the command and the options given (never call content),
through ``llmlog_audit()`` (migration 0007), which takes the login from the session and
the client's address from the connection, so no role can write another's name or change
a row. A command that cannot record itself while the store audits is refused.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from llmlog.errors import StoreUnavailableError
from llmlog.store.access import require_owner

if TYPE_CHECKING:
    import psycopg

SETTING = "audit"


def record(conn: psycopg.Connection, command: str, args: Sequence[str]) -> bool:
    """Record ``command`` run with ``args`` (its argv) when the store audits; True when
    recorded."""
    import psycopg
    from psycopg.types.json import Jsonb

    try:
        row = conn.execute(
            "SELECT llmlog_audit(%s, %s, %s)", (command, Jsonb(list(args)), _os_user())
        ).fetchone()
    except psycopg.Error as exc:
        reason = (exc.diag.message_primary if exc.diag else None) or str(exc)
        raise StoreUnavailableError(
            f"cannot record `{command}` in the store's audit ({reason}); not run",
            hint="ask the store's owner (the audit is on: `llmlog access audit`)",
        ) from exc
    return bool(row and row[0])


def enabled(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "SELECT value = 'on' FROM llm_settings WHERE name = %s", (SETTING,)
    ).fetchone()
    return bool(row and row[0])


def switch(conn: psycopg.Connection, on: bool) -> None:
    """Turn the audit on or off (the owner only)."""
    require_owner(conn, f"access audit {'on' if on else 'off'}")
    conn.execute(
        "INSERT INTO llm_settings (name, value) VALUES (%s, %s) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (SETTING, "on" if on else "off"),
    )


def entries(
    conn: psycopg.Connection, *, since: datetime | None, role: str | None, limit: int
) -> list[dict[str, Any]]:
    """The newest audit rows (the owner only: no other role may read them)."""
    from psycopg.rows import dict_row

    require_owner(conn, "access audit-log")
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT at, db_role, os_user, host(client_addr) AS client, command, args "
            "FROM llm_audit WHERE (%(since)s::timestamptz IS NULL OR at >= %(since)s) "
            "AND (%(role)s::text IS NULL OR db_role = %(role)s) "
            "ORDER BY at DESC, id DESC LIMIT %(limit)s",
            {"since": since, "role": role, "limit": limit},
        )
        return cur.fetchall()


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no name for this uid (a bare container)
        return None
