"""Opening connections to the store, with errors a person can act on.

Report commands talk to PostgreSQL through psycopg directly: SQLAlchemy and Alembic are
imported only where schema work happens, which keeps a short command fast.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from llmlog import config
from llmlog.errors import ConfigError, SchemaBehindError, StoreUnavailableError
from llmlog.store import embedded
from llmlog.store.revision import HEAD

if TYPE_CHECKING:
    import psycopg

# Every llmlog session: JIT made partitioned scans 2.5-5x slower (PG_BASELINE).
SESSION_OPTIONS = "-c jit=off"
_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://", "postgresql+psycopg2://")


# libpq reads user:password@ up to the last "@" before the first "/" (a password may hold
# "@", "?" or "#"), and a password=... parameter up to "&".
_USERINFO_PASSWORD = re.compile(r"(://[^:/@]*:)([^/]*)@")
_PARAM_PASSWORD = re.compile(r"(?i)(password=)([^&\s]*)")


def mask(url: str) -> str:
    """The URL (or any text holding URLs) with every password replaced by ``***``."""
    url = _USERINFO_PASSWORD.sub(r"\1***@", url)
    return _PARAM_PASSWORD.sub(r"\1***", url)


def scrub(text: str, url: str) -> str:
    """``text`` without the passwords of ``url`` (as written and percent-decoded)."""
    found = [m.group(2) for m in _USERINFO_PASSWORD.finditer(url)]
    found += [m.group(2) for m in _PARAM_PASSWORD.finditer(url)]
    secrets = {form for raw in found if raw for form in (raw, unquote(raw))}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def normalize(url: str) -> str:
    """A libpq URL for ``url``, or ConfigError saying why it is not one."""
    if not url.startswith(_SCHEMES):
        raise ConfigError(
            f"not a PostgreSQL URL: {mask(url)!r}",
            hint="use postgresql://user:password@host:5432/dbname, or leave it unset "
            "for the embedded store",
        )
    if any(ord(char) < 32 or ord(char) == 127 for char in url):
        raise ConfigError(
            f"the database URL {mask(url)!r} holds a control character (a NUL, a newline…)",
            hint="quote the URL whole, or percent-encode the character (%00)",
        )
    url = "postgresql://" + url.split("://", 1)[1]
    password = _USERINFO_PASSWORD.search(url)
    if password and any(char in password.group(2) for char in "@?#"):
        raise ConfigError(
            f"the password in {mask(url)!r} holds a raw @, ? or #",
            hint="percent-encode them in the URL: @ as %40, ? as %3F, # as %23",
        )
    reason = _malformed(url)
    if reason is not None:
        raise ConfigError(
            f"malformed database URL {mask(url)!r}: {scrub(reason, url)}",
            hint="use postgresql://user:password@host:5432/dbname",
        )
    return url


def _malformed(url: str) -> str | None:
    """Why libpq refuses ``url`` (None when it does not), told without its password.

    The reason comes from parsing the masked URL, so a library's message cannot quote
    the password; when only the real URL fails, the password is what is wrong.
    """
    if _parse_error(url) is None:
        return None
    reason = _parse_error(mask(url))
    if reason is None:
        return "the password is not valid in a URL (a % must start %XX; write % as %25)"
    return reason


def _parse_error(url: str) -> str | None:
    from psycopg import conninfo

    try:
        urlsplit(url).port  # raises for a port that is not a number  # noqa: B018
        conninfo.conninfo_to_dict(url)
    except Exception as exc:
        return str(exc).strip() or type(exc).__name__
    return None


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


def _explain(url: str, exc: Exception) -> StoreUnavailableError | ConfigError:
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    text = scrub(mask(text), url)
    shown = mask(url)
    if re.search(r"\binvalid (\w+ )?value\b", text):  # libpq: `invalid sslmode value: "x"`
        return ConfigError(
            f"the database URL {shown} has a setting libpq refuses: {text}",
            hint="fix it in --db, LLMLOG_DATABASE_URL or config.toml",
        )
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
