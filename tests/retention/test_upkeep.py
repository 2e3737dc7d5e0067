"""Strip, drop, partitions ahead, one run at a time, dry runs, cron output, crashes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from typing import Any

import psycopg

from llmlog.store import partitions, retention, textindex
from llmlog.store.records import Record
from tests.cli.run import assert_one_line_error, llmlog
from tests.retention.conftest import MARCH, retain

NOW = "2026-03-11T00:30+00:00"


def content(store: psycopg.Connection, day: str) -> list[tuple[Any, ...]]:
    return store.execute(
        "SELECT request IS NULL, response IS NULL, system_prompt IS NULL, output_text IS NULL, "
        "tool_calls, user_id, cost_usd IS NOT NULL FROM llm_calls "
        "WHERE (ts AT TIME ZONE 'UTC')::date = %s ORDER BY ts",
        (day,),
    ).fetchall()


def test_stripping_removes_content_keeps_metadata_and_rewrites_the_partition(
    march: list[Record], store: psycopg.Connection
) -> None:
    textindex.index_days(store, [date(2026, 3, 2)])
    result = retain(store, NOW, hot=6)  # content kept from 5 March on
    assert [d.isoformat() for d in result.plan.strip] == MARCH[:4]
    assert content(store, "2026-03-02") == [
        (True, True, True, True, [{"id": f"t{i}", "name": "lookup"}], f"u{i}", True)
        for i in range(4)
    ]
    assert all(row[3] is False for row in content(store, "2026-03-05"))
    assert result.bytes_freed > 0 and result.bytes_after < result.bytes_before
    # no row was updated: the partition's rows were all written by one new transaction
    # (TRUNCATE gave it fresh files, so no dead tuples are left behind)
    xmins = store.execute(
        f"SELECT count(DISTINCT xmin::text) FROM {partitions.name_for(date(2026, 3, 2))}"
    ).fetchone()
    assert xmins == (1,)
    assert textindex.unindexed_days(store, date(2026, 3, 2), date(2026, 3, 2)) == [
        date(2026, 3, 2)
    ]  # its text index went with its content
    assert retain(store, NOW, hot=6).plan.strip == []


def test_dropping_removes_old_partitions_and_keeps_their_rollups(
    march: list[Record], store: psycopg.Connection
) -> None:
    result = retain(store, NOW, hot=3, keep=6)  # rows kept from 5 March on
    assert [d.isoformat() for d in result.plan.drop] == MARCH[:4]
    left = sorted(d.isoformat() for d in partitions.existing_days(store))
    assert left[0] == "2026-03-05"
    assert store.execute(
        "SELECT count(DISTINCT day), sum(calls) FROM llm_calls_daily"
    ).fetchone() == (10, 40)
    assert store.execute(
        "SELECT count(*) FROM llm_calls_days WHERE dropped_at IS NOT NULL"
    ).fetchone() == (4,)


def test_partitions_for_the_coming_week_exist(store: psycopg.Connection) -> None:
    retain(store, NOW)
    ahead = {date(2026, 3, 11 + n) for n in range(8)}
    assert ahead <= partitions.existing_days(store)


def test_a_second_run_says_another_is_running_and_exits_75(store_url: str) -> None:
    with psycopg.connect(store_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (retention.RETENTION_LOCK,))
        result = llmlog("--db", store_url, "retention-roll")
    assert_one_line_error(result, 75, "another retention-roll is running")


def test_dry_run_prints_the_plan_and_changes_nothing(
    march: list[Record], store: psycopg.Connection, store_url: str
) -> None:
    result = llmlog("--db", store_url, "retention-roll", "--now", NOW, "--hot-days", "6",
                    "--keep-days", "8", "--dry-run", "--format", "json")  # fmt: skip
    assert result.code == 0, result.stderr
    plan = json.loads(result.stdout)
    steps = {s: [r["day"] for r in plan if r["step"] == s] for s in ("roll", "strip", "drop")}
    assert steps == {"roll": MARCH, "strip": MARCH[2:4], "drop": MARCH[:2]}
    assert result.stderr.startswith("dry run, would have rolled 10 days")
    assert store.execute("SELECT count(*) FROM llm_calls_daily").fetchone() == (0,)
    assert len(partitions.existing_days(store)) == 10


def test_a_run_prints_one_summary_line_on_stderr(march: list[Record], store_url: str) -> None:
    result = llmlog("--db", store_url, "retention-roll", "--now", NOW, "--hot-days", "6",
                    "--keep-days", "8")  # fmt: skip
    assert (result.code, result.stdout) == (0, "")
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(
        "rolled 10 days, text-indexed 6 days, archived 0 days, stripped 2 days, dropped 2 days, "
    )


def test_keep_days_shorter_than_hot_days_is_a_usage_error(store_url: str) -> None:
    result = llmlog("--db", store_url, "retention-roll", "--hot-days", "30", "--keep-days", "7")
    assert_one_line_error(result, 2, "--keep-days 7 is shorter than --hot-days 30")


def test_a_run_killed_midway_is_finished_by_the_next_without_counting_twice(
    march: list[Record], store: psycopg.Connection, store_url: str
) -> None:
    args = ["--db", store_url, "retention-roll", "--now", NOW, "--hot-days", "6"]
    with psycopg.connect(store_url) as blocker:  # holds 6 March's state row
        blocker.execute("SELECT 1 FROM llm_calls_days WHERE day = '2026-03-06' FOR UPDATE")
        proc = subprocess.Popen([sys.executable, "-m", "llmlog", *args],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 60
        while store.execute(
            "SELECT count(*) FROM llm_calls_days WHERE rolled_at IS NOT NULL"
        ).fetchone() != (5,):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # in the middle of rolling 6 March
        proc.wait()
        # the server ends the dead client's session as a crash would
        store.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s)",
            (blocker.info.backend_pid,),
        )
        blocker.rollback()
    assert llmlog(*args).code == 0
    assert store.execute(
        "SELECT count(*), sum(calls) FROM (SELECT day, sum(calls) AS calls "
        "FROM llm_calls_daily GROUP BY day HAVING sum(calls) = 4) AS d"
    ).fetchone() == (10, 40)
    assert retain(store, NOW, hot=6).plan.rows() == []


def test_status_counts_each_call_once_whether_rolled_up_or_dropped(
    march: list[Record], store: psycopg.Connection, store_url: str
) -> None:
    from llmlog.store import admin

    retain(store, NOW)  # every day rolled up, its rows kept
    counts = ("calls", "hot_calls", "rolled_up_calls", "rolled_up_days")
    assert [admin.status(store_url)[k] for k in counts] == [40, 40, 0, 0]
    retain(store, NOW, hot=3, keep=6)  # 1–4 March dropped: only their rollups are left
    assert [admin.status(store_url)[k] for k in counts] == [40, 24, 16, 4]


def test_a_late_row_for_a_dropped_day_never_replaces_its_rollup(
    march: list[Record], store: psycopg.Connection
) -> None:
    from llmlog.store.batch import BatchWriter
    from tests.retention.conftest import day_calls

    retain(store, NOW, hot=3, keep=6)  # 1–4 March dropped
    BatchWriter(store).write(day_calls("2026-03-02", 1))  # recreates its partition
    result = retain(store, NOW, hot=3, keep=6)
    assert result.plan.roll == [] and [d.isoformat() for d in result.plan.drop] == [
        "2026-03-02"
    ]  # past the keep window: dropped again, its rollup untouched
    assert store.execute(
        "SELECT sum(calls) FROM llm_calls_daily WHERE day = '2026-03-02'"
    ).fetchone() == (4,)
