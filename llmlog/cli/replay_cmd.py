"""``llmlog replay ID``: send a stored call again, perhaps changed, and show what changed."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from llmlog.cli import common
from llmlog.errors import UsageError


class ReplayFormat(StrEnum):
    table = "table"
    json = "json"


class Provider(StrEnum):
    openai = "openai"
    anthropic = "anthropic"


def _opt(*names: str, help_text: str, **extra: Any) -> Any:
    return typer.Option(*names, help=help_text, show_default=False, **extra)


def replay(
    call_id: Annotated[str, typer.Argument(metavar="ID", help="A call id or a unique prefix.")],
    model: Annotated[str | None, _opt("--model", help_text="Send to this model.")] = None,
    provider: Annotated[
        Provider | None,
        _opt(
            "--provider",
            help_text="Send to this provider (converts the request).",
            case_sensitive=False,
        ),
    ] = None,
    system: Annotated[
        str | None, _opt("--system", help_text="A new system prompt: TEXT, or @FILE.")
    ] = None,
    prompt_file: Annotated[
        Path | None, _opt("--prompt-file", help_text="New text for the last user message.")
    ] = None,
    temperature: Annotated[float | None, _opt("--temperature", help_text="Temperature.")] = None,
    max_tokens: Annotated[
        int | None, _opt("--max-tokens", help_text="Output token limit.", min=1)
    ] = None,
    param: Annotated[
        list[str] | None,
        _opt("--param", help_text="Set a body key: key=JSON value (or text); key=null drops it."),
    ] = None,
    base_url: Annotated[
        str | None, _opt("--base-url", help_text="Any OpenAI-compatible server (vLLM, Ollama).")
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
        ReplayFormat | None,
        _opt(
            "--format",
            "-f",
            help_text="table | json (default: table on a terminal).",
            case_sensitive=False,
        ),
    ] = None,
) -> None:
    """Replay a stored call, perhaps with another model, provider or prompt, and diff the answers.

    Example: llmlog replay 0193a1b2-3c4d --model gpt-4.1 --repeat 3
    """
    import llmlog
    from llmlog import replay as replays
    from llmlog.cli import replay_views

    overrides = replays.Overrides(
        model=model,
        provider=provider.value if provider else None,
        system=_text_or_file(system),
        prompt=None if prompt_file is None else _read(prompt_file),
        temperature=temperature,
        max_tokens=max_tokens,
        params=_params(param or []),
    )
    as_json = (fmt or _default_format()) is ReplayFormat.json
    url, conn = common.open_store()
    with conn:
        call = replays.load(conn, call_id)
    if dry_run:
        replay_views.plan(replays.plan(call, overrides), as_json)
        return
    if not no_save:
        llmlog.configure(database_url=url)
    options = replays.Options(repeat=repeat, save=not no_save, base_url=base_url)
    replay_views.report(replays.replay(call, overrides, options), as_json)


def _default_format() -> ReplayFormat:
    return ReplayFormat.table if sys.stdout.isatty() else ReplayFormat.json


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
    app.command("replay")(replay)
