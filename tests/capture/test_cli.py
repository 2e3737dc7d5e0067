"""ingest FILE (bad lines), feedback (API and CLI), recost; status shows the spool."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import psycopg

import llmlog
from llmlog.ids import new_id
from llmlog.store.records import to_json
from tests.capture.conftest import openai_client, rows
from tests.cli.run import llmlog as run_llmlog
from tests.integration.test_batch import make_record
from tests.stub_provider import StubServer


def test_ingest_file_reports_bad_lines_and_stores_the_good(
    store_url: str, store: psycopg.Connection, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    good = [make_record(now, feature="imported") for _ in range(3)]
    lines = [
        to_json(good[0]),
        "{not json",
        to_json(good[1]),
        json.dumps({"id": str(new_id()), "provider": "openai"}),
        json.dumps({**json.loads(to_json(good[2])), "colour": "red"}),
        "",
        to_json(good[2]),
    ]
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run_llmlog("--db", store_url, "ingest", str(path))
    assert result.code == 2, result.stderr
    assert f"{path}:2: not JSON" in result.stderr
    assert f"{path}:4: missing field(s): trace_id, endpoint" in result.stderr  # (ts: the id's)
    assert f"{path}:5: unknown field(s): colour" in result.stderr
    assert "3 stored, 0 already stored\n" in result.stderr
    assert f"llmlog: 3 line(s) rejected, kept in {path}.rejects" in result.stderr
    rejects = (tmp_path / "calls.jsonl.rejects").read_text().splitlines()
    assert rejects == [lines[1], lines[3], lines[4]]
    stored = {r[0] for r in store.execute("SELECT id FROM llm_calls WHERE feature = 'imported'")}
    assert stored == {r["id"] for r in good}
    again = run_llmlog("--db", store_url, "ingest", str(path))
    assert "0 stored, 3 already stored" in again.stderr


def test_ingest_usage_errors(store_url: str, tmp_path: Path) -> None:
    assert run_llmlog("--db", store_url, "ingest").code == 2
    missing = run_llmlog("--db", store_url, "ingest", str(tmp_path / "nope.jsonl"))
    assert missing.code == 1 and "no such file" in missing.stderr


def test_feedback_api_and_cli(
    capture: Path, store_url: str, store: psycopg.Connection, stub: StubServer
) -> None:
    client = llmlog.wrap(openai_client(stub))
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    first = llmlog.last_call_id()
    llmlog.feedback(first, "down", note="wrong city")  # queued behind the call itself
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    second = llmlog.last_call_id()
    found = {r["id"]: r for r in rows(store)}
    assert (found[first]["feedback"], found[first]["feedback_note"]) == (-1, "wrong city")
    assert found[second]["feedback"] is None

    result = run_llmlog("--db", store_url, "feedback", str(second), "up", "--note", "great")
    assert result.code == 0, result.stderr
    assert store.execute(
        "SELECT feedback, feedback_note FROM llm_calls WHERE id = %s", (second,)
    ).fetchone() == (1, "great")
    unknown = run_llmlog("--db", store_url, "feedback", str(new_id()), "up")
    assert unknown.code == 1 and "no stored call" in unknown.stderr
    bad = run_llmlog("--db", store_url, "feedback", str(second), "sideways")
    assert bad.code == 2


def test_feedback_while_store_down_is_spooled_then_applied(
    store_url: str, store: psycopg.Connection, tmp_path: Path, stub: StubServer
) -> None:
    from llmlog import settings
    from llmlog.capture import writer

    settings.reset()
    llmlog.configure(database_url="postgresql://x@127.0.0.1:9/none", spool_dir=tmp_path)
    try:
        llmlog.wrap(openai_client(stub)).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
        call_id = llmlog.last_call_id()
        llmlog.feedback(call_id, 1)
        assert llmlog.flush(10)
    finally:
        writer.shutdown()
        settings.reset()
    result = run_llmlog(
        "--db", store_url, "ingest", "--spool", env={"LLMLOG_SPOOL_DIR": str(tmp_path)}
    )
    assert result.code == 0, result.stderr
    assert "1 stored, 0 already stored, 1 feedback applied" in result.stderr
    assert store.execute("SELECT feedback FROM llm_calls").fetchone() == (1,)


def test_recost_dry_run_then_for_real(
    capture: Path,
    store_url: str,
    store: psycopg.Connection,
    stub: StubServer,
    isolated_env: Path,
) -> None:
    client = llmlog.wrap(openai_client(stub))
    for model in ("gpt-4o-mini", "gpt-4o-mini", "gpt-4o"):
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    before = {r["id"]: r["cost_usd"] for r in rows(store)}
    (gpt4o_cost,) = [r["cost_usd"] for r in rows(store) if r["model"] == "gpt-4o"]
    (isolated_env / "prices.toml").write_text(
        '[models."gpt-4o-mini"]\ninput_mtok = 1\noutput_mtok = 2\n'
    )
    dry = run_llmlog("--db", store_url, "recost", "--since", "1h", "--dry-run", "-f", "json")
    assert dry.code == 0, dry.stderr
    report = {r["model"]: r for r in json.loads(dry.stdout)}
    assert report["gpt-4o-mini"]["calls"] == 2 and report["gpt-4o-mini"]["changed"] == 2
    assert report["gpt-4o"]["changed"] == 0
    assert Decimal(str(report["gpt-4o-mini"]["new_usd"])) == Decimal(2) * (1200 + 100) / 10**6
    assert "2 cost(s) would change" in dry.stderr
    assert {r["id"]: r["cost_usd"] for r in rows(store)} == before

    real = run_llmlog("--db", store_url, "recost", "--since", "1h", "--model", "gpt-4o-mini")
    assert real.code == 0 and "2 cost(s) updated" in real.stderr
    after = store.execute("SELECT model, cost_usd FROM llm_calls ORDER BY model, id").fetchall()
    assert after == [
        ("gpt-4o", gpt4o_cost),
        ("gpt-4o-mini", Decimal("0.0013")),
        ("gpt-4o-mini", Decimal("0.0013")),
    ]


def test_ingest_spool_with_a_torn_last_line_and_an_out_of_range_row(
    store_url: str, store: psycopg.Connection, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    good = make_record(now)
    refused = make_record(now, input_tokens=2**40)  # valid JSON, out of range for the column
    torn = to_json(make_record(now))[:40]  # a writer killed mid-line
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "calls-20260101T000000-1-abc.jsonl").write_text(
        f"{to_json(good)}\n{to_json(refused)}\n{torn}"
    )
    result = run_llmlog(
        "--db", store_url, "ingest", "--spool", env={"LLMLOG_SPOOL_DIR": str(spool)}
    )
    assert result.code == 2, result.stderr
    assert ":2: input_tokens: 1099511627776 is out of range" in result.stderr
    assert ":3: not JSON" in result.stderr
    assert "1 stored, 0 already stored\n" in result.stderr
    assert "llmlog: 2 line(s) rejected" in result.stderr
    assert [r[0] for r in store.execute("SELECT id FROM llm_calls")] == [good["id"]]
    kept = (spool / "rejects" / "calls-20260101T000000-1-abc.jsonl").read_text().splitlines()
    assert sorted(kept) == sorted([to_json(refused), torn])
    assert list(spool.glob("*.jsonl")) == []
