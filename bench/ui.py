"""Benchmarks for `llmlog ui`: `python bench/ui.py build|run|shots [ROWS]`.

build   ROWS (default 1,000,000) `llmlog demo` calls over 60 days into the embedded store of
        $LLMLOG_HOME (default /tmp/llmlog-ui-bench-ROWS), every closed day rolled up as
        retention-roll does (content kept). Run once; later runs reuse it.
run     median server time (the app in process, Starlette's TestClient: routing, the
        queries, the templates) of the calls page, a filtered and an older page, the
        random sample, a call page and each dashboard; goals 100 ms for the calls and call
        pages, 300 ms for the dashboards. Then, with Debian's chromium, the first
        contentful paint of the calls page served by `llmlog ui` (goal 1 s).
shots   screenshots of the calls page, a call and the dashboards into docs/ (README).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROWS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
DAYS = 60
RUNS = 15
HOME = os.environ.setdefault("LLMLOG_HOME", f"/tmp/llmlog-ui-bench-{ROWS}")
DOCS = Path(__file__).resolve().parents[1] / "docs"

from bench.queries import fill, store  # noqa: E402  (after LLMLOG_HOME: it sets its own)


def build() -> None:
    from llmlog.store import retention

    conn = fill(ROWS, DAYS)[1]
    policy = retention.Policy(hot_days=DAYS + 30, keep_days=DAYS + 60)
    todo = retention.plan(conn, policy).roll
    started = time.perf_counter()
    for day in todo:
        with conn.transaction():
            retention.roll_day(conn, day)
    print(f"rolled up {len(todo)} closed days in {time.perf_counter() - started:.0f} s")
    conn.execute("VACUUM ANALYZE")


def client():  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from llmlog.ui.app import create_app
    from llmlog.ui.guard import Access
    from llmlog.ui.store import Store

    url, _ = store()
    app = create_app(Store(lambda: url), Access(token=None))
    return TestClient(app, base_url="http://127.0.0.1:8177")


def median_ms(get, path: str) -> float:  # type: ignore[no-untyped-def]
    get(path)  # warm: connections, templates, the plan cache of the OS
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return statistics.median(times)


def run() -> None:
    _, conn = store()
    calls, days = conn.execute(
        "SELECT count(*), count(DISTINCT (ts AT TIME ZONE 'UTC')::date) FROM llm_calls"
    ).fetchone()
    rolled = conn.execute("SELECT count(DISTINCT day) FROM llm_calls_daily").fetchone()[0]
    recent = conn.execute("SELECT id, feature FROM llm_calls ORDER BY ts DESC LIMIT 1").fetchone()
    older = conn.execute(
        "SELECT id FROM llm_calls WHERE ts < now() - interval '20 days' ORDER BY ts DESC LIMIT 1"
    ).fetchone()[0]
    print(f"store: {calls:,} calls over {days} days, {rolled} closed days rolled up")
    print()
    print("| page | median server ms | goal |")
    print("|---|---:|---:|")
    with client() as ui:
        first = ui.get("/").text
        cut = first.index('id="older" href="/') + len('id="older" href="/')
        older_page = "/" + first[cut : first.index('"', cut)].replace("&amp;", "&")
        pages = [
            ("calls page (newest 100)", "/", 100),
            (f"calls page, feature={recent[1]}", f"/?feature={recent[1]}", 100),
            ("calls page, older (keyset)", older_page, 100),
            ("calls page, since=7d status=error", "/?since=7d&status=error", 100),
            ("random sample (last hour)", "/?sample=1", 100),
            ("a call (newest)", f"/calls/{recent[0]}", 100),
            ("a call (20 days old)", f"/calls/{older}", 100),
            ("dashboard: cost (30d)", "/dashboards/cost", 300),
            ("dashboard: latency (14d)", "/dashboards/latency", 300),
            ("dashboard: quality (30d)", "/dashboards/quality", 300),
        ]
        for label, path, goal in pages:
            print(f"| {label} | {median_ms(ui.get, path):.1f} | {goal} |")
    first_paint()


def serve():  # type: ignore[no-untyped-def]
    """`llmlog ui` on this store, as a user starts it: (process, its URL)."""
    import httpx

    exe = str(Path(sys.executable).parent / "llmlog")
    port = "8199"
    process = subprocess.Popen([exe, "ui", "--port", port], stdout=subprocess.PIPE, text=True)
    url = (process.stdout.readline() if process.stdout else "").strip()
    for _ in range(100):
        try:
            httpx.get(url, timeout=10)
            break
        except httpx.ConnectError:
            time.sleep(0.1)
    return process, url


def browser():  # type: ignore[no-untyped-def]
    import shutil

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        return None, None
    playwright = sync_playwright().start()
    return playwright, playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])


def first_paint() -> None:
    playwright, launched = browser()
    if launched is None:
        print("\nfirst paint: skipped (no chromium)")
        return
    process, url = serve()
    try:
        paints = []
        for _ in range(7):
            page = launched.new_page()
            page.goto(url)
            page.wait_for_selector("#rows tr")
            paints.append(page.evaluate(
                "performance.getEntriesByName('first-contentful-paint')[0].startTime"
            ))  # fmt: skip
            page.close()
        print(f"\nfirst contentful paint of the calls page in chromium: median "
              f"{statistics.median(paints):.0f} ms (goal 1000 ms; 7 loads)")  # fmt: skip
    finally:
        process.terminate()
        launched.close()
        playwright.stop()


def shots() -> None:
    _, conn = store()
    call_id = conn.execute(
        "SELECT id FROM llm_calls WHERE parent_id IS NOT NULL AND tool_calls IS NOT NULL "
        "AND ts > now() - interval '1 day' ORDER BY ts DESC LIMIT 1"
    ).fetchone()
    playwright, launched = browser()
    assert launched is not None, "shots need chromium"
    process, url = serve()
    try:
        page = launched.new_page(viewport={"width": 1440, "height": 1000})
        targets = [("ui-calls", ""), ("ui-call", f"calls/{call_id[0]}" if call_id else "")]
        targets += [(f"ui-{name}", f"dashboards/{name}") for name in ("cost", "latency", "quality")]
        for name, path in targets:
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(DOCS / f"{name}.png"), full_page=name != "ui-calls")
            print(f"docs/{name}.png")
    finally:
        process.terminate()
        launched.close()
        playwright.stop()


if __name__ == "__main__":
    {"build": build, "run": run, "shots": shots}[sys.argv[1] if len(sys.argv) > 1 else "run"]()
    print(f"(at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")
