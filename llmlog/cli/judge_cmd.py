"""``llmlog judge`` (score a sample of calls with an LLM judge) and ``llmlog scores``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from llmlog.cli import common
from llmlog.cli.common import FeatureOpt, FormatOpt, ModelOpt, PromptVersionOpt, TenantOpt, option
from llmlog.cli.help import ACT, REPORTS, adder
from llmlog.cli.output import Col, emit_object, emit_rows, message, resolve_format
from llmlog.errors import EXIT_INTERRUPTED, EXIT_PROVIDER, UsageError


def judge(
    feature: FeatureOpt = None,
    since: Annotated[
        str, option("--since", help_text="Calls since: 24h, 7d, a date (default 24h).")
    ] = "24h",
    until: Annotated[
        str | None, option("--until", help_text="Calls before (default: now).")
    ] = None,
    sample: Annotated[
        str,
        option("--sample", help_text="A share of the window's calls (1%) or a count (200)."),
    ] = "1%",
    judge_model: Annotated[
        str, option("--judge-model", help_text="The judge (claude-* goes to Anthropic).")
    ] = "gpt-4o-mini",
    rubric: Annotated[
        Path | None,
        option("--rubric", help_text="A rubric TOML file (default: the bundled one per feature)."),
    ] = None,
    concurrency: Annotated[
        int, option("--concurrency", min=1, help_text="Calls judged at once (default 4).")
    ] = 4,
    seed: Annotated[int, option("--seed", help_text="Seed of the draw (default 0).")] = 0,
    base_url: Annotated[
        str | None,
        option("--base-url", help_text="Any OpenAI-compatible server for the judge."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count the calls to judge and estimate the cost.")
    ] = False,
    fmt: FormatOpt = None,
) -> None:
    """Score a sample of calls with an LLM judge and a rubric; one score per call is stored.

    The draw is deterministic for a seed and calls already scored by the same judge model
    and rubric are skipped, so an hourly cron run (or a rerun after a crash) judges only
    what is new. Exit 4 when the provider failed for some call (the others are stored).

    Example: llmlog judge --feature support --since 24h --sample 1% --judge-model gpt-4o-mini
    """
    import llmlog
    from llmlog.cli.output import human
    from llmlog.judge import rubric as rubrics
    from llmlog.judge import run
    from llmlog.judge import sample as sampling
    from llmlog.reports.window import parse_time

    size = sampling.parse_size(sample)
    chosen = rubrics.load(rubric) if rubric else None
    window = {"since": parse_time(since), "feature": feature}
    if until:
        window["until"] = parse_time(until)
    url, conn = common.open_store()
    drawn = sampling.draw(conn, window=window, size=size, seed=seed, judge_model=judge_model,
                        rubric=chosen)  # fmt: skip
    cost = run.estimate(drawn.todo, judge_model)
    message(
        f"{len(drawn.todo)} calls to judge ({drawn.drawn} drawn by --sample {sample}, "
        f"{drawn.already_scored} already scored); estimated cost "
        + (human(cost, "usd") if cost is not None else f"unknown (no price for {judge_model})")
    )
    if dry_run or not drawn.todo:
        return
    llmlog.configure(database_url=url)
    summary = run.judge(conn, drawn.todo, judge_model=judge_model, concurrency=concurrency,
                        base_url=base_url)  # fmt: skip
    summary.drawn, summary.already_scored = drawn.drawn, drawn.already_scored
    emit_object(summary.as_dict(), resolve_format(fmt))
    if summary.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if summary.as_dict()["errors"]:
        raise typer.Exit(EXIT_PROVIDER)


SCORE_COLUMNS = [
    Col("scored", kind="int"),
    Col("failed", kind="int"),
    Col("mean_score", "mean", "num"),
    Col("pass_rate", "passed", "pct"),
    Col("moving_avg_7d", "7-day avg", "num"),
]
WORST_COLUMNS = [
    Col("ts", "time", "time", max_width=19),
    Col("id", "id", "id", max_width=13),
    Col("feature", max_width=16),
    Col("tenant_id", "tenant", max_width=14, optional=True),
    Col("score", kind="num"),
    Col("rubric", optional=True),
    Col("rationale", kind="line", max_width=60),
]
_KEYS = {"feature": "feature", "tenant": "tenant_id", "tenant_id": "tenant_id",
         "prompt_version": "prompt_version", "model": "model", "none": "none"}  # fmt: skip
_PERIODS = ("day", "week", "total")


def scores(
    by: Annotated[
        list[str] | None,
        option(
            "--by",
            help_text="feature, tenant, prompt_version, model or none; and day, week or total "
            "(repeatable or comma-separated; default feature and day).",
        ),
    ] = None,
    worst: Annotated[
        int | None,
        option("--worst", min=1, help_text="List the N lowest-scored calls instead."),
    ] = None,
    since: Annotated[
        str, option("--since", help_text="Judged calls since: 7d, a date (default 30d).")
    ] = "30d",
    until: Annotated[str | None, option("--until", help_text="Judged calls before.")] = None,
    feature: FeatureOpt = None,
    tenant: TenantOpt = None,
    model: ModelOpt = None,
    prompt_version: PromptVersionOpt = None,
    judge_model: Annotated[
        str | None, option("--judge-model", help_text="Only this judge.")
    ] = None,
    rubric: Annotated[str | None, option("--rubric", help_text="Only this rubric (name).")] = None,
    fmt: FormatOpt = None,
) -> None:
    """Show the judge's scores: mean, count and 7-day moving average per feature and day.

    Example: llmlog scores --by tenant --by week --since 60d; llmlog scores --worst 10
    """
    from llmlog.judge import scores as judged
    from llmlog.reports.window import parse_time

    filters: dict[str, Any] = {
        "since": parse_time(since), "feature": feature, "tenant_id": tenant, "model": model,
        "prompt_version": prompt_version, "judge_model": judge_model, "rubric": rubric,
    }  # fmt: skip
    if until:
        filters["until"] = parse_time(until)
    fmt = resolve_format(fmt)
    if worst is not None:
        rows = judged.worst(common.report_store(), filters, worst)
        emit_rows(rows, fmt, WORST_COLUMNS, empty="no scores in this window (run llmlog judge)")
        return
    key, period = _grouping(by or [])
    rows = judged.aggregate(common.report_store(), filters, key=key, by=period)
    columns = [*([Col(period)] if period != "total" else []),
               *([Col(key)] if key != "none" else []), *SCORE_COLUMNS]  # fmt: skip
    emit_rows(rows, fmt, columns, empty="no scores in this window (run llmlog judge)")


def _grouping(given: list[str]) -> tuple[str, str]:
    """The key and the period of ``--by`` values (each may be comma-separated)."""
    key, period = "feature", "day"
    for value in (v.strip() for item in given for v in item.split(",") if v.strip()):
        if value in _KEYS:
            key = _KEYS[value]
        elif value in _PERIODS:
            period = value
        else:
            raise UsageError(
                f"cannot group scores by {value!r}",
                hint="--by takes feature, tenant, prompt_version, model or none, and day, "
                "week or total",
            )
    return key, period


def register_judge(app: typer.Typer) -> None:
    adder(app, ACT)()(judge)


def register_scores(app: typer.Typer) -> None:
    adder(app, REPORTS)()(scores)
