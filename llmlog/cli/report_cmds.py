"""Report commands: tail, show, trace, errors, cost, latency, drift, query and queries.

Each one parses options, calls one function of ``llmlog.reports`` (which runs a bundled
``.sql`` file) and hands the rows to the output helper.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

import typer

from llmlog.cli import common
from llmlog.cli.common import (
    FeatureOpt,
    FormatOpt,
    GrepOpt,
    LimitOpt,
    ModelOpt,
    PromptVersionOpt,
    ProviderOpt,
    SinceOpt,
    StatusOpt,
    TenantOpt,
    TraceOpt,
    UntilOpt,
    UserOpt,
)
from llmlog.cli.help import REPORTS, adder
from llmlog.cli.output import Col, Format, emit_rows, resolve_format
from llmlog.reports.filters import Filters

_FILTER_OPTIONS = {
    "since": SinceOpt,
    "until": UntilOpt,
    "feature": FeatureOpt,
    "model": ModelOpt,
    "provider": ProviderOpt,
    "tenant": TenantOpt,
    "user": UserOpt,
    "trace": TraceOpt,
    "prompt_version": PromptVersionOpt,
    "status": StatusOpt,
    "grep": GrepOpt,
}


def with_filters(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` the common filter options; it receives them as ``filters``."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "filters"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=alias)
        for name, alias in _FILTER_OPTIONS.items()
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        picked = {name: kwargs.pop(name) for name in _FILTER_OPTIONS}
        command(filters=to_filters(**picked), **kwargs)

    params = own + added
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    return wrapper


def to_filters(
    *, since: str | None, until: str | None, tenant: str | None, user: str | None,
    trace: str | None, status: str | None, **rest: str | None,
) -> Filters:  # fmt: skip
    from llmlog.reports.window import parse_time

    return Filters(
        since=parse_time(since) if since else None,
        until=parse_time(until) if until else None,
        tenant_id=tenant,
        user_id=user,
        trace_id=trace,
        status=str(status) if status else None,
        **rest,
    )


CALL_COLUMNS = [
    Col("ts", "time", "time", max_width=19),
    Col("id", "id", "id", max_width=13),
    Col("feature", max_width=16, optional=True),
    Col("model", max_width=22, optional=True),
    Col("tenant_id", "tenant", max_width=14, optional=True),
    Col("input_tokens", "in", "int", optional=True),
    Col("output_tokens", "out", "int", optional=True),
    Col("cost_usd", "cost", "usd"),
    Col("ttft_ms", "ttft", "ms", optional=True),
    Col("latency_ms", "latency", "ms"),
    Col("outcome", "status", max_width=12),
    Col("output_text", "output", "line", max_width=40, optional=True),
]


def _with_outcome(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Table only: "error_type" for failures, the finish reason otherwise.
    for row in rows:
        failed = row["status"] == "error"
        row["outcome"] = (row["error_type"] or "error") if failed else row["finish_reason"]
    return rows


def tail(
    limit: LimitOpt = 50,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep printing new calls as they land (Ctrl-C).")
    ] = False,
    fmt: FormatOpt = None,
    *,
    filters: Filters,
) -> None:
    """Show the newest calls, newest first.

    Example: llmlog tail -n 20 --feature support-chat --status error
    """
    from llmlog.reports import calls

    fmt = resolve_format(fmt)
    conn = common.report_store()
    rows = calls.tail(conn, filters, limit)
    if not follow:
        _emit_calls(rows, fmt, empty="no calls in this window (try --since 30d)")
        return
    from llmlog.cli import call_views

    _emit_calls(list(reversed(rows)), fmt, empty="waiting for calls… (Ctrl-C to stop)")
    call_views.follow(calls.follow(conn, filters, shown=rows), fmt, _with_outcome, CALL_COLUMNS)


def _emit_calls(rows: list[dict[str, Any]], fmt: Format, *, empty: str) -> None:
    emit_rows(_with_outcome(rows) if fmt is Format.table else rows, fmt, CALL_COLUMNS, empty=empty)


def show(
    call_id: Annotated[str, typer.Argument(metavar="ID", help="A call id or a unique prefix.")],
    full: Annotated[
        bool, typer.Option("--full", help="Show long texts whole (the table shows their head).")
    ] = False,
    fmt: FormatOpt = None,
) -> None:
    """Show everything about one call: prompt, messages, output, cost, timing, trace, replays.

    Example: llmlog show 0193a1b2-3c4d
    """
    from llmlog.cli import call_views
    from llmlog.reports import calls, costs

    call = calls.show(common.report_store(), call_id)
    call["cost_breakdown"] = costs.breakdown(call)
    call_views.show(call, resolve_format(fmt), full=full)


def trace(
    ref: Annotated[
        str, typer.Argument(metavar="TRACE_ID|CALL_ID", help="A trace id, or a call id (prefix).")
    ],
    fmt: FormatOpt = None,
) -> None:
    """Show a trace as a tree of calls with model, latency, cost and status; totals at the root.

    Example: llmlog trace 0193a1b2-3c4d-7000-8000-1234567890ab
    """
    from llmlog.cli import call_views
    from llmlog.reports import calls

    call_views.trace(calls.trace(common.report_store(), ref), resolve_format(fmt))


ERROR_COLUMNS = [
    Col("errors", kind="int"),
    Col("error_type", "error type"),
    Col("model"),
    Col("feature"),
    Col("first_seen", "first seen", "time"),
    Col("last_seen", "last seen", "time"),
    Col("example_id", "example", "id"),
]
ERROR_CALL_COLUMNS = [
    Col("ts", "time", "time", max_width=19),
    Col("id", "id", "id", max_width=13),
    Col("feature", max_width=16),
    Col("model", max_width=22),
    Col("http_status", "http"),
    Col("error_type", "error type"),
    Col("error_message", "message", "line", max_width=60),
]


def errors(
    list_calls: Annotated[
        bool, typer.Option("--list", help="List the failed calls instead of grouping them.")
    ] = False,
    limit: LimitOpt = 50,
    fmt: FormatOpt = None,
    *,
    filters: Filters,
) -> None:
    """Show recent errors grouped by (error type, model, feature); default window 7d.

    Example: llmlog errors --since 24h --feature support-chat
    """
    from llmlog.reports import aggregates

    conn = common.report_store()
    if list_calls:
        rows = aggregates.error_calls(conn, filters, limit)
        emit_rows(rows, resolve_format(fmt), ERROR_CALL_COLUMNS, empty="no errors in this window")
        return
    rows = aggregates.errors(conn, filters)[:limit]
    emit_rows(rows, resolve_format(fmt), ERROR_COLUMNS, empty="no errors in this window")


class Period(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    total = "total"


SPEND_COLUMNS = [
    Col("calls", kind="int"),
    Col("errors", kind="int"),
    Col("input_tokens", "tokens in", "int"),
    Col("output_tokens", "tokens out", "int"),
    Col("cost_usd", "cost", "usd"),
]


def cost_by_feature(
    by: Annotated[Period, typer.Option("--by", help="day, week, month or total.")] = Period.day,
    fmt: FormatOpt = None,
    *,
    filters: Filters,
) -> None:
    """Show spend per feature per day, week or month; default window 30d.

    Example: llmlog cost-by-feature --by week --since 2026-10-01
    """
    from llmlog.reports import aggregates

    rows = aggregates.cost_by_feature(common.report_store(), filters, by.value)
    period = [] if by is Period.total else [Col(by.value)]
    emit_rows(rows, resolve_format(fmt), [*period, Col("feature"), *SPEND_COLUMNS])


def cost_by_model(fmt: FormatOpt = None, *, filters: Filters) -> None:
    """Show spend per model: calls, total, average and p95 cost per call, share; window 30d.

    Example: llmlog cost-by-model --since 7d --tenant acme
    """
    from llmlog.reports import aggregates

    columns = [
        Col("provider"),
        Col("model"),
        Col("calls", kind="int"),
        Col("cost_usd", "cost", "usd"),
        Col("avg_cost_usd", "avg/call", "usd"),
        Col("p95_cost_usd", "p95/call", "usd"),
        Col("share", kind="pct"),
    ]
    rows = aggregates.cost_by_model(common.report_store(), filters)
    emit_rows(rows, resolve_format(fmt), columns)


def top_users(limit: LimitOpt = 20, fmt: FormatOpt = None, *, filters: Filters) -> None:
    """Show the users who spend most; default window 30d.

    Example: llmlog top-users -n 10 --feature support-chat
    """
    from llmlog.reports import aggregates

    rows = aggregates.top_users(common.report_store(), filters, limit)
    columns = [Col("user_id", "user"), *SPEND_COLUMNS, Col("last_seen", "last call", "time")]
    emit_rows(rows, resolve_format(fmt), columns)


def top_tenants(limit: LimitOpt = 20, fmt: FormatOpt = None, *, filters: Filters) -> None:
    """Show the tenants who spend most, flagging today's spend above their mean + 3σ.

    Example: llmlog top-tenants --since 30d
    """
    from llmlog.reports import aggregates

    rows = aggregates.top_tenants(common.report_store(), filters, limit)
    columns = [
        Col("tenant_id", "tenant"),
        *SPEND_COLUMNS,
        Col("today_cost_usd", "today", "usd"),
        Col("mean_daily_usd", "mean/day", "usd"),
        Col("outlier", kind="flag"),
    ]
    emit_rows(rows, resolve_format(fmt), columns)


class Metric(StrEnum):
    total = "total"
    ttft = "ttft"


PERCENTILE_COLUMNS = [
    Col("calls", kind="int"),
    Col("p50_ms", "p50", "ms"),
    Col("p95_ms", "p95", "ms"),
    Col("p99_ms", "p99", "ms"),
]


def latency(
    by: Annotated[
        str,
        typer.Option(
            "--by", help="Comma-separated: feature, model, provider, prompt_version, tenant_id."
        ),
    ] = "feature,model",
    metric: Annotated[
        Metric, typer.Option("--metric", help="total (latency_ms) or ttft (ttft_ms).")
    ] = Metric.total,
    fmt: FormatOpt = None,
    *,
    filters: Filters,
) -> None:
    """Show latency percentiles (p50, p95, p99) per group; default window 24h.

    Example: llmlog latency --by model --metric ttft --since 7d
    """
    from llmlog.reports import aggregates

    keys = [key.strip() for key in by.split(",") if key.strip()]
    rows = aggregates.latency(common.report_store(), filters, keys, metric.value)
    columns = [*(Col(key) for key in keys), *PERCENTILE_COLUMNS, Col("approximate", kind="flag")]
    emit_rows(rows, resolve_format(fmt), columns)


class DriftKey(StrEnum):
    prompt_version = "prompt_version"
    model = "model"


def drift(
    by: Annotated[
        DriftKey, typer.Option("--by", help="prompt_version or model.")
    ] = DriftKey.prompt_version,
    fmt: FormatOpt = None,
    *,
    filters: Filters,
) -> None:
    """Compare prompt versions (or models): output length, refusals, errors, cost, p95.

    Default window 30d. Example: llmlog drift --by prompt_version --feature summarize
    """
    from llmlog.reports import aggregates

    rows = aggregates.drift(common.report_store(), filters, by.value)
    columns = [
        Col(by.value),
        Col("calls", kind="int"),
        Col("avg_output_tokens", "avg out tokens", "num"),
        Col("refusal_rate", "refusals", "pct"),
        Col("error_rate", "errors", "pct"),
        Col("avg_cost_usd", "cost/call", "usd"),
        Col("p95_ms", "p95", "ms"),
    ]
    emit_rows(rows, resolve_format(fmt), columns)


def query(
    name: Annotated[str, typer.Argument(metavar="NAME|PATH.sql", help="A query name or file.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="key=value, repeatable (see `llmlog queries`)."),
    ] = None,
    write: Annotated[
        bool,
        typer.Option("--write", help="Let the statement change data (queries are read-only)."),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            help="Stop the query after this many seconds (default: $LLMLOG_STATEMENT_TIMEOUT "
            "or 5; 0: no limit).",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOpt = None,
) -> None:
    """Run a bundled query, one of $LLMLOG_QUERIES_DIR, or a .sql file with a header.

    Queries run read-only, one statement each, with a statement timeout; `--write` is the
    only way to run one that changes data.

    Example: llmlog query latency --param since=7d --param by=model
    """
    from llmlog.errors import UsageError
    from llmlog.reports import params, run, sqlfile

    given: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param {item!r} is not key=value", hint="e.g. --param since=7d")
        given[key.strip()] = value
    chosen = sqlfile.load(name)
    values = params.bind(chosen, given)
    rows = run.execute(common.report_store(timeout), chosen, values, write=write)
    emit_rows(rows, resolve_format(fmt))


def queries(fmt: FormatOpt = None) -> None:
    """List the queries `llmlog query` can run, with their parameters and defaults.

    Example: llmlog queries --format json
    """
    from llmlog.reports import sqlfile

    rows = [
        {
            "name": q.name,
            "description": q.description,
            "params": ", ".join(
                p.name + (f"={p.default}" if not p.required else " (required)") for p in q.params
            ),
            "path": str(q.path),
        }
        for q in sqlfile.available().values()
    ]
    columns = [Col("name"), Col("description", max_width=60), Col("params", max_width=50)]
    emit_rows(rows, resolve_format(fmt), columns, empty="no queries found")


def register(app: typer.Typer) -> None:
    add = adder(app, REPORTS)
    add()(with_filters(tail))
    add()(show)
    add()(trace)
    add()(with_filters(errors))
    add("cost-by-feature")(with_filters(cost_by_feature))
    add("cost-by-model")(with_filters(cost_by_model))
    add("top-users")(with_filters(top_users))
    add("top-tenants")(with_filters(top_tenants))
    add()(with_filters(latency))
    add()(with_filters(drift))
    add()(query)
    add()(queries)
