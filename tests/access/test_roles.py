"""`llmlog access`: real roles and logins on the embedded server, each guarantee shown from
the side of the role that must be refused."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from llmlog.capture.feedback import set_feedback
from llmlog.store.batch import BatchWriter
from llmlog.store.partitions import name_for
from llmlog.store.records import Record
from tests.access.conftest import Run, tenant_login
from tests.reports.conftest import base_calls, call


def test_setup_is_idempotent_and_shows_a_password_only_when_set(store_url: str, run: Run) -> None:
    first = run(store_url, "access", "setup", "--reader-password", "s3cret", "-f", "json")
    assert first.code == 0, first.err
    reader = next(r for r in json.loads(first.out) if r["role"] == "llmlog_reader")
    assert reader["url"].startswith("postgresql://llmlog_reader:s3cret@")
    again = run(store_url, "access", "setup", "-f", "json")
    rows = {r["role"]: r for r in json.loads(again.out)}
    assert rows["llmlog_reader"]["url"].startswith("postgresql://llmlog_reader:***@")
    assert {r["can"] for r in rows.values()} == {"owner", "read", "write"}
    assert "s3cret" not in again.out + again.err


def test_tenant_reader_sees_only_its_tenant_in_reports_query_and_sql(
    store_url: str, urls: dict[str, str], calls: dict[str, Record], run: Run
) -> None:
    acme = tenant_login(run, store_url, "acme")
    tail = json.loads(run(acme, "tail", "--since", "30d", "-n", "50", "-f", "json").out)
    assert tail and {row["tenant_id"] for row in tail} == {"acme"}
    by_feature = json.loads(run(acme, "cost-by-feature", "--by", "total", "-f", "json").out)
    assert {row["feature"]: row["calls"] for row in by_feature} == {"chat": 4}
    owner = json.loads(run(store_url, "cost-by-feature", "--by", "total", "-f", "json").out)
    assert sum(row["calls"] for row in owner) == len(calls)
    queried = run(acme, "query", "top_tenants", "-p", "since=30d", "-f", "json")
    assert queried.code == 0, queried.err
    assert {row["tenant_id"] for row in json.loads(queried.out)} == {"acme"}
    with psycopg.connect(acme, autocommit=True) as conn:
        seen = conn.execute("SELECT DISTINCT tenant_id FROM llm_calls").fetchall()
        assert seen == [("acme",)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"SELECT count(*) FROM {name_for(datetime.now(UTC).date())}")


def test_tenant_reader_sees_only_its_rollups_and_export_history(
    store: psycopg.Connection, store_url: str, urls: dict[str, str], calls: dict[str, Record],
    run: Run,
) -> None:  # fmt: skip
    store.execute("SELECT llmlog_roll_day(%s)", ((calls["old"]["ts"]).date(),))
    store.execute("SELECT llmlog_roll_day(%s)", ((calls["c"]["ts"]).date(),))
    export = uuid.uuid4()
    store.execute(
        "INSERT INTO llm_eval_exports (id, format, options, calls) VALUES (%s, 'openai', '{}', 2)",
        (export,),
    )
    for key in ("a", "c"):
        store.execute(
            "INSERT INTO llm_eval_exported VALUES (%s, %s, %s)",
            (export, calls[key]["id"], calls[key]["ts"]),
        )
    with psycopg.connect(tenant_login(run, store_url, "acme"), autocommit=True) as conn:
        daily = conn.execute("SELECT DISTINCT tenant_id FROM llm_calls_daily").fetchall()
        assert daily == [("acme",)]
        exported = conn.execute("SELECT call_id FROM llm_eval_exported").fetchall()
        assert exported == [(calls["a"]["id"],)]
        assert conn.execute("SELECT count(*) FROM llm_eval_exports").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM llm_access_tenants")


def test_tenant_writer_cannot_write_another_tenants_row(
    store: psycopg.Connection, store_url: str, urls: dict[str, str], run: Run
) -> None:
    globex = tenant_login(run, store_url, "globex", "--write")
    now = datetime.now(UTC)
    with psycopg.connect(globex, autocommit=True) as conn:
        assert BatchWriter(conn).write([call(now, tenant_id="globex", feature="mine")]) == 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            BatchWriter(conn).write([call(now, tenant_id="acme", feature="theirs")])
    rows = store.execute("SELECT tenant_id, feature FROM llm_calls").fetchall()
    assert rows == [("globex", "mine")]


def test_writer_captures_and_sets_feedback_but_cannot_read_content(
    store: psycopg.Connection, urls: dict[str, str]
) -> None:
    record = call(datetime.now(UTC), tenant_id="acme", output_text="secret answer")
    with psycopg.connect(urls["write"], autocommit=True) as conn:
        assert BatchWriter(conn).write([record]) == 1
        assert set_feedback(conn, record["id"], "up")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT output_text FROM llm_calls")
    assert store.execute("SELECT feedback FROM llm_calls").fetchall() == [(1,)]


def test_reader_cannot_write(calls: dict[str, Record], urls: dict[str, str]) -> None:
    with psycopg.connect(urls["read"], autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM llm_calls").fetchone() == (len(calls),)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            set_feedback(conn, calls["a"]["id"], "up")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            BatchWriter(conn).write([call(datetime.now(UTC), tenant_id="acme")])


@pytest.mark.parametrize(
    "command", ["migrate", "retention-roll", "access setup", "access grant-tenant"]
)
def test_owner_commands_as_reader_name_the_role_they_need(
    urls: dict[str, str], run: Run, command: str
) -> None:
    result = run(urls["read"], *command.split(), *(["acme"] if "grant" in command else []))
    assert result.code == 3, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err
    assert f"`{command}` needs the store's owner role 'postgres'" in lines[0]
    assert "'llmlog_reader'" in lines[0]


def test_list_and_revoke(store_url: str, urls: dict[str, str], run: Run) -> None:
    acme = tenant_login(run, store_url, "acme", "--write")
    role = acme.split("://")[1].split(":")[0]
    listed = {r["role"]: r for r in json.loads(run(store_url, "access", "list", "-f", "json").out)}
    assert listed[role] == {"role": role, "can": "read+write", "tenant": "acme", "login": True}
    assert listed["llmlog_reader"]["can"] == "read"
    assert run(store_url, "access", "revoke", role).code == 0
    listed = json.loads(run(store_url, "access", "list", "-f", "json").out)
    assert role not in {r["role"] for r in listed}
    gone = run(store_url, "access", "revoke", role)
    assert gone.code == 1 and "no llmlog role named" in gone.err


def test_tenant_reader_exports_evals_of_its_tenant_only_and_records_no_history(
    store: psycopg.Connection, store_url: str, urls: dict[str, str], calls: dict[str, Record],
    run: Run,
) -> None:  # fmt: skip
    acme = tenant_login(run, store_url, "acme")
    result = run(acme, "sample-evals", "--since", "30d", "--why", "random", "--limit", "50")
    assert result.code == 0, result.err
    exported = [json.loads(line) for line in result.out.splitlines()]
    mine = {str(calls[k]["id"]) for k in calls if calls[k].get("tenant_id") == "acme"}
    assert exported and {row["id"] for row in exported} <= mine
    assert "not recorded in the export history" in result.err
    assert store.execute("SELECT count(*) FROM llm_eval_exports").fetchone() == (0,)


def test_a_non_superuser_owner_sees_every_tenant_and_captures_under_forced_rls(
    pg_admin_url: str, empty_db_url: str, run: Run
) -> None:
    owner = f"own_{uuid.uuid4().hex[:8]}"
    database = empty_db_url.split("?")[0].rsplit("/", 1)[1]
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {owner} LOGIN")
        conn.execute(f"ALTER DATABASE {database} OWNER TO {owner}")
    owner_url = empty_db_url.replace("postgres@", f"{owner}@")
    made = run(owner_url, "init")
    assert made.code == 0, made.err
    with psycopg.connect(owner_url, autocommit=True) as conn:
        forced = conn.execute(
            "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class "
            "WHERE relname = 'llm_calls'"
        ).fetchone()
        assert forced == (True,)
        records = base_calls()
        assert BatchWriter(conn).write(list(records.values())) == len(records)
    tail = json.loads(run(owner_url, "tail", "--since", "30d", "-n", "50", "-f", "json").out)
    assert {row["tenant_id"] for row in tail} == {"acme", "globex"}
    rolled = run(owner_url, "retention-roll")
    assert rolled.code == 0, rolled.err
    assert run(owner_url, "forget", "--tenant", "acme").code == 0
    with psycopg.connect(owner_url, autocommit=True) as conn:
        left = conn.execute("SELECT DISTINCT tenant_id FROM llm_calls").fetchall()
        assert left == [("globex",)]
    assert run(empty_db_url, "access", "setup").code == 0
    globex = tenant_login(run, empty_db_url, "globex")
    tail = json.loads(run(globex, "tail", "--since", "30d", "-n", "50", "-f", "json").out)
    assert tail and {row["tenant_id"] for row in tail} == {"globex"}


def test_a_tenant_login_made_for_another_database_sees_nothing_here(
    pg_admin_url: str, store_url: str, urls: dict[str, str], run: Run
) -> None:
    from tests.conftest import TEMPLATE, fresh_database

    acme = tenant_login(run, store_url, "acme")
    role = acme.split("://")[1].split(":")[0]
    with fresh_database(pg_admin_url, TEMPLATE) as other:
        assert run(other, "access", "setup").code == 0
        with psycopg.connect(other, autocommit=True) as conn:
            BatchWriter(conn).write(list(base_calls().values()))
        with psycopg.connect(other, user=role, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM llm_calls").fetchone() == (0,)
            assert conn.execute("SELECT count(*) FROM llm_calls_daily").fetchone() == (0,)


def test_capture_through_the_sdk_stores_with_the_writer_url(
    store: psycopg.Connection, urls: dict[str, str], tmp_path: Path
) -> None:
    import llmlog
    from llmlog import settings
    from llmlog.capture import writer
    from tests.capture.conftest import openai_client
    from tests.stub_provider import StubServer

    server = StubServer().start()
    settings.reset()
    try:
        llmlog.configure(
            database_url=urls["write"], spool_dir=tmp_path / "spool", flush_interval=0.05
        )
        client = llmlog.wrap(openai_client(server))
        with llmlog.context(tenant_id="acme", feature="chat"):
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
        call_id = llmlog.last_call_id()
        llmlog.feedback(call_id, "down", note="wrong city")
        assert llmlog.flush(10)
    finally:
        writer.shutdown()
        settings.reset()
        server.stop()
    stored = store.execute("SELECT tenant_id, feedback, feedback_note FROM llm_calls").fetchall()
    assert stored == [("acme", -1, "wrong city")]
    assert not list((tmp_path / "spool").glob("*.jsonl"))


def test_reader_searches_closed_days_it_may_not_index(
    calls: dict[str, Record], urls: dict[str, str], run: Run
) -> None:
    found = run(urls["read"], "tail", "--grep", "Zurich weather", "--since", "30d", "-f", "json")
    assert found.code == 0, found.err
    assert [row["id"] for row in json.loads(found.out)] == [str(calls["old"]["id"])]


@pytest.mark.parametrize(
    "tenant",
    ["'; DROP TABLE llm_calls; --", 'a"b', "back\\slash", "%s %(x)s", "\u202eevil", "Ünïcödé"],
)
def test_a_tenant_name_of_any_text_holds_its_login_to_exactly_those_rows(
    store: psycopg.Connection, store_url: str, urls: dict[str, str], run: Run, tenant: str
) -> None:
    now = datetime.now(UTC)
    BatchWriter(store).write(
        [call(now, tenant_id=tenant, feature="theirs"), call(now, tenant_id="acme")]
    )
    made = json.loads(run(store_url, "access", "grant-tenant", tenant, "-f", "json").out)
    assert made["tenant"] == tenant and made["role"].startswith("llmlog_t_")
    with psycopg.connect(made["url"], autocommit=True) as conn:
        seen = conn.execute("SELECT tenant_id, feature FROM llm_calls").fetchall()
    assert seen == [(tenant, "theirs")]
    assert store.execute("SELECT count(*) FROM llm_calls").fetchone() == (2,)


@pytest.mark.parametrize("tenant", ["a\x00b", ""])
def test_a_tenant_name_postgresql_cannot_hold_is_refused_in_one_line(
    store_url: str, urls: dict[str, str], run: Run, tenant: str
) -> None:
    result = run(store_url, "access", "grant-tenant", tenant)
    assert result.code == 2, result.err
    assert result.err.startswith("llmlog: a tenant id is non-empty text without NUL")
    assert len(result.err.strip().splitlines()) == 1


def test_tenant_reader_sees_only_its_calls_scores_and_no_alert_state(
    store: psycopg.Connection, store_url: str, urls: dict[str, str], calls: dict[str, Record],
    run: Run,
) -> None:  # fmt: skip
    for key in ("a", "c"):  # a: acme's, c: globex's
        store.execute(
            "INSERT INTO llm_scores (call_id, call_ts, judge_model, rubric, rubric_sha256, "
            "status, score, rationale) VALUES (%s, %s, 'judge', 'default', 'h', 'scored', 80, "
            "'fine')",
            (calls[key]["id"], calls[key]["ts"]),
        )
    store.execute("INSERT INTO llm_check_state (rule, scope) VALUES ('spend', 'tenant=globex')")
    with psycopg.connect(tenant_login(run, store_url, "acme"), autocommit=True) as conn:
        seen = conn.execute("SELECT call_id FROM llm_scores").fetchall()
        assert seen == [(calls["a"]["id"],)]
        assert conn.execute("SELECT count(*) FROM llm_check_state").fetchone() == (0,)
    with psycopg.connect(urls["read"], autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM llm_scores").fetchone() == (2,)


def test_a_reader_running_check_is_told_it_may_not_keep_alert_state(
    store_url: str, urls: dict[str, str], run: Run, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nname = "quiet"\nmetric = "calls"\nop = "<"\nthreshold = 1\n')
    result = run(urls["read"], "check", "--rules", str(rules))
    assert result.code == 3, result.err
    assert "may not write it" in result.err and len(result.err.strip().splitlines()) == 1
    assert run(store_url, "check", "--rules", str(rules)).code == 5


def test_an_empty_role_name_is_refused_not_taken_for_the_default(
    store_url: str, urls: dict[str, str], run: Run
) -> None:
    result = run(store_url, "access", "grant-tenant", "acme", "--role", "")
    assert result.code == 2 and "'' is not a role name llmlog makes" in result.err
    listed = json.loads(run(store_url, "access", "list", "-f", "json").out)
    assert "llmlog_t_acme" not in {row["role"] for row in listed}
