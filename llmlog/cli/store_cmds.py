"""Commands that run the store: init, migrate, status, server."""

from __future__ import annotations

from typing import Annotated

import typer

from llmlog import config
from llmlog.cli import common
from llmlog.cli.help import STORE, PanelGroup, adder
from llmlog.cli.output import Format, emit_object, message, out, resolve_format
from llmlog.errors import EXIT_STORE

server_app = typer.Typer(
    cls=PanelGroup, help="Manage the embedded PostgreSQL server.", no_args_is_help=True
)


def init() -> None:
    """Create the store if needed and migrate it to the newest schema.

    Safe to run again. Example: llmlog init
    """
    from llmlog.store import admin

    result = admin.init(common.state.db)
    before = result["from_revision"]
    if before == result["schema_revision"]:
        message(f"store at {result['database_url']} is ready (schema {before})")
    else:
        message(
            f"store at {result['database_url']} migrated from {before or 'empty'} "
            f"to schema {result['schema_revision']}"
        )


def migrate(
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the DDL instead of running it.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 3 when the schema is behind; change nothing.")
    ] = False,
) -> None:
    """Migrate an existing store's schema to this llmlog's version.

    Example: llmlog --db postgresql://app@db/llmlog migrate --sql > upgrade.sql
    """
    from llmlog.store import admin, connect
    from llmlog.store.revision import HEAD

    if sql or check:
        url, revision = admin.current_revision(common.state.db)
        if check:
            if revision != HEAD:
                message(
                    f"schema at {connect.mask(url)} is {revision or 'empty'}, head is {HEAD} "
                    "— run `llmlog migrate`"
                )
                raise typer.Exit(EXIT_STORE)
            message(f"schema is at head ({HEAD})")
            return
        from llmlog.store import migrations

        if revision == HEAD:
            message(f"schema is at head ({HEAD}): nothing to print")
            return
        print(migrations.upgrade_sql(revision), end="")
        return
    result = admin.migrate(common.state.db)
    if result["from_revision"] == HEAD:
        message(f"schema is at head ({HEAD})")
    else:
        message(f"migrated from {result['from_revision'] or 'empty'} to {HEAD}")


def status(format: common.FormatOpt = None) -> None:
    """Where the store is, its schema, and how many calls it holds.

    Example: llmlog status --format json
    """
    from llmlog.store import admin

    info = admin.status(common.state.db)
    fmt = resolve_format(format)
    if fmt is Format.jsonl:
        fmt = Format.json if format is None else fmt
    emit_object(info, fmt, title="llmlog store")
    if info["home_exposed_to"]:
        message(
            f"llmlog: warning: {config.home()} is open to {info['home_exposed_to']} (spooled "
            f"calls and caches live there) — chmod 700 {config.home()}"
        )
    if not info["schema_current"]:
        message(
            f"schema {info['schema_revision'] or 'missing'} is not head {info['head_revision']}"
            " — run `llmlog migrate` (or `llmlog init`)"
        )
        raise typer.Exit(EXIT_STORE)


@server_app.command("stop")
def server_stop() -> None:
    """Stop the embedded PostgreSQL server cleanly.

    The next command starts it again. Example: llmlog server stop
    """
    from llmlog.store import embedded

    if embedded.stop():
        message(f"stopped the embedded server in {embedded.data_dir()}")
    else:
        message("the embedded server was not running")


@server_app.command("start")
def server_start() -> None:
    """Start the embedded PostgreSQL server (commands start it on demand anyway).

    Example: llmlog server start
    """
    from llmlog.store import embedded

    info = embedded.ensure_running()
    message(f"embedded server running (pid {info.pid})")
    out.print(info.url(), highlight=False)


def register(app: typer.Typer) -> None:
    add = adder(app, STORE)
    add()(init)
    add()(migrate)
    add()(status)
    app.add_typer(server_app, name="server", rich_help_panel=STORE)
