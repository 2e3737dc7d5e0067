"""``llmlog demo`` from the command line: init on first use, --reset, determinism by seed."""

from __future__ import annotations

import shlex
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from typer.testing import CliRunner

from llmlog.cli.app import app
from llmlog.demo import load
from llmlog.store.revision import HEAD

runner = CliRunner()


def demo(url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", url, "demo", *args])
    return result.exit_code, result.stdout, result.stderr


def count(url: str, table: str = "llm_calls") -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]


def test_demo_initialises_an_empty_database_and_says_what_to_try(empty_db_url: str) -> None:
    code, out, err = demo(empty_db_url, "--calls", "300", "--days", "2")
    assert code == 0, err
    assert out == ""
    assert "stored 300 demo calls over 2 days" in err
    prefix = f"llmlog --db {shlex.quote(empty_db_url)} "  # quoted: the URL has ? and &
    hints = [line.strip() for line in err.splitlines()[1:]]
    assert all(line.startswith(prefix) for line in hints)
    steps = [line.removeprefix(prefix) for line in hints]
    assert steps[:4] == ["status", "tail", "cost-by-feature --since 7d", "errors"]
    assert steps[4].startswith("trace ")
    assert steps[5] == "drift --by prompt_version --feature ticket_summary"
    assert "━" not in err  # no progress bar when stderr is not a terminal
    assert count(empty_db_url) == 300
    with psycopg.connect(empty_db_url) as conn:
        newest = conn.execute("SELECT now() - max(ts) FROM llm_calls").fetchone()[0]  # type: ignore[index]
    # The traffic ends now (a quiet night hour may hold none of 300 calls over 2 days).
    assert timedelta(0) <= newest < timedelta(hours=3)
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (HEAD,)
        trace = steps[4].removeprefix("trace ")
        calls = conn.execute("SELECT count(*) FROM llm_calls WHERE trace_id = %s", (trace,))
        assert calls.fetchone()[0] >= 2  # type: ignore[index]


def test_reset_empties_calls_and_daily_rollups_first(store_url: str) -> None:
    assert demo(store_url, "--calls", "200")[0] == 0
    assert demo(store_url, "--calls", "100")[0] == 0
    assert count(store_url) == 300
    with psycopg.connect(store_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO llm_calls_daily (day, calls, errors, input_tokens, output_tokens, "
            "cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, latency_ms_sum, "
            "latency_hist, ttft_calls, ttft_ms_sum, ttft_hist) "
            "VALUES (current_date - 40, 1, 0, 1, 1, 0, 0, 0, 0, 1, '{}', 0, 0, '{}')"
        )
    code, _, err = demo(store_url, "--calls", "150", "--reset")
    assert code == 0, err
    assert count(store_url) == 150
    assert count(store_url, "llm_calls_daily") == 0


SNAPSHOT = (
    "SELECT ts, feature, tenant_id, user_id, session_id IS NULL, model, prompt_version, "
    "input_tokens, output_tokens, cache_read_tokens, cost_usd, latency_ms, ttft_ms, status, "
    "error_type, finish_reason, output_text, feedback, parent_id IS NULL, request "
    "FROM llm_calls ORDER BY ts, feature, latency_ms"
)


def test_same_seed_gives_the_same_traffic(store_url: str, store: psycopg.Connection) -> None:
    end = datetime.now(UTC)

    def snapshot(seed: int, writers: int) -> list[tuple[object, ...]]:
        store.execute("TRUNCATE llm_calls")
        load.load(store_url, calls=1200, days=3, seed=seed, end=end, writers=writers)
        return store.execute(SNAPSHOT).fetchall()

    first = snapshot(11, writers=1)
    assert len(first) == 1200
    assert snapshot(11, writers=3) == first
    assert snapshot(12, writers=1) != first


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["demo", "--help"])
    assert result.exit_code == 0
    assert "Example: llmlog demo" in result.stdout


def test_unreachable_store_is_a_store_error_not_a_traceback() -> None:
    from llmlog.errors import StoreUnavailableError

    result = runner.invoke(app, ["--db", "postgresql://llmlog@127.0.0.1:1/nowhere", "demo"])
    assert isinstance(result.exception, StoreUnavailableError)
    assert result.exception.exit_code == 3
    assert "127.0.0.1:1" in result.exception.message


def test_next_steps_repeat_the_db_option_but_never_a_password() -> None:
    from llmlog.cli.demo_cmd import next_steps
    from llmlog.demo.load import Loaded

    loaded = Loaded(10, 1.0, "trace-1")
    assert next_steps(loaded)[0] == "llmlog status"
    assert "llmlog trace trace-1" in next_steps(loaded)
    plain = next_steps(loaded, "postgresql://app@db/llmlog")
    assert plain[0] == "llmlog --db postgresql://app@db/llmlog status"
    secret = next_steps(loaded, "postgresql://app:hunter2@db/llmlog")
    assert secret[0] == "llmlog --db URL status"
    assert not any("hunter2" in line for line in secret)


def test_demo_on_debian_postgresql(debian_server: tuple[str, int]) -> None:
    from tests.conftest import create_database, drop_database

    admin_url, major = debian_server
    name = f"demo_debian_{uuid.uuid4().hex[:8]}"
    url = create_database(admin_url, name)
    try:
        code, _, err = demo(url, "--calls", "400", "--days", "3")
        assert code == 0, err
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT count(*), count(DISTINCT feature), current_setting('server_version_num') "
                "FROM llm_calls"
            ).fetchone()
        assert row is not None and row[0] == 400 and row[1] >= 8
        assert int(row[2]) // 10000 == major
    finally:
        drop_database(admin_url, name)
