"""The UI's pages: calls (filters, paging, refresh, random sample), a call (trace, replays,
feedback, raw JSON), replay and its diff, the dashboards, and any query as a table.

Each page reads the store through the same ``llmlog.reports`` functions and bundled
queries as the CLI, in a read-only report session (``llmlog.ui.store``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from llmlog.errors import NotFoundError, UsageError
from llmlog.reports.filters import Filters

PAGE = 100  # calls per page
SAMPLE = 20  # calls in a random sample
FILTER_NAMES = ("since", "until", "feature", "model", "provider", "tenant", "user", "trace",
                "prompt_version", "status", "grep")  # fmt: skip
STATUSES = ("ok", "error")


def routes() -> list[Route]:
    return [
        Route("/", audited(calls_page)),
        Route("/calls/{ref}", audited(call_page)),
        Route("/calls/{ref}/raw", audited(raw_json)),
        Route("/calls/{ref}/feedback", audited(feedback), methods=["POST"]),
        Route("/calls/{ref}/replay", audited(replay), methods=["POST"]),
        Route("/calls/{ref}/diff/{other}", audited(diff_page)),
        Route("/dashboards/{name}", audited(dashboard)),
        Route("/queries", queries_page),
        Route("/queries/{name}", audited(query_page)),
    ]


Endpoint = Callable[[Request], Any]


def audited(endpoint: Endpoint) -> Endpoint:
    """``endpoint``, recording its request first when the store audits (as the report
    commands do): the method and the path with its query (the access token never gets
    here: the guard takes it out of the URL). htmx's refreshes of a page already shown
    are not recorded again."""
    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def run_async(request: Request) -> Any:
            await run_in_threadpool(_record, request)
            return await endpoint(request)

        return run_async

    @functools.wraps(endpoint)
    def run(request: Request) -> Any:
        _record(request)
        return endpoint(request)

    return run


def _record(request: Request) -> None:
    if request.headers.get("hx-request") == "true":
        return
    query = urlencode([(k, v) for k, v in parse_qsl(request.url.query) if k != "token"])
    request.app.state.store.audit(
        [request.method, request.url.path + (f"?{query}" if query else "")]
    )


def chosen(request: Request) -> dict[str, str]:
    """The filters given in the URL (non-empty), by their CLI option names."""
    return {k: v.strip() for k in FILTER_NAMES if (v := request.query_params.get(k, "")).strip()}


def to_filters(values: dict[str, str]) -> Filters:
    from llmlog.cli.report_cmds import to_filters as from_options

    status = values.get("status")
    if status is not None and status not in STATUSES:
        raise UsageError(f"status {status!r} is not ok or error")
    return from_options(**{name: values.get(name) for name in FILTER_NAMES})


def link(values: dict[str, str], **changes: str | None) -> str:
    """``?query`` of ``values`` with ``changes`` (None drops a key)."""
    merged = {**values, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v is not None})


def _render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    return request.app.state.render(request, name, status, **context)


def calls_page(request: Request) -> Response:
    from llmlog.reports import calls

    values = chosen(request)
    filters = to_filters(values)
    sample = request.query_params.get("sample") == "1"
    before = request.query_params.get("before")
    seen = [s for s in request.query_params.get("seen", "").split(",") if s]
    with request.app.state.store.read() as conn:
        if sample:
            rows = _sample(conn, filters)
        elif before:
            rows = _older(conn, filters, before, seen)
        else:
            rows = calls.tail(conn, filters, PAGE)
    older = None
    if rows and not sample and len(rows) == PAGE:
        last = rows[-1]["ts"]
        ties = [str(r["id"]) for r in rows if r["ts"] == last]
        older = link(values, before=last.isoformat(), seen=",".join(ties))
    context = {"rows": rows, "values": values, "older": older, "sample": sample,
               "paged": bool(before), "link": link, "statuses": STATUSES}  # fmt: skip
    partial = request.query_params.get("partial") == "rows"
    return _render(request, "rows.html" if partial else "calls.html", **context)


def _older(conn: Any, filters: Filters, before: str, seen: list[str]) -> list[dict[str, Any]]:
    """The page after the row at ``before``: keyset on (ts, id), the ids at that very ts
    that were shown already (``seen``) left out."""
    from llmlog.reports import calls
    from llmlog.reports.window import parse_time

    moment = parse_time(before) + timedelta(microseconds=1)
    until = min(moment, filters.until) if filters.until else moment
    rows = calls.tail(conn, replace(filters, until=until), PAGE + len(seen))
    return [r for r in rows if str(r["id"]) not in seen][:PAGE]


def _sample(conn: Any, filters: Filters) -> list[dict[str, Any]]:
    from llmlog.reports.run import run
    from llmlog.reports.window import parse_time

    window = filters if filters.since else replace(filters, since=parse_time("1h"))
    return run(conn, "sample_calls", {**window.params(), "limit": SAMPLE})


def _call(conn: Any, ref: str) -> dict[str, Any]:
    from llmlog.reports import calls, costs

    call = calls.show(conn, ref)
    call["cost_breakdown"] = costs.breakdown(call)
    return call


def call_page(request: Request) -> Response:
    from llmlog.reports import calls
    from llmlog.reports.conversation import conversation, depths, readable, tool_name

    with request.app.state.store.read() as conn:
        call = _call(conn, request.path_params["ref"])
        trace = calls.trace(conn, str(call["id"])) if call["trace_id"] else []
    body = call.get("request") if isinstance(call.get("request"), dict) else {}
    messages = [
        (title, text)
        for title, text in conversation(body)
        if not (title == "system" and text == call.get("system_prompt"))
    ]
    tools = body.get("tools") if isinstance(body.get("tools"), list) else []
    levels = depths(trace)
    return _render(
        request, "call.html", call=call, messages=messages, readable=readable,
        tools=[tool_name(t) for t in tools], tools_json=tools,
        trace=[(levels[r["id"]], r) for r in trace],
    )  # fmt: skip


def raw_json(request: Request) -> Response:
    from llmlog.cli.output import jsonable
    from llmlog.reports.calls import find_call
    from llmlog.reports.run import run

    with request.app.state.store.read() as conn:
        call = run(conn, "call", find_call(conn, request.path_params["ref"]))[0]
    return JSONResponse(jsonable({"request": call["request"], "response": call["response"]}))


async def form_of(request: Request) -> dict[str, str]:
    """An urlencoded form, after the CSRF check (403 when its secret is not this run's)."""
    body = (await request.body()).decode("utf-8", "replace")
    form = dict(parse_qsl(body, keep_blank_values=True))
    if not request.app.state.access.csrf_ok(form.get("csrf")):
        raise Forbidden
    return form


class Forbidden(Exception):
    """A POST without this run's CSRF secret (a stale page, or another site)."""


async def feedback(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    try:
        form = await form_of(request)
    except Forbidden:
        return _forbidden()
    return await run_in_threadpool(_store_feedback, request, form)


def _store_feedback(request: Request, form: dict[str, str]) -> Response:
    from llmlog.capture.feedback import parse_value, set_feedback
    from llmlog.reports.calls import find_call

    try:
        score = parse_value(form.get("value", ""))
    except ValueError as exc:
        raise UsageError(str(exc), hint="give up, down or clear") from None
    note = form.get("note") or None
    with request.app.state.store.write() as conn:
        found = find_call(conn, request.path_params["ref"])
        if not set_feedback(conn, found["id"], score, note):
            raise NotFoundError(f"no stored call has id {request.path_params['ref']}")
    return RedirectResponse(f"/calls/{found['id']}#feedback", status_code=303)


def _forbidden() -> Response:
    return Response(
        "llmlog ui: this form is stale or came from another site — reload the page and retry\n",
        status_code=403,
        media_type="text/plain",
    )


async def replay(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    try:
        form = await form_of(request)
    except Forbidden:
        return _forbidden()
    return await run_in_threadpool(_replay, request, form)


def _replay(request: Request, form: dict[str, str]) -> Response:
    from llmlog import replay as replays
    from llmlog.replay.diff import Side

    with request.app.state.store.read() as conn:
        call = replays.load(conn, request.path_params["ref"])
    overrides = replays.Overrides(
        model=form.get("model") or None,
        provider=form.get("provider") or None,
        system=_changed(form.get("system"), call.get("system_prompt")),
        temperature=_number(form, "temperature", float),
        max_tokens=_number(form, "max_tokens", int),
    )
    report = replays.replay(call, overrides, replays.Options())
    outcome = report.replays[0]
    return _render(
        request, "diff.html", original=call, replay=Side.of(outcome), diff=report.diff,
        replay_id=outcome.call_id, warnings=report.request.warnings,
    )  # fmt: skip


def _changed(text: str | None, stored: str | None) -> str | None:
    """The system prompt to send: None (keep) when the form kept the stored one (which the
    page shows with its control characters escaped)."""
    from llmlog.cli.output import printable

    if text is None:
        return None
    text = text.replace("\r\n", "\n")
    return None if text in (stored or "", printable(stored or "")) else text


def _number(form: dict[str, str], key: str, kind: type) -> Any:
    text = form.get(key, "").strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        raise UsageError(f"{key} {text!r} is not a number") from None
    if kind is int and value < 1:
        raise UsageError(f"{key} must be at least 1")
    return value


def diff_page(request: Request) -> Response:
    from llmlog.replay.diff import Side, compare

    with request.app.state.store.read() as conn:
        original = _call(conn, request.path_params["ref"])
        other = _call(conn, request.path_params["other"])
    diff = compare(Side.of(original), Side.of(other))
    return _render(request, "diff.html", original=original, replay=Side.of(other), diff=diff,
                   replay_id=other["id"], warnings=())  # fmt: skip


def dashboard(request: Request) -> Response:
    from llmlog.ui.charts import DASHBOARDS

    name = request.path_params["name"]
    if name not in DASHBOARDS:
        raise NotFoundError(f"no dashboard {name!r}", hint="cost, latency or quality")
    values = chosen(request)
    filters = to_filters(values)
    with request.app.state.store.read() as conn:
        board = DASHBOARDS[name](conn, filters)
    return _render(request, "dashboard.html", board=name, values=values, link=link,
                   statuses=STATUSES, **board)  # fmt: skip


def queries_page(request: Request) -> Response:
    from llmlog.reports import sqlfile

    return _render(request, "queries.html", queries=list(sqlfile.available().values()))


def query_page(request: Request) -> Response:
    """Any query (bundled or ``$LLMLOG_QUERIES_DIR``'s) as a table; its parameters from
    the URL, bound and typed as ``llmlog query --param`` binds them."""
    from llmlog.reports import params, run, sqlfile

    query = sqlfile.available().get(request.path_params["name"])  # a name, never a path
    if query is None:
        raise NotFoundError(f"no query named {request.path_params['name']!r}")
    given = {p.name: request.query_params[p.name] for p in query.params
             if request.query_params.get(p.name, "").strip()}  # fmt: skip
    rows = None
    if all(p.name in given for p in query.params if p.required):
        with request.app.state.store.read() as conn:
            rows = run.execute(conn, query, params.bind(query, given))
    columns = list(rows[0]) if rows else []
    return _render(request, "query.html", query=query, given=given, rows=rows, columns=columns)
