"""Every way the store can be wrong gets one clear line and its exit code."""

from __future__ import annotations

import psycopg
import pytest

from llmlog.errors import EXIT_STORE, EXIT_USAGE
from llmlog.store.revision import HEAD
from tests.cli.run import assert_one_line_error, llmlog


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root@localhost/db",
        "not a url",
        "postgresql://u:p@host:notaport/db",
        "postgresql://u:pw123@127.0.0.1:1/db?sslmode=bogus",
        "postgresql://u:pw123@127.0.0.1:1/db?target_session_attrs=nope",
    ],
)
def test_malformed_url_is_a_configuration_error(url: str) -> None:
    result = llmlog("--db", url, "status")
    assert_one_line_error(result, EXIT_USAGE, "URL")


def test_malformed_url_from_environment_masks_password() -> None:
    result = llmlog("status", env={"LLMLOG_DATABASE_URL": "mysql://root:s3cret@x/db"})
    assert_one_line_error(result, EXIT_USAGE, "***")
    assert "s3cret" not in result.stderr


def test_unreachable_server_names_the_url_with_password_masked() -> None:
    url = "postgresql://app:hunter2@127.0.0.1:1/llmlog"
    result = llmlog("--db", url, "status")
    assert_one_line_error(result, EXIT_STORE, "cannot reach", "127.0.0.1:1")
    assert "hunter2" not in result.stderr
    assert "app:***@" in result.stderr


def test_refused_password(password_url: str) -> None:
    result = llmlog("--db", password_url.replace(":right@", ":wrong@"), "status")
    assert_one_line_error(result, EXIT_STORE, "refused the login", "pwuser:***@")
    assert "wrong" not in result.stderr


def test_correct_password_is_accepted(password_url: str) -> None:
    result = llmlog("--db", password_url, "migrate", "--check")
    # The database has no llmlog schema: reachable, but behind.
    assert result.code == EXIT_STORE
    assert "llmlog migrate" in result.stderr


def test_missing_database_says_to_run_init(pg_admin_url: str) -> None:
    url = pg_admin_url.replace("/postgres?", "/no_such_db?")
    result = llmlog("--db", url, "status")
    assert_one_line_error(result, EXIT_STORE, "'no_such_db' does not exist", "llmlog init")


def test_init_creates_a_missing_database(pg_admin_url: str) -> None:
    url = pg_admin_url.replace("/postgres?", "/made_by_init?")
    try:
        result = llmlog("--db", url, "init")
        assert result.code == 0, result.stderr
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (HEAD,)
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS made_by_init WITH (FORCE)")


def test_schema_behind_is_refused_by_status_with_the_fix(empty_db_url: str) -> None:
    result = llmlog("--db", empty_db_url, "status", "--format", "json")
    assert result.code == EXIT_STORE
    assert "llmlog migrate" in result.stderr
    assert '"schema_revision": null' in result.stdout


def test_old_revision_is_refused_with_migrate_hint(store_url: str) -> None:
    from llmlog.errors import SchemaBehindError
    from llmlog.store.connect import check_schema

    with psycopg.connect(store_url, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'zzzz'")
        with pytest.raises(SchemaBehindError, match="unknown to this llmlog"):
            check_schema(conn, store_url)


def test_corrupt_config_file_is_a_configuration_error(isolated_env) -> None:
    (isolated_env / "config.toml").write_text("database_url = [unclosed")
    result = llmlog("status")
    assert_one_line_error(result, EXIT_USAGE, "config.toml")


def test_config_file_url_is_used(isolated_env, store_url: str) -> None:
    (isolated_env / "config.toml").write_text(f'database_url = "{store_url}"\n')
    result = llmlog("status", "--format", "json")
    assert result.code == 0, result.stderr
    assert '"schema_revision": "' + HEAD in result.stdout


def test_flag_beats_environment_beats_config_file(isolated_env, store_url: str) -> None:
    (isolated_env / "config.toml").write_text('database_url = "mysql://from-file"\n')
    env_result = llmlog("status", env={"LLMLOG_DATABASE_URL": "mysql://from-env"})
    assert "from-env" in env_result.stderr
    flag_result = llmlog("--db", store_url, "status", env={"LLMLOG_DATABASE_URL": "mysql://x"})
    assert flag_result.code == 0, flag_result.stderr
