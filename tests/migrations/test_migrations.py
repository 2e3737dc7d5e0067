"""Migrations: empty → head → base → head on PostgreSQL 18 and Debian's, in step with schema.py."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from llmlog.store import migrations, revision
from tests.cli.run import llmlog
from tests.conftest import fresh_database


@pytest.fixture(params=["pg_admin_url", "debian_admin_url"], ids=["embedded", "debian"])
def fresh_url(request: pytest.FixtureRequest) -> Iterator[str]:
    admin = request.getfixturevalue(request.param)
    with fresh_database(admin) as url:
        yield url


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {r[0] for r in rows}


def test_up_down_up(fresh_url: str) -> None:
    migrations.upgrade(fresh_url)
    assert {"llm_calls", "llm_calls_default", "llm_calls_daily", "alembic_version"} <= tables(
        fresh_url
    )
    migrations.downgrade(fresh_url, "base")
    assert tables(fresh_url) == {"alembic_version"}
    migrations.upgrade(fresh_url)
    with psycopg.connect(fresh_url) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            revision.HEAD,
        )
        strategy = conn.execute(
            "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'llm_calls'::regclass"
        ).fetchone()
        assert strategy == ("r",)


def test_schema_matches_declared_tables(fresh_url: str) -> None:
    from alembic import command

    migrations.upgrade(fresh_url)
    with psycopg.connect(fresh_url, autocommit=True) as conn:
        from llmlog.store import partitions

        partitions.ensure_ahead(conn)
    command.check(migrations.alembic_config(fresh_url))  # raises on any difference


def test_known_revisions_match_the_scripts() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrations.alembic_config())
    chain = [s.revision for s in scripts.walk_revisions("base", "heads")]
    assert tuple(reversed(chain)) == revision.ALL
    assert migrations.head() == revision.HEAD


def test_declared_columns_match_the_record_shape() -> None:
    from llmlog.store.records import COLUMNS
    from llmlog.store.schema import llm_calls

    assert tuple(c.name for c in llm_calls.columns) == COLUMNS


def test_migrate_sql_prints_ddl_without_running_it(empty_db_url: str) -> None:
    result = llmlog("--db", empty_db_url, "migrate", "--sql")
    assert result.code == 0, result.stderr
    assert "CREATE TABLE llm_calls" in result.stdout
    assert "PARTITION BY RANGE (ts)" in result.stdout
    assert tables(empty_db_url) == set()


def test_migrate_check_then_migrate(empty_db_url: str) -> None:
    assert llmlog("--db", empty_db_url, "migrate", "--check").code == 3
    assert llmlog("--db", empty_db_url, "migrate").code == 0
    check = llmlog("--db", empty_db_url, "migrate", "--check")
    assert check.code == 0, check.stderr
    assert llmlog("--db", empty_db_url, "migrate", "--sql").stdout == ""


def test_init_is_idempotent(empty_db_url: str) -> None:
    first = llmlog("--db", empty_db_url, "init")
    second = llmlog("--db", empty_db_url, "init")
    assert first.code == second.code == 0
    assert "migrated from empty" in first.stderr
    assert "is ready" in second.stderr
