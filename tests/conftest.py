"""Shared fixtures: real PostgreSQL servers, a migrated template, a database per test."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.servers import DebianServer, start_embedded, stop_embedded

TEMPLATE = "llmlog_template"


def _url_for(url: str, name: str) -> str:
    # libpq URL with another database name; keeps host (socket dir) and port.
    head, _, query = url.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No LLMLOG_* leaks in from the environment; LLMLOG_HOME is a fresh directory."""
    for name in list(os.environ):
        if name.startswith("LLMLOG_"):
            monkeypatch.delenv(name)
    home = tmp_path / "llmlog-home"
    home.mkdir()
    monkeypatch.setenv("LLMLOG_HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    return home


@pytest.fixture(scope="session")
def embedded_server() -> Iterator[tuple[str, Path]]:
    """An embedded PostgreSQL 18 started for this test session: (admin URL, data dir)."""
    root = Path(tempfile.mkdtemp(prefix="llmlog-tests-"))
    url, server = start_embedded(root)
    yield url, root / "pgdata"
    stop_embedded(server)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_admin_url(embedded_server: tuple[str, Path]) -> str:
    return embedded_server[0]


@pytest.fixture(scope="session")
def password_url(embedded_server: tuple[str, Path]) -> str:
    """A URL for role ``pwuser`` (password ``right``), which must log in with a password."""
    admin, pgdata = embedded_server
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE ROLE pwuser LOGIN PASSWORD 'right'")
        hba = pgdata / "pg_hba.conf"
        hba.write_text("local all pwuser scram-sha-256\n" + hba.read_text())
        conn.execute("SELECT pg_reload_conf()")
    return admin.replace("postgresql://postgres@", "postgresql://pwuser:right@")


# .ci/run sets this: there a missing Debian PostgreSQL fails its tests instead of skipping them.
# Read at import, before the autouse fixture clears LLMLOG_* for each test.
REQUIRE_DEBIAN = os.environ.get("LLMLOG_TESTS_REQUIRE_DEBIAN_PG") == "1"


@pytest.fixture(scope="session")
def debian_server() -> Iterator[tuple[str, int]]:
    """Debian's PostgreSQL (any major), started for this session: (admin URL, major version).

    Skips when it is not installed, unless ``LLMLOG_TESTS_REQUIRE_DEBIAN_PG=1`` (CI) makes
    that a failure: a store the tests silently left out is a store nobody tested.
    """
    if not DebianServer.available():
        reason = "Debian's PostgreSQL is not installed (apt-get install postgresql)"
        if REQUIRE_DEBIAN:
            pytest.fail(f"{reason}, and LLMLOG_TESTS_REQUIRE_DEBIAN_PG=1 requires it")
        pytest.skip(reason)
    server = DebianServer()
    yield server.start(), server.major
    server.stop()


@pytest.fixture(scope="session")
def debian_admin_url(debian_server: tuple[str, int]) -> str:
    return debian_server[0]


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn.execute(query)
    return _url_for(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="session")
def template_url(pg_admin_url: str) -> str:
    """A database migrated to head, cloned by ``store_url`` for every test."""
    from llmlog.store import migrations

    url = create_database(pg_admin_url, TEMPLATE)
    migrations.upgrade(url)
    return url


@contextmanager
def fresh_database(admin_url: str, template: str | None = None) -> Iterator[str]:
    """A database of its own (a clone of ``template`` if given), dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = create_database(admin_url, name, template=template)
    try:
        yield url
    finally:
        drop_database(admin_url, name)


@pytest.fixture
def empty_db_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh empty database (no schema)."""
    with fresh_database(pg_admin_url) as url:
        yield url


@pytest.fixture
def store_url(pg_admin_url: str, template_url: str) -> Iterator[str]:
    """A fresh database at schema head, private to one test."""
    with fresh_database(pg_admin_url, TEMPLATE) as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to the test's own store."""
    with psycopg.connect(store_url, autocommit=True) as conn:
        yield conn
