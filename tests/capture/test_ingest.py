"""``llmlog ingest``: every bad line is reported as FILE:LINE and kept byte-exact in the
rejects file, the good lines are stored exactly once, and a stored call is found by id."""

from __future__ import annotations

import json
import random
import string
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from llmlog.capture.feedback import set_feedback
from llmlog.ids import new_id, ts_of
from llmlog.reports.calls import show, trace
from llmlog.spool import ingest_file, ingest_spool
from tests.cli.run import assert_one_line_error
from tests.cli.run import llmlog as run_llmlog

AN_HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)
NOISE = "".join(random.Random(1).choices(string.ascii_letters + string.digits, k=1000))
FOREIGN = uuid.UUID("8c0e7f1e-2b1a-4c3d-9e8f-0123456789ab")  # a UUIDv4, as other tools make


def line(**fields: Any) -> bytes:
    """A good call record's JSON line (a UUIDv7 id of an hour ago), with ``fields`` on top;
    a field given as None is left out."""
    call_id = new_id(AN_HOUR_AGO)
    record: dict[str, Any] = {
        "id": str(call_id),
        "ts": ts_of(call_id).isoformat(),
        "trace_id": f"t-{call_id}",
        "provider": "openai",
        "endpoint": "chat.completions",
        "model": "gpt-4o-mini",
        "input_tokens": 12,
        "request": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    }
    record.update(fields)
    return json.dumps({k: v for k, v in record.items() if v is not None}).encode()


def ingest(conn: psycopg.Connection, path: Path, *lines: bytes) -> Any:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return ingest_file(conn, path, path.with_name(path.name + ".rejects"))


def stored_ids(conn: psycopg.Connection) -> list[uuid.UUID]:
    return [r[0] for r in conn.execute("SELECT id FROM llm_calls ORDER BY id")]


def ids_of(*lines: bytes) -> list[uuid.UUID]:
    return sorted(uuid.UUID(json.loads(x)["id"]) for x in lines)


NESTED = b"[" * 2000 + b"]" * 2000
BAD_LINES: dict[str, tuple[bytes, str]] = {
    "invalid UTF-8": (line(feature="caf\xe9").replace(b"caf\\u00e9", b"caf\xe9"), "not UTF-8"),
    "nested 2,000 levels": (
        line().replace(b'"request": {', b'"request": {"deep": ' + NESTED + b", "),
        "nested deeper than",
    ),
    "tokens as text": (line(input_tokens="abc"), 'input_tokens: "abc" is not a whole number'),
    "tokens as a fraction": (line(input_tokens=1.5), "input_tokens: 1.5 is not a whole number"),
    "tokens as a boolean": (line(input_tokens=True), "input_tokens: true is not a whole number"),
    "tokens below zero": (line(output_tokens=-3), "output_tokens: -3 is out of range"),
    "tokens past int4": (line(input_tokens=2**31), "input_tokens: 2147483648 is out of range"),
    "feedback as a word": (line(feedback="up"), 'feedback: "up" is not a whole number'),
    "feedback of 2": (line(feedback=2), "feedback: 2 is out of range (-1 to 1)"),
    "cost as text": (line(cost_usd="abc"), 'cost_usd: "abc" is not a number'),
    "cost past numeric(20,10)": (line(cost_usd=1e12), "cost_usd: 1000000000000.0 is out of"),
    "latency NaN": (line(latency_ms="NaN"), 'latency_ms: "NaN" is not a finite number'),
    "latency past a double": (line(latency_ms=10**400), "latency_ms: 1000000000"),
    "an integer of 5,000 digits": (
        line(input_tokens=7).replace(b'"input_tokens": 7', b'"input_tokens": ' + b"9" * 5000),
        "not JSON that can be stored",
    ),
    "latency a NaN literal": (
        line(latency_ms=float("nan")),
        "not JSON that can be stored: NaN is not a JSON number",
    ),
    "streamed as text": (line(streamed="yes"), 'streamed: "yes" is not true or false'),
    "status unknown": (line(status="fine"), 'status: "fine" is not ok or error'),
    "model as a number": (line(model=4), "model: 4 is not a string"),
    "metadata a list": (line(metadata=[1]), "metadata: [1] is not a JSON object"),
    "tool_calls an object": (line(tool_calls={"a": 1}), 'tool_calls: {"a": 1} is not a JSON array'),
    "id not a uuid": (line(id="call-17"), 'id: "call-17" is not a UUID'),
    "parent_id a number": (line(parent_id=17), "parent_id: 17 is not a UUID"),
    "ts year 9999": (
        line(id=str(FOREIGN), ts="9999-12-31T23:59:59Z"),
        "ts 9999-12-31T23:59:59+00:00 is out of range",
    ),
    "ts year 1": (line(id=str(FOREIGN), ts="0001-01-01T00:00:00Z"), "is out of range"),
    "ts a number": (line(id=str(FOREIGN), ts=1700000000), "ts: 1700000000 is not"),
    "ts not the id's time": (
        line(ts=(AN_HOUR_AGO + timedelta(seconds=5)).isoformat()),
        "is not the id's time",
    ),
    # a report label the report index cannot hold (random text does not compress)
    "a 4,000-character feature": (line(feature=NOISE * 4), "feature is longer than 256 bytes"),
    "a 300-byte tenant": (line(tenant_id="é" * 150), "tenant_id is longer than 256 bytes"),
    "a UUIDv7 id past year 9999": (
        line(id="ffffffff-ffff-7fff-bfff-ffffffffffff", ts="2026-01-01T00:00:00Z"),
        "is out of range",
    ),
}


@pytest.mark.parametrize("case", BAD_LINES, ids=list(BAD_LINES))
def test_a_bad_line_is_rejected_alone_and_kept_byte_exact(
    case: str, store: psycopg.Connection, tmp_path: Path
) -> None:
    bad, reason = BAD_LINES[case]
    first, last = line(), line()
    path = tmp_path / "calls.jsonl"
    result = ingest(store, path, first, bad, last)
    assert [(r[0], r[1]) for r in result.rejected] == [(str(path), 2)], result.rejected
    assert reason in result.rejected[0][2]
    assert result.stored == 2
    assert stored_ids(store) == ids_of(first, last)
    assert (tmp_path / "calls.jsonl.rejects").read_bytes() == bad + b"\n"


def test_a_ts_inside_the_ids_millisecond_is_stored_as_that_millisecond_and_found(
    store: psycopg.Connection, tmp_path: Path
) -> None:
    call_id = new_id(AN_HOUR_AGO)
    at = ts_of(call_id)
    micro = line(id=str(call_id), ts=(at + timedelta(microseconds=731)).isoformat())
    result = ingest(store, tmp_path / "calls.jsonl", micro)
    assert (result.stored, result.rejected) == (1, [])
    assert store.execute("SELECT ts FROM llm_calls").fetchone() == (at,)
    assert show(store, str(call_id))["id"] == call_id


def test_a_uuidv7_line_may_leave_ts_out(store: psycopg.Connection, tmp_path: Path) -> None:
    call_id = new_id(AN_HOUR_AGO)
    result = ingest(store, tmp_path / "calls.jsonl", line(id=str(call_id), ts=None))
    assert (result.stored, result.rejected) == (1, [])
    assert store.execute("SELECT ts FROM llm_calls").fetchone() == (ts_of(call_id),)


def test_a_line_without_a_uuidv7_id_needs_its_ts(store: psycopg.Connection, tmp_path: Path) -> None:
    result = ingest(store, tmp_path / "calls.jsonl", line(id=str(FOREIGN), ts=None))
    assert result.stored == 0
    assert "missing field(s): ts" in result.rejected[0][2]


def test_a_call_with_a_foreign_id_is_stored_with_its_ts_and_found_by_show_feedback_trace(
    store: psycopg.Connection, tmp_path: Path
) -> None:
    at = datetime(2026, 3, 4, 5, 6, 7, 891234, tzinfo=UTC)
    child = uuid.UUID("00000000-0000-4000-8000-000000000001")
    lines = (
        line(id=str(FOREIGN), ts=at.isoformat(), trace_id="imported-trace"),
        line(id=str(child), ts=(at + timedelta(seconds=1)).isoformat(),
             trace_id="imported-trace", parent_id=str(FOREIGN)),
    )  # fmt: skip
    result = ingest(store, tmp_path / "calls.jsonl", *lines)
    assert (result.stored, result.rejected) == (2, [])
    assert store.execute("SELECT ts FROM llm_calls WHERE id = %s", (FOREIGN,)).fetchone() == (at,)
    shown = show(store, str(FOREIGN))
    assert (shown["id"], shown["ts"], shown["trace"]["children"]) == (FOREIGN, at, [child])
    assert show(store, str(FOREIGN)[:8])["id"] == FOREIGN  # a prefix, too
    assert show(store, "0000000000004")["id"] == child
    assert [r["id"] for r in trace(store, str(child))] == [FOREIGN, child]
    assert set_feedback(store, FOREIGN, "down", "imported")
    assert not set_feedback(store, uuid.uuid4(), "down")
    assert store.execute("SELECT feedback FROM llm_calls WHERE id = %s", (FOREIGN,)).fetchone() == (
        -1,
    )


def test_a_foreign_id_is_stored_once_even_with_another_ts(
    store: psycopg.Connection, tmp_path: Path
) -> None:
    at = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    first = line(id=str(FOREIGN), ts=at.isoformat())
    moved = line(id=str(FOREIGN), ts=(at + timedelta(days=3)).isoformat())
    result = ingest(store, tmp_path / "a.jsonl", first, moved)  # in one batch
    assert result.stored == 1 and [r[1] for r in result.rejected] == [2]
    assert "is already stored with ts 2026-03-04T05:06:07+00:00" in result.rejected[0][2]
    again = ingest(store, tmp_path / "b.jsonl", first, moved)  # against stored rows
    assert (again.stored, again.duplicates, [r[1] for r in again.rejected]) == (0, 1, [2])
    assert stored_ids(store) == [FOREIGN]


def test_invalid_utf8_in_a_spool_file_is_rejected_and_the_rest_stored(
    store: psycopg.Connection, tmp_path: Path
) -> None:
    good, bad = line(), line(feature="x").replace(b'"feature": "x"', b'"feature": "\xff\xfe"')
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "calls-20260101T000000-1-abc.jsonl").write_bytes(good + b"\n" + bad + b"\n")
    (spool / "feedback-20260101T000000-1-abc.jsonl").write_bytes(b'{"id": "\xff"}\n')
    result = ingest_spool(store, spool)
    assert result.stored == 1 and [r[1] for r in result.rejected] == [2, 1]
    assert all("not UTF-8" in r[2] for r in result.rejected)
    rejects = spool / "rejects"
    assert (rejects / "calls-20260101T000000-1-abc.jsonl").read_bytes() == bad + b"\n"
    assert (rejects / "feedback-20260101T000000-1-abc.jsonl").read_bytes() == b'{"id": "\xff"}\n'
    assert list(spool.glob("*.jsonl")) == []


def test_a_deeply_nested_feedback_line_is_rejected(
    store: psycopg.Connection, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "feedback-20260101T000000-1-abc.jsonl").write_bytes(NESTED + b"\n")
    result = ingest_spool(store, spool)
    assert [r[1] for r in result.rejected] == [1]
    assert "nested deeper than" in result.rejected[0][2]


def test_a_file_mixing_every_bad_case_with_good_lines_stores_the_good_once(
    store_url: str, store: psycopg.Connection, tmp_path: Path
) -> None:
    good = [line() for _ in range(4)]
    bad = [case[0] for case in BAD_LINES.values()]
    year_one = line(id=str(uuid.uuid4()), ts="0001-01-01T00:00:00Z")
    mixed = [good[0], *bad[:10], good[1], year_one, *bad[10:], good[2], year_one, good[3]]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(mixed) + b"\n")
    for _ in range(2):  # a second run stores nothing more and rejects the same lines
        result = run_llmlog("--db", store_url, "ingest", str(path))
        assert result.code == 2, result.stderr
        assert "Traceback" not in result.stderr
        numbers = [n for n, x in enumerate(mixed, 1) if x not in good]
        for number in numbers:
            assert f"{path}:{number}: " in result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith(f"llmlog: {len(numbers)} line(s) rejected, kept in {path}.rejects")
        rejects = (tmp_path / "mixed.jsonl.rejects").read_bytes()
        assert rejects == b"".join(x + b"\n" for x in mixed if x not in good)
        assert stored_ids(store) == ids_of(*good)
    assert "0 stored, 4 already stored" in result.stderr


def test_an_ingested_call_with_a_microsecond_ts_is_shown_by_the_cli(
    store_url: str, tmp_path: Path
) -> None:
    call_id = new_id(AN_HOUR_AGO)
    path = tmp_path / "calls.jsonl"
    at = ts_of(call_id) + timedelta(microseconds=5)
    path.write_bytes(line(id=str(call_id), ts=at.isoformat()) + b"\n")
    assert run_llmlog("--db", store_url, "ingest", str(path)).code == 0
    shown = run_llmlog("--db", store_url, "show", str(call_id), "--format", "json")
    assert shown.code == 0, shown.stderr
    assert json.loads(shown.stdout)["id"] == str(call_id)


def test_the_cli_shows_and_takes_feedback_on_a_call_with_a_foreign_id(
    store_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_bytes(line(id=str(FOREIGN), ts="2026-03-04T05:06:07.891234Z") + b"\n")
    assert run_llmlog("--db", store_url, "ingest", str(path)).code == 0
    marked = run_llmlog("--db", store_url, "feedback", str(FOREIGN), "down")
    assert marked.code == 0, marked.stderr
    shown = run_llmlog("--db", store_url, "show", str(FOREIGN), "--format", "json")
    assert shown.code == 0, shown.stderr
    call = json.loads(shown.stdout)
    assert (call["id"], call["feedback"]) == (str(FOREIGN), -1)
    assert call["ts"].startswith("2026-03-04T05:06:07.891234")


def test_a_stored_uuidv7_call_is_not_stored_again_with_another_ts(
    store: psycopg.Connection, tmp_path: Path
) -> None:
    call_id = new_id(AN_HOUR_AGO)
    assert ingest(store, tmp_path / "a.jsonl", line(id=str(call_id))).stored == 1
    later = (ts_of(call_id) + timedelta(seconds=2)).isoformat()
    again = ingest(store, tmp_path / "b.jsonl", line(id=str(call_id), ts=later))
    assert again.stored == 0 and "is not the id's time" in again.rejected[0][2]
    assert stored_ids(store) == [call_id]


def test_every_demo_call_passes_the_checks_as_built_and_as_a_json_line() -> None:
    """What capture and the demo make is what ingest accepts: no good call is rejected."""
    from llmlog.demo.traffic import Traffic
    from llmlog.store.records import from_json, to_json, validate

    for record in Traffic(calls=2000, days=30, seed=3, end=datetime.now(UTC)):
        assert validate(record) == from_json(to_json(record))


def test_a_rejects_file_that_cannot_be_written_is_one_line_exit_2(
    store_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_bytes(line() + b"\n{not json\n")
    (tmp_path / "calls.jsonl.rejects").mkdir()
    result = run_llmlog("--db", store_url, "ingest", str(path))
    assert_one_line_error(result, 2, f"cannot use {path}.rejects", "permissions")


def test_two_ingests_at_once_store_each_foreign_id_once(store_url: str, tmp_path: Path) -> None:
    import threading

    ids = [uuid.uuid4() for _ in range(300)]
    paths = []
    for n, hour in enumerate((1, 2)):
        at = datetime(2026, 3, 4, hour, tzinfo=UTC).isoformat()
        paths.append(tmp_path / f"{n}.jsonl")
        paths[-1].write_bytes(b"".join(line(id=str(i), ts=at) + b"\n" for i in ids))
    results: list[Any] = []

    def load(path: Path) -> None:
        with psycopg.connect(store_url, autocommit=True) as conn:
            results.append(ingest_file(conn, path, path.with_suffix(".rejects")))

    threads = [threading.Thread(target=load, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.stored for r in results) == [0, 300]
    assert sorted(len(r.rejected) for r in results) == [0, 300]
    with psycopg.connect(store_url) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT id) FROM llm_calls").fetchone() == (
            300,
            300,
        )


def test_a_record_too_big_for_an_index_is_rejected_alone_by_the_writer(
    store: psycopg.Connection,
) -> None:
    """Capture does not run ingest's checks: a label the index cannot hold reaches COPY,
    which refuses the batch; the writer isolates that record and stores the rest (it was a
    store failure, so the batch was spooled and refused again and again)."""
    from llmlog.store.batch import BatchWriter
    from tests.reports.conftest import call

    good = [call(AN_HOUR_AGO, feature="a"), call(AN_HOUR_AGO, feature="b")]
    huge = call(AN_HOUR_AGO, feature=NOISE * 4)
    rejects: list[Any] = []
    assert BatchWriter(store).write([good[0], huge, good[1]], rejects) == 2
    assert [(record["id"], "index row size" in why) for record, why in rejects] == [
        (huge["id"], True)
    ]
    assert stored_ids(store) == sorted(r["id"] for r in good)
