"""`llmlog access audit`: who ran which report or export, recorded so no role but the
owner can read it and none can change it; never the calls' content."""

from __future__ import annotations

import json

import psycopg
import pytest

from llmlog.store.records import Record
from tests.access.conftest import Run, tenant_login


def audit_rows(store: psycopg.Connection) -> list[tuple[str, str, list[str]]]:
    return store.execute("SELECT db_role, command, args FROM llm_audit ORDER BY id").fetchall()


@pytest.fixture
def audited(store_url: str, urls: dict[str, str], run: Run) -> dict[str, str]:
    result = run(store_url, "access", "audit", "on")
    assert result.code == 0, result.err
    assert "the audit is on" in result.err
    return urls


def test_nothing_is_recorded_while_the_audit_is_off(
    store: psycopg.Connection, store_url: str, urls: dict[str, str], calls: dict[str, Record],
    run: Run,
) -> None:  # fmt: skip
    assert run(urls["read"], "tail", "-f", "json").code == 0
    assert run(store_url, "access", "audit").err.strip() == "the audit is off"
    assert audit_rows(store) == []


def test_reports_and_exports_record_login_command_and_given_options_not_content(
    store: psycopg.Connection, store_url: str, audited: dict[str, str],
    calls: dict[str, Record], run: Run,
) -> None:  # fmt: skip
    reader = audited["read"]
    assert run(reader, "tail", "--since", "7d", "--feature", "chat", "-f", "json").code == 0
    assert run(reader, "query", "top_tenants", "-p", "since=30d", "-f", "csv").code == 0
    assert run(reader, "show", str(calls["a"]["id"]), "-f", "json").code == 0
    assert run(reader, "sample-evals", "--since", "30d").code == 0
    assert run(reader, "status").code == 0  # not a report: not recorded
    assert audit_rows(store) == [
        ("llmlog_reader", "tail", ["--since", "7d", "--feature", "chat", "-f", "json"]),
        ("llmlog_reader", "query", ["top_tenants", "-p", "since=30d", "-f", "csv"]),
        ("llmlog_reader", "show", [str(calls["a"]["id"]), "-f", "json"]),
        ("llmlog_reader", "sample-evals", ["--since", "30d"]),
    ]


def test_a_replays_new_system_prompt_is_noted_as_given_not_kept(
    store: psycopg.Connection, audited: dict[str, str], calls: dict[str, Record], run: Run
) -> None:
    call_id = str(calls["a"]["id"])
    result = run(audited["read"], "replay", call_id, "--system", "TOP SECRET", "--dry-run")
    assert result.code == 0, result.err
    again = run(audited["read"], "replay", call_id, "--system=TOP SECRET", "--dry-run")
    assert again.code == 0, again.err
    assert audit_rows(store) == [
        ("llmlog_reader", "replay", [call_id, "--system", "(given)", "--dry-run"]),
        ("llmlog_reader", "replay", [call_id, "--system=(given)", "--dry-run"]),
    ]


def test_the_login_is_the_sessions_own_and_no_other_role_may_read_or_change_the_audit(
    store: psycopg.Connection, store_url: str, audited: dict[str, str], run: Run
) -> None:
    tenant = tenant_login(run, store_url, "acme")
    with psycopg.connect(tenant, autocommit=True) as conn:
        conn.execute("SELECT llmlog_audit('tail', '[]', 'someone-else')")
        role = conn.execute("SELECT current_user").fetchone()[0]
        for statement in (
            "SELECT * FROM llm_audit",
            "INSERT INTO llm_audit (db_role, command, args) VALUES ('postgres', 'x', '{}')",
            "UPDATE llm_audit SET db_role = 'postgres'",
            "DELETE FROM llm_audit",
            "TRUNCATE llm_audit",
            "UPDATE llm_settings SET value = 'off'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    assert audit_rows(store) == [(role, "tail", [])]
    assert store.execute("SELECT os_user FROM llm_audit").fetchone() == ("someone-else",)
    for args in (("audit", "off"), ("audit-log",)):
        refused = run(audited["read"], "access", *args)
        assert refused.code == 3, refused.err
        assert "needs the store's owner role" in refused.err
        assert len(refused.err.strip().splitlines()) == 1


def test_a_report_that_cannot_be_recorded_is_refused_while_the_store_audits(
    store: psycopg.Connection, audited: dict[str, str], run: Run
) -> None:
    store.execute("REVOKE EXECUTE ON FUNCTION llmlog_audit(text, jsonb, text) FROM PUBLIC")
    result = run(audited["read"], "tail")
    assert result.code == 3
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err
    assert lines[0].startswith("llmlog: cannot record `tail` in the store's audit")


def test_the_owner_reads_the_log_newest_first_and_by_login(
    store_url: str, audited: dict[str, str], calls: dict[str, Record], run: Run
) -> None:
    assert run(audited["read"], "errors", "--since", "1d").code == 0
    assert run(store_url, "latency", "--by", "model").code == 0
    log = json.loads(run(store_url, "access", "audit-log", "-f", "json").out)
    assert [(row["db_role"], row["command"]) for row in log] == [
        ("postgres", "latency"),
        ("llmlog_reader", "errors"),
    ]
    assert log[0]["args"] == ["--by", "model"] and log[0]["os_user"]
    mine = run(store_url, "access", "audit-log", "--role", "llmlog_reader", "-f", "json")
    assert [row["command"] for row in json.loads(mine.out)] == ["errors"]
    table = run(store_url, "access", "audit-log", "--since", "1h", "-f", "table")
    assert table.code == 0 and "latency" in table.out


def test_the_ui_records_each_page_it_serves_without_the_token_or_its_refreshes(
    store: psycopg.Connection, store_url: str, audited: dict[str, str],
    calls: dict[str, Record],
) -> None:  # fmt: skip
    from llmlog.ui.guard import Access
    from tests.ui.conftest import client_for

    with client_for(audited["read"], Access(token="s3cr3t-token")) as ui:
        assert ui.get("/?token=s3cr3t-token&feature=chat").status_code == 303  # to the cookie
        assert ui.get("/?feature=chat").status_code == 200
        assert ui.get("/?feature=chat", headers={"HX-Request": "true"}).status_code == 200
        assert ui.get(f"/calls/{calls['a']['id']}").status_code == 200
        assert ui.get("/dashboards/cost").status_code == 200
        assert ui.get("/static/app.css").status_code in (200, 404)
    assert audit_rows(store) == [
        ("llmlog_reader", "ui", ["GET", "/?feature=chat"]),
        ("llmlog_reader", "ui", ["GET", f"/calls/{calls['a']['id']}"]),
        ("llmlog_reader", "ui", ["GET", "/dashboards/cost"]),
    ]
