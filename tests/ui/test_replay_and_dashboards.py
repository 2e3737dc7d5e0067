"""Replay from the call page (the stub provider through the real SDK) and the dashboards."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import psycopg
import pytest
from starlette.testclient import TestClient

from llmlog.store.records import Record
from tests.capture.conftest import capture, stub
from tests.replay.conftest import Made, made, provider_env
from tests.stub_provider import TEXT, StubServer
from tests.ui.conftest import csrf_of

__all__ = ["capture", "made", "provider_env", "stub"]


def test_a_replay_from_the_page_is_sent_stored_linked_and_diffed(
    made: Made,
    ui: TestClient,
    store: psycopg.Connection,
    provider_env: StubServer,
    capture: Path,
) -> None:
    original = made(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    page = ui.get(f"/calls/{original['id']}").text
    form = {
        "csrf": csrf_of(page),
        "model": "gpt-4.1",
        "provider": "",
        "temperature": "0.2",
        "max_tokens": "50",
        "system": "",
    }
    result = ui.post(f"/calls/{original['id']}/replay", data=form)
    assert result.status_code == 200, result.text
    body = provider_env.requests[-1][2]
    assert body["model"] == "gpt-4.1" and body["temperature"] == 0.2
    replay_id = re.search(r'id="replay-link" href="/calls/([0-9a-f-]+)"', result.text)
    assert replay_id
    (stored,) = store.execute(
        "SELECT replay_of FROM llm_calls WHERE id = %s", (replay_id.group(1),)
    ).fetchall()
    assert stored[0] == original["id"]
    assert "same answer" in result.text  # the stub answers the same text
    assert html.escape(TEXT.split()[0]) in result.text and 'id="metrics"' in result.text
    again = ui.get(f"/calls/{original['id']}").text  # now listed among its replays
    assert f"/calls/{original['id']}/diff/{replay_id.group(1)}" in again
    assert ui.get(f"/calls/{original['id']}/diff/{replay_id.group(1)}").status_code == 200


def test_a_replay_the_provider_refuses_is_one_message_page(
    made: Made, ui: TestClient, provider_env: StubServer, capture: Path
) -> None:
    original = made(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    form = {"csrf": csrf_of(ui.get(f"/calls/{original['id']}").text), "model": "no-such-model"}
    result = ui.post(f"/calls/{original['id']}/replay", data=form)
    assert result.status_code == 502 and "The provider failed" in result.text


def charts_of(page: str) -> list[dict]:  # type: ignore[type-arg]
    found = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page, re.S)
    assert found
    return json.loads(found.group(1))


def test_the_cost_dashboard_charts_spend_per_day_feature_and_tenant(
    calls: dict[str, Record], ui: TestClient
) -> None:
    page = ui.get("/dashboards/cost", params={"since": "7d"})
    charts = {c["title"]: c for c in charts_of(page.text)}
    total = charts["$ per day"]["series"][0]["values"]
    expected = sum(float(calls[k]["cost_usd"]) for k in ("a", "b", "c", "d", "e", "old"))
    assert sum(v or 0 for v in total) == pytest.approx(expected)
    assert {s["label"] for s in charts["$ per day, per feature"]["series"]} == {"chat", "summarize"}
    assert {s["label"] for s in charts["$ per day, per tenant"]["series"]} == {"acme", "globex"}
    assert "<td>acme</td>" in page.text  # the top tenants table


def test_the_latency_dashboard_charts_percentiles_and_provider_share(
    calls: dict[str, Record], ui: TestClient
) -> None:
    charts = {c["title"]: c for c in charts_of(ui.get("/dashboards/latency").text)}
    p50 = {s["label"]: s["values"] for s in charts["latency p50 per feature"]["series"]}
    same_day = calls["d"]["ts"].date() == calls["e"]["ts"].date()
    expected = [700.0] if same_day else [1000.0, 400.0]  # d 400 ms, e 1000 ms
    assert [v for v in p50["summarize"] if v is not None] == expected
    share = {s["label"]: s["values"][-1] for s in charts["share of calls, per provider"]["series"]}
    last = [r for r in calls.values() if r["ts"].date() == calls["a"]["ts"].date()]
    assert share == {
        p: pytest.approx(sum(r["provider"] == p for r in last) / len(last))
        for p in {r["provider"] for r in last}
    }


def test_the_quality_dashboard_charts_rates_and_lists_the_bottom_calls(
    calls: dict[str, Record], ui: TestClient
) -> None:
    page = ui.get("/dashboards/quality", params={"since": "7d"}).text
    charts = {c["title"]: c for c in charts_of(page)}
    down = {s["label"]: s["values"] for s in charts["thumbs-down rate"]["series"]}
    day = [r for r in calls.values() if r["ts"].date() == calls["a"]["ts"].date()]
    chat = [r for r in day if r["feature"] == "chat"]  # a (thumbs down) among them
    assert down["chat · (none)"][-1] == pytest.approx(1 / len(chat))
    assert page.index(str(calls["a"]["id"])) < page.index(str(calls["d"]["id"]))


def test_an_unknown_dashboard_is_not_found(ui: TestClient) -> None:
    assert ui.get("/dashboards/vibes").status_code == 404


def score(store: psycopg.Connection, call: Record, value: float | None, **fields: str) -> None:
    store.execute(
        "INSERT INTO llm_scores (call_id, call_ts, judge_model, rubric, rubric_sha256, status, "
        "score, passed, rationale, error) VALUES (%s, %s, 'gpt-4o-mini', 'support', %s, %s, "
        "%s, %s, %s, %s)",
        (call["id"], call["ts"], fields.get("sha", "abc"),
         "scored" if value is not None else "failed", value,
         None if value is None else value >= 70, fields.get("rationale"), fields.get("error")),
    )  # fmt: skip


def test_the_quality_dashboard_charts_the_judges_mean_score_per_feature(
    calls: dict[str, Record], ui: TestClient, store: psycopg.Connection
) -> None:
    day = calls["a"]["ts"].date()
    chat = [r for r in calls.values() if r["ts"].date() == day and r["feature"] == "chat"]
    for record, value in zip(chat[:2], (90.0, 40.0), strict=True):
        score(store, record, value)
    page = ui.get("/dashboards/quality", params={"since": "7d"}).text
    charts = {c["title"]: c for c in charts_of(page)}
    judged = {s["label"]: s["values"] for s in charts["judge score (mean, llmlog judge)"]["series"]}
    assert judged == {"chat": [65.0]}


def test_a_call_page_shows_its_judge_scores_as_text(
    calls: dict[str, Record], ui: TestClient, store: psycopg.Connection
) -> None:
    a = calls["a"]
    assert "not judged" in ui.get(f"/calls/{a['id']}").text
    score(store, a, 35.0, rationale="<script>alert(1)</script> too short")
    score(store, a, None, sha="def", error="unparseable: {{ 7*7 }}")
    page = ui.get(f"/calls/{a['id']}").text
    assert "<b>35" in page and "(failed)" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; too short" in page
    assert "<script>alert(1)" not in page
    assert "the verdict could not be read" in page and "unparseable: {{ 7*7 }}" in page
