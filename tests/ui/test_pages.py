"""The pages over real calls: what each shows, filters in the URL, paging, feedback."""

from __future__ import annotations

import html
import json
from datetime import timedelta

import psycopg
from starlette.testclient import TestClient

from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record
from tests.reports.conftest import NOW, call
from tests.ui.conftest import LOCAL, csrf_of


def test_the_calls_page_lists_the_newest_calls_with_their_summary(
    calls: dict[str, Record], ui: TestClient
) -> None:
    page = ui.get("/")
    assert page.status_code == 200
    text = page.text
    for key in ("a", "b", "c", "d", "e"):
        assert f"/calls/{calls[key]['id']}" in text
    assert "Paris is the capital of France." in text
    assert "rate_limit" in text  # d's status: its error type
    assert text.index(str(calls["a"]["id"])) < text.index(str(calls["b"]["id"]))  # newest first


def test_filters_in_the_url_narrow_the_calls(calls: dict[str, Record], ui: TestClient) -> None:
    text = ui.get("/", params={"feature": "summarize", "status": "error"}).text
    assert str(calls["d"]["id"]) in text
    assert str(calls["e"]["id"]) not in text and str(calls["a"]["id"]) not in text
    assert 'value="summarize"' in text  # the form shows the filter the URL holds
    assert str(calls["a"]["id"]) in ui.get("/", params={"grep": "capital France"}).text
    assert str(calls["a"]["id"]) not in ui.get("/", params={"tenant": "globex"}).text


def test_a_bad_filter_value_is_one_message_page(ui: TestClient) -> None:
    page = ui.get("/", params={"since": "yesterday-ish"})
    assert page.status_code == 400
    assert "not a time" in page.text and "Traceback" not in page.text


def test_older_pages_follow_the_keyset_without_gaps_or_repeats(
    store: psycopg.Connection, ui: TestClient
) -> None:
    same = NOW - timedelta(minutes=5)
    records = [call(NOW - timedelta(seconds=n), feature="paged") for n in range(1, 231)]
    records += [call(same, feature="paged") for _ in range(3)]  # ties at one instant
    BatchWriter(store).write(records)
    seen: list[str] = []
    url = "/?feature=paged"
    while url:
        page = ui.get(url).text
        seen += [
            line.split("/calls/")[1].split('"')[0]
            for line in page.splitlines()
            if 'href="/calls/' in line
        ]
        older = [line for line in page.splitlines() if 'id="older"' in line]
        url = html.unescape(older[0].split('href="')[1].split('"')[0]) if older else ""
    assert sorted(seen) == sorted(str(r["id"]) for r in records)
    assert len(seen) == len(set(seen))


def test_random_sample_draws_from_the_last_hour_with_the_filters(
    calls: dict[str, Record], ui: TestClient
) -> None:
    text = ui.get("/", params={"sample": "1"}).text
    assert "20 random calls" in text
    assert str(calls["a"]["id"]) not in text  # an hour old: outside the last hour
    text = ui.get("/", params={"sample": "1", "since": "3h30m"[:2], "feature": "chat"}).text
    assert str(calls["a"]["id"]) in text and str(calls["d"]["id"]) not in text


def test_the_refresh_fragment_is_rows_only(calls: dict[str, Record], ui: TestClient) -> None:
    text = ui.get("/", params={"partial": "rows"}).text
    assert text.lstrip().startswith("<tr") and "<nav>" not in text
    assert str(calls["a"]["id"]) in text


def test_a_call_page_shows_prompt_messages_output_cost_and_feedback(
    calls: dict[str, Record], ui: TestClient
) -> None:
    page = ui.get(f"/calls/{calls['a']['id']}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "You are a geography tutor." in text
    assert "What is the capital of France?" in text
    assert "Paris is the capital of France." in text
    assert "too short" in text and "thumbs down" in text  # its feedback
    assert f"{LOCAL}/calls/{calls['a']['id']}" in text  # the copyable link
    assert "cached input" in text or "not priceable" in text


def test_a_call_page_takes_an_id_prefix_and_says_when_none_matches(
    calls: dict[str, Record], ui: TestClient
) -> None:
    assert ui.get(f"/calls/{str(calls['e']['id'])[:18]}").status_code == 200
    missing = ui.get("/calls/ffffffff")
    assert missing.status_code == 404 and "no call with id" in missing.text


def test_the_trace_tree_links_parent_and_children(
    store: psycopg.Connection, ui: TestClient
) -> None:
    root = call(NOW - timedelta(minutes=3), feature="agent", trace_id="t-42")
    child = call(NOW - timedelta(minutes=2), feature="tool", trace_id="t-42", parent_id=root["id"])
    BatchWriter(store).write([root, child])
    root_page = ui.get(f"/calls/{root['id']}").text
    assert f'href="/calls/{child["id"]}"' in root_page
    child_page = ui.get(f"/calls/{child['id']}").text
    assert f'id="parent" href="/calls/{root["id"]}"' in child_page
    assert 'class="depth-1 current"' in child_page


def test_raw_json_is_served_exactly_as_stored(calls: dict[str, Record], ui: TestClient) -> None:
    raw = ui.get(f"/calls/{calls['a']['id']}/raw")
    assert raw.headers["content-type"] == "application/json"
    assert raw.json() == json.loads(
        json.dumps({"request": calls["a"]["request"], "response": calls["a"]["response"]})
    )


def test_feedback_posted_from_the_page_is_stored_like_llmlog_feedback(
    calls: dict[str, Record], store: psycopg.Connection, ui: TestClient
) -> None:
    page = ui.get(f"/calls/{calls['b']['id']}")
    sent = ui.post(
        f"/calls/{calls['b']['id']}/feedback",
        data={"csrf": csrf_of(page.text), "value": "up", "note": "good <b>one</b>"},
    )
    assert sent.status_code == 303
    row = store.execute(
        "SELECT feedback, feedback_note FROM llm_calls WHERE id = %s", (calls["b"]["id"],)
    ).fetchone()
    assert row == (1, "good <b>one</b>")
    assert "good &lt;b&gt;one&lt;/b&gt;" in ui.get(f"/calls/{calls['b']['id']}").text


def test_every_listed_query_opens_as_a_table(calls: dict[str, Record], ui: TestClient) -> None:
    listing = ui.get("/queries").text
    assert 'href="/queries/cost_by_model"' in listing
    table = ui.get("/queries/cost_by_model", params={"since": "7d"})
    assert table.status_code == 200 and "gpt-4o-mini" in table.text
    assert ui.get("/queries/trace").text.count("required") >= 1  # asks for its trace_id
    assert ui.get("/queries/..%2F..%2Fetc%2Fpasswd.sql").status_code == 404


def test_a_users_own_query_file_is_a_table_without_new_python(
    calls: dict[str, Record],
    ui: TestClient,
    tmp_path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    (tmp_path / "per_tenant.sql").write_text(
        "-- name: per_tenant\n-- description: Calls per tenant.\n"
        "SELECT tenant_id, count(*) AS calls FROM llm_calls GROUP BY 1 ORDER BY 1\n"
    )
    monkeypatch.setenv("LLMLOG_QUERIES_DIR", str(tmp_path))
    text = ui.get("/queries/per_tenant").text
    assert "<td>acme</td><td>4</td>" in text.replace("\n", "")


def test_the_diff_keeps_the_answers_line_breaks_and_marks_changed_words() -> None:
    from llmlog.ui.app import pieces

    text = "one two\n\nthree  four"
    assert pieces(text, frozenset({1, 2})) == [
        ("one", False), (" ", False), ("two", True), ("\n\n", False), ("three", True),
        ("  ", False), ("four", False),
    ]  # fmt: skip
    assert "".join(p for p, _ in pieces(" x ", frozenset())) == " x "
