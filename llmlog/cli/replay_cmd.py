"""``llmlog replay ID``: send a stored call again, perhaps changed, and show what changed."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmlog.cli import common
from llmlog.cli.common import (
    FeatureOpt,
    GrepOpt,
    PromptVersionOpt,
    SinceOpt,
    StatusOpt,
    TenantOpt,
    TraceOpt,
    UntilOpt,
    UserOpt,
    option,
)
from llmlog.cli.help import ACT, adder
from llmlog.errors import EXIT_INTERRUPTED, EXIT_NOT_FOUND, EXIT_OK, NotFoundError, UsageError

if TYPE_CHECKING:
    from llmlog.replay import Options, Overrides
    from llmlog.reports.filters import Filters


class Provider(StrEnum):
    openai = "openai"
    anthropic = "anthropic"


def replay(
    call_id: Annotated[
        str | None,
        typer.Argument(
            metavar="[ID|-]",
            help="A call id or unique prefix; - reads ids (or JSON lines with an id) from stdin.",
            show_default=False,
        ),
    ] = None,
    model: Annotated[str | None, option("--model", help_text="Send to this model.")] = None,
    provider: Annotated[
        Provider | None,
        option(
            "--provider",
            help_text="Send to this provider (converts the request).",
            case_sensitive=False,
        ),
    ] = None,
    system: Annotated[
        str | None, option("--system", help_text="A new system prompt: TEXT, or @FILE.")
    ] = None,
    prompt_file: Annotated[
        Path | None, option("--prompt-file", help_text="New text for the last user message.")
    ] = None,
    temperature: Annotated[float | None, option("--temperature", help_text="Temperature.")] = None,
    max_tokens: Annotated[
        int | None, option("--max-tokens", help_text="Output token limit.", min=1)
    ] = None,
    param: Annotated[
        list[str] | None,
        option("--param", help_text="Set a body key: key=JSON value (or text); key=null drops it."),
    ] = None,
    base_url: Annotated[
        str | None,
        option("--base-url", help_text="Any OpenAI-compatible server (vLLM, Ollama)."),
    ] = None,
    repeat: Annotated[
        int, typer.Option("--repeat", min=1, help="Send N times (and the original N times).")
    ] = 1,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the request and its cost; send nothing.")
    ] = False,
    no_save: Annotated[
        bool, typer.Option("--no-save", help="Do not store the replay as a call.")
    ] = False,
    fmt: Annotated[
        common.TableOrJson | None,
        option(
            "--format",
            "-f",
            help_text="table | json (default: table on a terminal).",
            case_sensitive=False,
        ),
    ] = None,
    concurrency: Annotated[
        int,
        option(
            "--concurrency", help_text="Replays in flight at once (many calls; default 4).", min=1
        ),
    ] = 4,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Send many replays without asking (needed off a terminal)."),
    ] = False,
    fail_on_change: Annotated[
        float | None,
        option(
            "--fail-on-change",
            help_text="Exit 1 when more than PCT % of replays changed.",
            metavar="PCT",
            min=0,
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="How many calls at most (filters).")
    ] = 100,
    since: SinceOpt = None,
    until: UntilOpt = None,
    feature: FeatureOpt = None,
    tenant: TenantOpt = None,
    user: UserOpt = None,
    trace: TraceOpt = None,
    prompt_version: PromptVersionOpt = None,
    status: StatusOpt = None,
    grep: GrepOpt = None,
) -> None:
    """Replay a stored call, perhaps with another model, provider or prompt, and diff the answers.

    Many calls: filters (--feature, --since, …; --model and --provider are the replay's
    target, not filters) or ids on stdin (ID = -), with --concurrency, --yes and
    --fail-on-change.

    Example: llmlog replay 0193a1b2-3c4d --model gpt-4.1 --repeat 3
    """
    from llmlog import replay as replays

    overrides = replays.Overrides(
        model=model,
        provider=provider.value if provider else None,
        system=_text_or_file(system),
        prompt=None if prompt_file is None else _read(prompt_file),
        temperature=temperature,
        max_tokens=max_tokens,
        params=_params(param or []),
    )
    options = replays.Options(repeat=repeat, save=not no_save, base_url=base_url)
    as_json = (fmt or _default_format()) is common.TableOrJson.json
    picked = {
        "since": since,
        "until": until,
        "feature": feature,
        "tenant": tenant,
        "user": user,
        "trace": trace,
        "prompt_version": prompt_version,
        "status": status,
        "grep": grep,
    }
    filtered = any(v is not None for v in picked.values())
    if call_id not in (None, "-") and not filtered:
        changed = _single(call_id, overrides, options, dry_run=dry_run, as_json=as_json)
        if changed and fail_on_change is not None and fail_on_change < 100:
            raise typer.Exit(EXIT_NOT_FOUND)
        return
    if (call_id is None) == (not filtered) or (call_id == "-" and filtered):
        raise UsageError(
            "give one ID, - to read ids from stdin, or filters such as --feature (not both)",
            hint="e.g. llmlog replay --feature support --since 7d --model gpt-4.1",
        )
    from llmlog.cli.report_cmds import to_filters

    batch = Batch(overrides, options, concurrency, yes=yes, dry_run=dry_run, as_json=as_json)
    if call_id == "-":
        batch.ids(_stdin_ids())
    else:
        batch.filters(to_filters(model=None, provider=None, **picked), limit)
    if batch.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if fail_on_change is not None and batch.changed_pct > fail_on_change:
        raise typer.Exit(EXIT_NOT_FOUND)


def _single(
    call_id: str, overrides: Overrides, options: Options, *, dry_run: bool, as_json: bool
) -> bool:
    """Replay one call (or plan it); True when its answer changed."""
    import llmlog
    from llmlog import replay as replays
    from llmlog.cli import replay_views

    url, conn = common.open_store()
    with conn:
        call = replays.load(conn, call_id)
    if dry_run:
        replay_views.plan(replays.plan(call, overrides), as_json)
        return False
    if options.save:
        llmlog.configure(database_url=url)
    report = replays.replay(call, overrides, options)
    replay_views.report(report, as_json)
    return report.verdict.changed


class Batch:
    """Many replays: load, estimate, ask, send with a progress bar, summarise."""

    def __init__(
        self,
        overrides: Overrides,
        options: Options,
        concurrency: int,
        *,
        yes: bool,
        dry_run: bool,
        as_json: bool,
    ) -> None:
        self.overrides, self.options, self.concurrency = overrides, options, concurrency
        self.yes, self.dry_run, self.as_json = yes, dry_run, as_json
        self.changed_pct = 0.0
        self.interrupted = False

    def ids(self, ids: list[str]) -> None:
        from llmlog.replay import batch

        url, conn = common.open_store()
        with conn:
            self._run(url, batch.load_many(conn, ids))

    def filters(self, filters: Filters, limit: int) -> None:
        from llmlog.replay import batch

        url, conn = common.open_store()
        with conn:
            self._run(url, batch.load_many(conn, batch.select(conn, filters, limit)))

    def _run(self, url: str, calls: list[dict[str, Any]]) -> None:
        import llmlog
        from llmlog.cli import replay_views
        from llmlog.replay import batch

        if not calls:
            raise NotFoundError("no calls to replay", hint="widen the filters (e.g. --since 30d)")
        replay_views.estimate(*batch.estimate(calls, self.overrides, self.options.repeat))
        if self.dry_run:
            return
        self._confirm(len(calls))
        if self.options.save:
            llmlog.configure(database_url=url)
        with replay_views.progress(len(calls)) as advance:
            summary = batch.run(
                calls, self.overrides, self.options, concurrency=self.concurrency, done=advance
            )
        replay_views.summary(summary, self.as_json)
        self.changed_pct, self.interrupted = summary.changed_pct(), summary.interrupted

    def _confirm(self, count: int) -> None:
        if self.yes:
            return
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            raise UsageError(
                f"not sending {count} replays without --yes (not on a terminal)",
                hint="add --yes once the estimate above looks right",
            )
        if not typer.confirm(f"Send {count} replays?", err=True):
            raise typer.Exit(EXIT_OK)


def _stdin_ids() -> list[str]:
    """Ids from stdin: one a line, or JSON lines with an ``id`` (``llmlog tail -f jsonl``)."""
    ids = []
    for n, line in enumerate(sys.stdin, 1):
        text = line.strip()
        if not text:
            continue
        if text.startswith("{"):
            try:
                text = str(json.loads(text)["id"])
            except (ValueError, KeyError, TypeError):
                raise UsageError(f"stdin line {n} is JSON without an id") from None
        ids.append(text)
    return ids


def _default_format() -> common.TableOrJson:
    return common.TableOrJson.table if sys.stdout.isatty() else common.TableOrJson.json


def _text_or_file(value: str | None) -> str | None:
    if value is None or not value.startswith("@"):
        return value
    return _read(Path(value[1:]))


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"cannot read {path}: {exc.strerror or exc}", hint="give a readable text file"
        ) from exc


def _params(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` pairs: the value is JSON when it parses as JSON, else text."""
    found: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--param {pair!r} is not key=value", hint="e.g. --param seed=7")
        try:
            found[key] = json.loads(text)
        except ValueError:
            found[key] = text
    return found


def register(app: typer.Typer) -> None:
    adder(app, ACT)("replay")(replay)
