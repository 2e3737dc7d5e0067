"""Opening connections to the store, with errors a person can act on.

Report commands talk to PostgreSQL through psycopg directly: SQLAlchemy and Alembic are
imported only where schema work happens, which keeps a short command fast.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from llmlog import config
from llmlog.errors import ConfigError, SchemaBehindError, StoreUnavailableError
from llmlog.store import embedded
from llmlog.store.revision import HEAD

if TYPE_CHECKING:
    import psycopg

# Every llmlog session: JIT made partitioned scans 2.5-5x slower (PG_BASELINE).
SESSION_OPTIONS = "-c jit=off"
_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://", "postgresql+psycopg2://")


def mask(url: str) -> str:
    """The URL with any password replaced by ``***``."""
    url = re.sub(r"(://[^:/@?#]*:)[^@/?#]*@", r"\1***@", url)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", url)


def normalize(url: str) -> str:
    """A libpq URL for ``url``, or ConfigError saying why it is not one."""
    if not url.startswith(_SCHEMES):
        raise ConfigError(
            f"not a PostgreSQL URL: {mask(url)!r}",
            hint="use postgresql://user:password@host:5432/dbname, or leave it unset "
            "for the embedded store",
        )
    url = "postgresql://" + url.split("://", 1)[1]
    from psycopg import conninfo

    try:
        urlsplit(url).port  # raises for a port that is not a number  # noqa: B018
        conninfo.conninfo_to_dict(url)
    except Exception as exc:
        raise ConfigError(
            f"malformed database URL {mask(url)!r}: {str(exc).strip()}",
            hint="use postgresql://user:password@host:5432/dbname",
        ) from exc
    return url


def resolve_url(cli_value: str | None = None) -> str:
    """The URL to connect to; starts the embedded server when that is the configured store."""
    url = config.database_url(cli_value)
    if url == config.EMBEDDED:
        return embedded.ensure_running().url()
    return normalize(url)


def connect(url: str, *, autocommit: bool = True, timeout: int = 5) -> psycopg.Connection:
    """A psycopg connection with llmlog's session settings, or StoreUnavailableError."""
    import psycopg

    try:
        return psycopg.connect(
            url, autocommit=autocommit, connect_timeout=timeout, options=SESSION_OPTIONS
        )
    except psycopg.OperationalError as exc:
        raise _explain(url, exc) from exc


def _explain(url: str, exc: Exception) -> StoreUnavailableError:
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    shown = mask(url)
    if "password authentication failed" in text or "no password supplied" in text:
        return StoreUnavailableError(
            f"the server refused the login for {shown}: {text}",
            hint="check the user and password in the database URL",
        )
    missing = re.search(r'database "([^"]+)" does not exist', text)
    if missing:
        return StoreUnavailableError(
            f"database {missing.group(1)!r} does not exist on {shown}",
            hint="run `llmlog init` to create it (or createdb it yourself)",
        )
    return StoreUnavailableError(
        f"cannot reach the store at {shown}: {text}",
        hint="is the server running and the host/port right? (`llmlog status` checks)",
    )


def schema_revision(conn: psycopg.Connection) -> str | None:
    """The Alembic revision the store is at, or None for a store without llmlog's schema."""
    row = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return None
    found = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return found[0] if found else None


def check_schema(conn: psycopg.Connection, url: str) -> None:
    """Refuse a store whose schema is not at this llmlog's head revision."""
    revision = schema_revision(conn)
    if revision == HEAD:
        return
    shown = mask(url)
    if revision is None:
        raise SchemaBehindError(
            f"the store at {shown} has no llmlog schema", hint="run `llmlog init`"
        )
    from llmlog.store.revision import ALL

    if revision in ALL:
        raise SchemaBehindError(
            f"the store at {shown} is at schema revision {revision}, this llmlog needs {HEAD}",
            hint="run `llmlog migrate`",
        )
    raise SchemaBehindError(
        f"the store at {shown} is at schema revision {revision}, unknown to this llmlog",
        hint="upgrade llmlog (the store was migrated by a newer version)",
    )


def open_store(cli_value: str | None = None) -> tuple[str, psycopg.Connection]:
    """Resolve, connect and check the schema: what every command but init/migrate does."""
    url = resolve_url(cli_value)
    conn = connect(url)
    try:
        check_schema(conn, url)
    except Exception:
        conn.close()
        raise
    return url, conn


def ensure_database(url: str) -> bool:
    """Create the URL's database if it is missing; True when it was created."""
    import psycopg
    from psycopg import conninfo, sql

    params = conninfo.conninfo_to_dict(url)
    name = str(params.get("dbname") or params.get("user") or "postgres")
    try:
        psycopg.connect(url, connect_timeout=5).close()
        return False
    except psycopg.OperationalError as exc:
        if f'database "{name}" does not exist' not in str(exc):
            raise _explain(url, exc) from exc
    admin = conninfo.make_conninfo(url, dbname="postgres")
    with connect(admin) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True
