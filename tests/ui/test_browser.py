"""The UI in a real browser: Playwright driving Debian's Chromium against `llmlog ui`.

Playwright's own browser download is not available on these machines, so the installed
``chromium`` is launched. Without it these tests skip, unless
``LLMLOG_TESTS_REQUIRE_BROWSER=1`` (set by .ci/run) makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record
from tests.capture.conftest import CANARY, stub
from tests.reports.conftest import NOW, call
from tests.stub_provider import StubServer
from tests.ui.test_command import get, start
from tests.ui.test_safety import HOSTILE

__all__ = ["stub"]
REQUIRE = os.environ.get("LLMLOG_TESTS_REQUIRE_BROWSER") == "1"  # read before isolated_env
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        reason = "Debian's chromium is not installed (apt-get install chromium)"
        if REQUIRE:
            pytest.fail(f"{reason}, and LLMLOG_TESTS_REQUIRE_BROWSER=1 requires it")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    alerts: list[str] = []
    opened.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    opened.alerts = alerts
    yield opened
    context.close()


def serve(store_url: str, port: int, stub: StubServer, *args: str) -> Iterator[str]:
    env = {"OPENAI_API_KEY": CANARY, "OPENAI_BASE_URL": f"{stub.url}/v1"}
    process = start("--db", store_url, "ui", "--port", str(port), *args, env=env)
    try:
        url = (process.stdout.readline() if process.stdout else "").strip()
        get(url.split("?")[0], headers={"authorization": f"Bearer {args[-1]}"} if args else {})
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def data(store: psycopg.Connection) -> dict[str, Record]:
    """A trace (root and child), a hostile call, and 130 plain calls (two pages)."""
    root = call(
        NOW - timedelta(minutes=30),
        feature="agent",
        trace_id="t-7",
        output_text="I will look it up.",
        tenant_id="acme",
    )
    child = call(
        NOW - timedelta(minutes=29),
        feature="lookup",
        trace_id="t-7",
        parent_id=root["id"],
        output_text="Found it.",
        tenant_id="acme",
    )
    hostile = call(
        NOW - timedelta(minutes=20),
        feature="hostile",
        system_prompt=HOSTILE,
        question=HOSTILE,
        output_text=HOSTILE,
        tenant_id="evil",
    )
    plain = [
        call(
            NOW - timedelta(hours=2, seconds=n),
            feature="support",
            tenant_id=f"t{n % 3}",
            output_text=f"answer {n}",
            cost_usd=0.001 * (n % 7),
            latency_ms=100.0 + n,
            ttft_ms=10.0 + n % 9,
        )
        for n in range(130)
    ]
    BatchWriter(store).write([root, child, hostile, *plain])
    return {
        "root": root,
        "child": child,
        "hostile": hostile,
        "plain": plain[0],
        "oldest": plain[-1],
    }


@pytest.fixture
def ui_url(store_url: str, free_tcp_port: int, stub: StubServer) -> Iterator[str]:
    yield from serve(store_url, free_tcp_port, stub)


def test_list_filter_page_and_open_a_call(data: dict[str, Any], page: Any, ui_url: str) -> None:
    started = time.perf_counter()
    page.goto(ui_url)
    page.wait_for_selector("#rows tr")
    assert time.perf_counter() - started < 5  # (the bench measures; this only bounds it)
    assert page.locator("#rows tr").count() == 100
    page.fill("input[name=feature]", "agent")
    page.click("text=Apply")
    page.wait_for_url("**feature=agent**")
    assert page.locator("#rows tr").count() == 1
    page.goto(ui_url + "?feature=support")
    page.click("#older")
    page.wait_for_url("**before=**")
    assert page.locator("#rows tr").count() == 30
    page.click(f'a[href="/calls/{data["oldest"]["id"]}"]')  # on the second page
    page.wait_for_selector("#output")
    assert "answer 129" in page.inner_text("#output")


def test_the_trace_tree_clicks_through_to_parent_and_child(
    data: dict[str, Any], page: Any, ui_url: str
) -> None:
    page.goto(f"{ui_url}calls/{data['child']['id']}")
    page.click("#parent")
    page.wait_for_url(f"**/calls/{data['root']['id']}")
    assert "I will look it up." in page.inner_text("#output")
    page.click(f'#trace a[href="/calls/{data["child"]["id"]}"]')
    page.wait_for_url(f"**/calls/{data['child']['id']}")
    assert "Found it." in page.inner_text("#output")


def test_random_sample_and_live_refresh_with_pause(
    data: dict[str, Any], page: Any, ui_url: str, store: psycopg.Connection
) -> None:
    page.goto(ui_url + "?feature=agent")
    page.click("#sample")
    page.wait_for_url("**sample=1**")
    assert page.inner_text("h1") == "20 random calls from the last hour"
    assert page.locator("#rows tr").count() == 1  # the one agent call of the last hour
    page.goto(ui_url + "?feature=live")
    fresh = call(NOW, feature="live", output_text="just landed")
    BatchWriter(store).write([fresh])
    page.wait_for_selector("text=just landed", timeout=12_000)  # polled every 5 s
    page.click("#pause")
    BatchWriter(store).write([call(NOW, feature="live", output_text="while paused")])
    page.wait_for_timeout(6_000)
    assert "while paused" not in page.inner_text("#rows")
    page.click("#pause")  # resume
    page.wait_for_selector("text=while paused", timeout=12_000)


def test_a_thumbs_down_click_is_stored(
    data: dict[str, Any], page: Any, ui_url: str, store: psycopg.Connection
) -> None:
    page.goto(f"{ui_url}calls/{data['plain']['id']}")
    page.fill("#feedback input[name=note]", "wrong <answer>")
    page.click("#thumbs-down")
    page.wait_for_selector("#feedback-now:has-text('down')")
    row = store.execute(
        "SELECT feedback, feedback_note FROM llm_calls WHERE id = %s", (data["plain"]["id"],)
    ).fetchone()
    assert row == (-1, "wrong <answer>")


def test_a_replay_against_the_stub_shows_the_diff(
    data: dict[str, Any], page: Any, ui_url: str, store: psycopg.Connection
) -> None:
    page.goto(f"{ui_url}calls/{data['plain']['id']}")
    page.fill("#replay-form input[name=model]", "gpt-4.1")
    page.click("#replay-form button[type=submit]")
    page.wait_for_selector("#verdict")
    assert "% of words changed" in page.inner_text("#verdict")  # "answer 0" → the stub's text
    assert page.locator("#original-text del").count() == 2
    assert page.locator("#replay-text ins").count() > 2
    replay_id = page.get_attribute("#replay-link", "href").rsplit("/", 1)[1]
    stored = store.execute("SELECT replay_of, model FROM llm_calls WHERE id = %s", (replay_id,))
    assert stored.fetchone() == (data["plain"]["id"], "gpt-4.1")


@pytest.mark.parametrize(("board", "charts"), [("cost", 4), ("latency", 7), ("quality", 3)])
def test_each_dashboard_draws_its_charts_with_data_and_hover_values(
    data: dict[str, Any], page: Any, ui_url: str, board: str, charts: int
) -> None:
    page.goto(f"{ui_url}dashboards/{board}")
    page.wait_for_selector(".uplot")
    assert page.locator(".uplot").count() == charts
    first = page.locator(".uplot .u-over").first
    box = first.bounding_box()
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    values = page.locator(".uplot").first.locator(".u-series .u-value").all_inner_texts()
    assert any(v.strip() not in ("", "--") for v in values[1:])  # a value under the cursor


def test_hostile_content_is_shown_and_never_runs(
    data: dict[str, Any], page: Any, ui_url: str
) -> None:
    for path in (f"calls/{data['hostile']['id']}", "", "dashboards/quality?since=1d"):
        page.goto(ui_url + path)
        page.wait_for_load_state("load")
    page.goto(f"{ui_url}calls/{data['hostile']['id']}")
    shown = page.inner_text("#output pre")
    assert '<script>alert("x")</script>' in shown and "{{ 7*7 }}" in shown
    assert "\\x1b[2J" in shown
    assert page.locator("img").count() == 0 and page.locator("#output b").count() == 0
    assert page.alerts == []
    assert page.input_value("textarea[name=system]").startswith('<script>alert("x")')


def test_the_token_is_required_off_the_default_setup(
    data: dict[str, Any], page: Any, store_url: str, free_tcp_port: int, stub: StubServer
) -> None:
    for url in serve(store_url, free_tcp_port, stub, "--token", "browser-secret"):
        bare = url.split("?")[0]
        refused = page.goto(bare)
        assert refused.status == 401 and "token is required" in page.inner_text("body")
        assert page.goto(bare + "?token=wrong").status == 401
        page.goto(bare + "?token=browser-secret")
        page.wait_for_selector("#rows tr")
        assert "token" not in page.url  # it became a cookie
        page.goto(bare + "dashboards/cost")
        page.wait_for_selector(".uplot")
