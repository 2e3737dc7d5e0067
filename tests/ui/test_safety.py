"""The UI's guarantees: stored text never runs, a token off loopback, no cross-site POSTs,
and a store that is down or behind is one message page until it is back."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import psycopg
import pytest
from starlette.testclient import TestClient

from llmlog.store.batch import BatchWriter
from llmlog.store.revision import HEAD
from llmlog.ui.guard import COOKIE, Access
from tests.reports.conftest import NOW, call
from tests.ui.conftest import client_for, csrf_of

HOSTILE = (
    '<script>alert("x")</script> </textarea><script>alert(1)</script> '
    '<a href="javascript:alert(2)">click</a> [md](javascript:alert(3)) {{ 7*7 }} {% raw %} '
    "<b>bold</b> <img src=x onerror=alert(4)> \x1b[2J gone \u202e end"
)
SCRIPTS = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
OUR_SCRIPTS = {
    '<script src="/static/vendor/htmx-2.0.11.min.js" defer>',
    '<script src="/static/vendor/uplot-1.6.32.min.js" defer>',
    '<script src="/static/app.js" defer>',
    '<script type="application/json" id="chart-data">',
}


def hostile_call(store: psycopg.Connection) -> dict:  # type: ignore[type-arg]
    record = call(
        NOW - timedelta(minutes=1),
        feature=HOSTILE,
        tenant_id=HOSTILE,
        user_id="u<1>",
        system_prompt=HOSTILE,
        question=HOSTILE,
        output_text=HOSTILE,
        cost_usd=1,
        metadata={"note": HOSTILE},
        feedback=-1,
        feedback_note=HOSTILE,
        prompt_version=HOSTILE,
        tool_calls=[{"id": "t", "name": HOSTILE, "arguments": HOSTILE}],
        status="error",
        error_type=HOSTILE,
        error_message=HOSTILE,
    )
    BatchWriter(store).write([record])
    return record


def assert_inert(page: str) -> None:
    """Nothing from the store became markup: only our own script tags, no javascript:
    URL in an attribute, no event handler, no template evaluated."""
    assert set(SCRIPTS.findall(page)) <= OUR_SCRIPTS
    assert not re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", page, re.I)
    assert not re.search(r"<img\b", page, re.I) and "<b>bold" not in page
    assert "</textarea><script>" not in page
    assert "\x1b" not in page and "\u202e" not in page
    assert " 49 " not in page


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?sample=1&since=1h",
        "/?partial=rows",
        "/calls/{id}",
        "/dashboards/cost",
        "/dashboards/latency",
        "/dashboards/quality",
        "/queries/tail",
    ],
)
def test_stored_markup_scripts_and_controls_are_shown_as_text(
    store: psycopg.Connection, ui: TestClient, path: str
) -> None:
    record = hostile_call(store)
    page = ui.get(path.format(id=record["id"]))
    assert page.status_code == 200
    assert_inert(page.text)
    if path != "/queries/tail":  # (the table shows every column, escaped the same way)
        shown = html.unescape(page.text)
        assert "{{ 7*7 }}" in shown or "\\u003c" in page.text  # literally, or as chart JSON
        assert "\\x1b[2J" in shown or "\\u001b" in page.text


def test_the_call_page_shows_hostile_text_literally_in_every_part(
    store: psycopg.Connection, ui: TestClient
) -> None:
    record = hostile_call(store)
    text = ui.get(f"/calls/{record['id']}").text
    literal = HOSTILE.replace("\x1b", "\\x1b").replace("\u202e", "\\u202e")
    assert (
        html.unescape(text).count(literal) >= 6
    )  # system, message, output, error, note, tool call name
    assert "&lt;/textarea&gt;&lt;script&gt;" in text  # inside the replay form's textarea too


def test_pages_forbid_inline_scripts_framing_and_sniffing(ui: TestClient) -> None:
    headers = ui.get("/queries").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"


def test_off_loopback_every_request_without_the_token_gets_401(store_url: str) -> None:
    access = Access(token="s3cret-token")
    with client_for(store_url, access, base="http://llmlog.test:8177") as client:
        assert client.get("/").status_code == 401
        assert client.get("/static/app.js").status_code == 401
        assert client.get("/?token=wrong").status_code == 401
        assert client.get("/", headers={"authorization": "Bearer nope"}).status_code == 401
        assert client.get("/", headers={"authorization": "Bearer s3cret-token"}).status_code == 200
        first = client.get("/?token=s3cret-token&feature=x")
        assert first.status_code == 303 and first.headers["location"] == "/?feature=x"
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert cookie.startswith(f"{COOKIE}_8177=s3cret-token;")
        client.cookies.set(f"{COOKIE}_8177", "s3cret-token")
        assert client.get("/?feature=x").status_code == 200
    with client_for(store_url, access, base="http://llmlog.test:8178") as other:
        other.cookies.set(f"{COOKIE}_8177", "s3cret-token")  # another UI's cookie, same host
        assert other.get("/").status_code == 401


def test_on_loopback_a_foreign_host_name_is_refused(store_url: str) -> None:
    """DNS rebinding: a page at evil.example resolving to 127.0.0.1 cannot read the UI."""
    with client_for(store_url, Access(token=None), base="http://evil.example:8177") as client:
        assert client.get("/").status_code == 400
    with client_for(store_url, Access(token=None), base="http://localhost:8177") as client:
        assert client.get("/queries").status_code == 200


def feedback_of(store: psycopg.Connection, record: dict) -> object:  # type: ignore[type-arg]
    row = store.execute("SELECT feedback FROM llm_calls WHERE id = %s", (record["id"],))
    return row.fetchone()[0]  # type: ignore[index]


@pytest.mark.parametrize(
    ("headers", "csrf"),
    [
        ({}, None),  # no CSRF field: a form built elsewhere
        ({}, "guessed"),
        ({"origin": "http://evil.example"}, "page"),
        ({"sec-fetch-site": "cross-site"}, "page"),
        ({"sec-fetch-site": "same-site"}, "page"),
    ],
)
def test_cross_site_or_tokenless_posts_change_nothing(
    store: psycopg.Connection, ui: TestClient, headers: dict[str, str], csrf: str | None
) -> None:
    record = call(NOW - timedelta(minutes=1), output_text="fine")
    BatchWriter(store).write([record])
    page = ui.get(f"/calls/{record['id']}").text
    form = {"value": "down"} | ({"csrf": csrf_of(page) if csrf == "page" else csrf} if csrf else {})
    sent = ui.post(f"/calls/{record['id']}/feedback", data=form, headers=headers)
    assert sent.status_code == 403
    assert feedback_of(store, record) is None
    same = ui.post(
        f"/calls/{record['id']}/feedback",
        data={"value": "down", "csrf": csrf_of(page)},
        headers={"origin": "http://127.0.0.1:8177", "sec-fetch-site": "same-origin"},
    )
    assert same.status_code == 303 and feedback_of(store, record) == -1


def test_a_store_that_is_down_is_one_page_and_the_server_recovers(store_url: str) -> None:
    url = {"now": "postgresql://nobody@127.0.0.1:9/none"}  # nothing listens on port 9
    with client_for(store_url, Access(token=None)) as client:
        client.app.state.store._url = lambda: url["now"]  # type: ignore[attr-defined]
        down = client.get("/")
        assert down.status_code == 503
        assert "The store is not reachable" in down.text and "Traceback" not in down.text
        url["now"] = store_url
        assert client.get("/").status_code == 200


def test_a_store_behind_on_migrations_says_to_migrate_until_it_is_migrated(
    store: psycopg.Connection, ui: TestClient
) -> None:
    store.execute("UPDATE alembic_version SET version_num = '0005'")
    behind = ui.get("/dashboards/cost")
    assert behind.status_code == 503 and "llmlog migrate" in behind.text
    store.execute("UPDATE alembic_version SET version_num = %s", (HEAD,))
    assert ui.get("/dashboards/cost").status_code == 200


def test_queries_run_read_only_with_the_statement_timeout(
    calls: dict,
    ui: TestClient,
    store: psycopg.Connection,
    tmp_path,
    monkeypatch,  # type: ignore[no-untyped-def, type-arg]
) -> None:
    (tmp_path / "wipe.sql").write_text("-- name: wipe\nDELETE FROM llm_calls\n")
    (tmp_path / "nap.sql").write_text("-- name: nap\nSELECT pg_sleep(3)\n")
    monkeypatch.setenv("LLMLOG_QUERIES_DIR", str(tmp_path))
    monkeypatch.setenv("LLMLOG_STATEMENT_TIMEOUT", "0.2")
    wiped = ui.get("/queries/wipe")
    assert wiped.status_code == 400 and "changes data" in wiped.text
    assert store.execute("SELECT count(*) FROM llm_calls").fetchone()[0] == len(calls)
    napped = ui.get("/queries/nap")
    assert napped.status_code == 503 and "statement timeout" in napped.text
    assert ui.get("/").status_code == 200  # the same session goes on
