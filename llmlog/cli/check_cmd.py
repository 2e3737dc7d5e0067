"""``llmlog check``: evaluate alert rules (for cron), print what fires, notify a webhook."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmlog.cli import common
from llmlog.cli.common import option
from llmlog.cli.help import ACT, adder
from llmlog.errors import EXIT_FIRING


def check(
    rules: Annotated[
        Path | None,
        option(
            "--rules",
            help_text="A TOML rule file (default: $LLMLOG_HOME/checks.toml, else the bundled "
            "rules).",
        ),
    ] = None,
    notify: Annotated[
        str | None,
        option(
            "--notify",
            help_text='POST {"text": …} (Slack-compatible) to URL when a rule starts firing '
            "and when it resolves.",
            metavar="URL",
        ),
    ] = None,
    now: Annotated[
        str | None, option("--now", help_text="Check as if it were this time (UTC).")
    ] = None,
    fmt: Annotated[
        common.TableOrJson,
        option(
            "--format",
            "-f",
            help_text="table (one line per firing rule) or json.",
            case_sensitive=False,
        ),
    ] = common.TableOrJson.table,
) -> None:
    """Evaluate alert rules: latency and TTFT percentiles, error and refusal rates, calls,
    output length, spend against a budget or a tenant's normal, judge score week over week.

    One line per firing rule. Exit 0 when none fires, 5 when any does, 2 for a rule file
    that is wrong (naming its line). Firing state is kept in the store: --notify posts once
    when a rule starts firing and once when it resolves.

    Example: llmlog check --notify https://hooks.slack.com/services/…
    """
    from datetime import UTC, datetime

    from llmlog import config
    from llmlog.check import rules as rule_files
    from llmlog.check import run
    from llmlog.cli.output import cell, dumps, message, out
    from llmlog.reports.window import parse_time

    chosen, source = rule_files.load(rules, config.home())
    moment = parse_time(now) if now else datetime.now(UTC)
    outcome = run.check(common.report_store(), chosen, now=moment, notify_url=notify)
    if fmt is common.TableOrJson.json:
        print(dumps([run.as_dict(alert) for alert in outcome.alerts], indent=2))
    else:
        for alert in outcome.firing:
            out.print(cell(run.line(alert)))  # a scope is a stored label: shown literally
    for gone in outcome.resolved:
        message(f"resolved: {gone.rule} ({gone.scope or 'all calls'})")
    for problem in outcome.problems:
        message(f"llmlog: {problem} — the alert is posted again on the next run")
    message(f"{len(chosen)} rules checked ({source}): {len(outcome.firing)} firing")
    if outcome.firing:
        raise typer.Exit(EXIT_FIRING)


def register(app: typer.Typer) -> None:
    adder(app, ACT)()(check)
