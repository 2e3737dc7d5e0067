"""``llmlog access``: the store's roles, their grants and tenant logins (llmlog.store.access)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from llmlog.cli import common
from llmlog.cli.help import STORE, PanelGroup, adder
from llmlog.cli.output import Col, Format, emit_object, emit_rows, message, resolve_format

access_app = typer.Typer(
    cls=PanelGroup,
    help="Roles for the store: a writer, a reader, and logins held to one tenant.",
    no_args_is_help=True,
)


def _password(name: str, role: str) -> typer.models.OptionInfo:
    return typer.Option(
        name,
        help=f"Password for {role} (default: generated when the role is created).",
        show_default=False,
    )


def setup(
    writer_password: Annotated[str | None, _password("--writer-password", "llmlog_writer")] = None,
    reader_password: Annotated[str | None, _password("--reader-password", "llmlog_reader")] = None,
    fmt: common.FormatOpt = None,
) -> None:
    """Create the writer and reader roles (safe to run again) and print a URL for each role.

    A password is shown once, when its role is created or given; `***` afterwards.
    Example: llmlog --db postgresql://owner@db/llmlog access setup
    """
    from llmlog.store import access

    url, conn = common.open_store()
    with conn:
        rows = access.setup(
            conn, url, {access.WRITER: writer_password, access.READER: reader_password}
        )
    emit_rows(rows, resolve_format(fmt), [Col("role"), Col("can"), Col("url"), Col("created")])
    message("capture and ingest: the writer's URL; reports: the reader's; migrate: the owner's")


def grant_tenant(
    tenant: Annotated[str, typer.Argument(help="The tenant_id the login sees.")],
    role: Annotated[
        str | None,
        typer.Option(
            "--role", help="The login's name (default: llmlog_t_<tenant>).", show_default=False
        ),
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="It may also capture calls (of this tenant only).")
    ] = False,
    password: Annotated[str | None, _password("--password", "the login")] = None,
    fmt: common.FormatOpt = None,
) -> None:
    """Create a login that sees only one tenant's calls, in every report, query and psql.

    Example: llmlog access grant-tenant acme --format json
    """
    from llmlog.store import access

    url, conn = common.open_store()
    with conn:
        made = access.grant_tenant(conn, url, tenant, role=role, write=write, password=password)
    fmt = resolve_format(fmt)
    emit_object(made, Format.json if fmt is Format.jsonl else fmt, title="tenant login")


def list_roles(fmt: common.FormatOpt = None) -> None:
    """The roles llmlog made: what each may do, and its tenant.

    Example: llmlog access list
    """
    from llmlog.store import access

    conn = common.open_store()[1]
    with conn:
        rows = access.list_roles(conn)
    emit_rows(
        rows, resolve_format(fmt), [Col("role"), Col("can"), Col("tenant"), Col("login")],
        empty="no llmlog roles: run `llmlog access setup`",
    )  # fmt: skip


def revoke(role: Annotated[str, typer.Argument(help="The role to drop.")]) -> None:
    """Drop a role llmlog made (a tenant login, the reader or the writer).

    Example: llmlog access revoke llmlog_t_acme
    """
    from llmlog.store import access

    conn = common.open_store()[1]
    with conn:
        access.revoke(conn, role)
    message(f"dropped role {role}")


class Switch(StrEnum):
    on = "on"
    off = "off"


def audit(
    switch: Annotated[
        Switch | None,
        typer.Argument(help="on or off (default: say which it is).", show_default=False),
    ] = None,
) -> None:
    """Record who runs each report and export command (the options, never the content).

    Example: llmlog access audit on
    """
    from llmlog.store import audit as audits

    conn = common.open_store()[1]
    with conn:
        if switch is not None:
            audits.switch(conn, switch is Switch.on)
        on = audits.enabled(conn)
    message(f"the audit is {'on' if on else 'off'}")


def audit_log(
    since: common.SinceOpt = None,
    role: Annotated[
        str | None, typer.Option("--role", help="Only this login.", show_default=False)
    ] = None,
    limit: common.LimitOpt = 100,
    fmt: common.FormatOpt = None,
) -> None:
    """Show the audit, newest first: when, which login, from where, which command.

    Example: llmlog access audit-log --since 7d --role llmlog_reader
    """
    from llmlog.reports.window import parse_time
    from llmlog.store import audit as audits

    conn = common.open_store()[1]
    with conn:
        rows = audits.entries(
            conn, since=parse_time(since) if since else None, role=role, limit=limit
        )
    emit_rows(
        rows, resolve_format(fmt),
        [Col("at", "time", "time", max_width=19), Col("db_role", "role"), Col("os_user"),
         Col("client"), Col("command"), Col("args")],
        empty="no audited commands (`llmlog access audit on` records them)",
    )  # fmt: skip


def register(app: typer.Typer) -> None:
    add = adder(access_app, "Commands")
    add()(setup)
    add("grant-tenant")(grant_tenant)
    add("list")(list_roles)
    add()(revoke)
    add()(audit)
    add("audit-log")(audit_log)
    app.add_typer(access_app, name="access", rich_help_panel=STORE)
