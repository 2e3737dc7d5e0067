"""llmlog forget: a user's or tenant's calls gone from rows, replays, archive and spool."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
import psycopg

from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record
from tests.reports.conftest import call
from tests.retention.conftest import at, retain

NOW = "2026-03-11T00:30+00:00"


def count(store: psycopg.Connection, sql: str, *args: Any) -> int:
    return store.execute(sql, args).fetchone()[0]  # type: ignore[index]


def test_forgetting_a_user_removes_rows_replays_archive_and_spool_lines(
    march: list[Record], store: psycopg.Connection, tmp_path: Path, llmlog: Any,
    isolated_env: Path,
) -> None:  # fmt: skip
    root = tmp_path / "archive"
    retain(store, NOW, hot=5, archive=str(root))  # 1–5 March archived, then stripped
    replay = call(at("2026-03-10", 20), feature="chat", replay_of=march[1]["id"])
    BatchWriter(store).write([replay])
    spool = isolated_env / "spool"
    spool.mkdir()
    lines = [{"id": "x1", "user_id": "u1"}, {"id": "x2", "user_id": "u2"}]
    (spool / "calls-1-1.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    store.execute(  # an earlier sample-evals export named one of u1's calls and the replay
        "INSERT INTO llm_eval_exports (id, format, options, calls) "
        "VALUES ('00000000-0000-7000-8000-000000000001', 'llmlog', '{}', 2)"
    )
    for exported in (march[1], replay):
        store.execute(
            "INSERT INTO llm_eval_exported VALUES ('00000000-0000-7000-8000-000000000001', %s, %s)",
            (exported["id"], exported["ts"]),
        )

    dry = llmlog("forget", "--user", "u1", "--archive", str(root), "--dry-run", "-f", "json")
    assert dry.code == 0, dry.err
    assert json.loads(dry.out) == {
        "calls": 10,
        "replays": 1,
        "rollups": 0,
        "archive_rows": 5,
        "spool_lines": 1,
        "spool_files_in_use": 0,
        "eval_exports": 2,
    }
    assert count(store, "SELECT count(*) FROM llm_calls WHERE user_id = 'u1'") == 10

    done = llmlog("forget", "--user", "u1", "--archive", str(root), "-f", "json")
    assert json.loads(done.out)["calls"] == 10
    assert count(store, "SELECT count(*) FROM llm_calls WHERE user_id = 'u1'") == 0
    assert count(store, "SELECT count(*) FROM llm_calls WHERE replay_of IS NOT NULL") == 0
    assert json.loads(done.out)["eval_exports"] == 2
    assert count(store, "SELECT count(*) FROM llm_eval_exported") == 0
    archived = duckdb.sql(
        f"SELECT count(*) FILTER (WHERE user_id = 'u1'), count(*) "
        f"FROM read_parquet('{root}/*/*.parquet')"
    ).fetchall()
    assert archived == [(0, 15)]
    assert (spool / "calls-1-1.jsonl").read_text() == json.dumps(lines[1]) + "\n"
    audit = store.execute("SELECT selector, value_sha256, calls, archive_rows FROM llm_erasures")
    assert audit.fetchall() == [("user_id", hashlib.sha256(b"u1").hexdigest(), 11, 5)]
    # the days lost calls: the next run rolls them again, so rollups agree with the rows
    assert [d.isoformat() for d in retain(store, NOW, hot=5).plan.roll] == [
        f"2026-03-{d:02d}" for d in range(1, 11)
    ]


def test_forgetting_a_tenant_removes_its_rollups_too(
    march: list[Record], store: psycopg.Connection, llmlog: Any
) -> None:
    retain(store, NOW)
    result = llmlog("forget", "--tenant", "acme", "-f", "json")
    assert json.loads(result.out)["rollups"] == 20  # 2 features x 10 days
    assert count(store, "SELECT count(*) FROM llm_calls_daily WHERE tenant_id = 'acme'") == 0
    assert count(store, "SELECT count(*) FROM llm_calls_daily") == 20


def test_forget_needs_exactly_one_selector(llmlog: Any) -> None:
    result = llmlog("forget")
    assert (result.code, "give --user or --tenant" in result.err) == (2, True)


def test_forgetting_a_user_removes_the_judges_scores_of_their_calls(
    store: psycopg.Connection, llmlog: Any
) -> None:
    mine = call(at("2026-03-10", 9), user_id="u1", feature="chat")
    theirs = call(at("2026-03-10", 10), user_id="u2", feature="chat")
    BatchWriter(store).write([mine, theirs])
    for scored in (mine, theirs):  # a rationale quotes the call it scored
        store.execute(
            "INSERT INTO llm_scores (call_id, call_ts, judge_model, rubric, rubric_sha256, "
            "status, score, rationale) VALUES (%s, %s, 'j', 'general', 'h', 'scored', 40, "
            "'quotes the call')",
            (scored["id"], scored["ts"]),
        )
    assert llmlog("forget", "--user", "u1").code == 0
    left = store.execute("SELECT call_id FROM llm_scores").fetchall()
    assert left == [(theirs["id"],)]
