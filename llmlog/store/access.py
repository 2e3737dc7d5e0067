"""Who may do what in the store: PostgreSQL roles, grants and tenant logins.

Two group roles hold the grants: ``llmlog_read`` (SELECT on the store's tables) and
``llmlog_write`` (INSERT calls, set feedback, mark days changed). ``setup`` makes one login
in each, ``llmlog_reader`` and ``llmlog_writer``. ``grant_tenant`` makes a login in
``llmlog_read`` (and ``llmlog_write``) and in ``llmlog_tenants``, whose restrictive
row-level security policies (made by ``setup``, on migrations 0006's and 0008's tables;
run it again after migrating) hold it to the tenant ``llm_access_tenants`` maps it to in
this database: one it does not map (made for another database) sees nothing. Only the
tables' owner migrates and runs retention (``require_owner``).
Partitions are never granted: every role but the owner reads calls through ``llm_calls``,
where the policies are.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import TYPE_CHECKING, Any

from llmlog.errors import NotFoundError, RoleError, UsageError
from llmlog.store.connect import mask

if TYPE_CHECKING:
    import psycopg

READ, WRITE, TENANTS = "llmlog_read", "llmlog_write", "llmlog_tenants"
READER, WRITER = "llmlog_reader", "llmlog_writer"
# The policies of llmlog_tenants' members, per table. MAPPED (the logins this database
# maps to a tenant, as constants: evaluated once per query, not per row, and with no
# function call) makes a login made for another database see nothing here.
MAPPED = "current_user::text = ANY ({roles}::text[])"
_TENANT_ROWS = {
    "llm_calls": MAPPED,
    "llm_calls_daily": MAPPED,
    # its calls' ids, as llm_calls' policies let the login see them
    "llm_eval_exported": "EXISTS (SELECT 1 FROM llm_calls c "
    "WHERE c.id = call_id AND c.ts = call_ts)",
    "llm_eval_exports": "false",  # every export's filters: no tenant's own
    "llm_erasures": "false",  # who was erased: no tenant's own
    # the scores of its calls, as for llm_eval_exported (migration 0008)
    "llm_scores": "EXISTS (SELECT 1 FROM llm_calls c WHERE c.id = call_id AND c.ts = call_ts)",
    "llm_check_state": "false",  # alert scopes name other tenants: no tenant's own
}
# ...and each login's own policy, named after it, with its tenant as a constant: the
# planner estimates it like a --tenant filter (a parameter made it sort, not hash, 1.4x).
_OWN_ROWS = ("llm_calls", "llm_calls_daily")
_READ_GRANTS = (
    "GRANT SELECT ON alembic_version, llm_calls, llm_calls_daily, llm_calls_days, "
    "llm_eval_exports, llm_eval_exported, llm_erasures, llm_scores, llm_check_state "
    "TO llmlog_read"
)
_WRITE_GRANTS = (
    "GRANT SELECT ON alembic_version TO llmlog_write",
    "GRANT INSERT, SELECT (id, ts), UPDATE (feedback, feedback_note) ON llm_calls TO llmlog_write",
    "GRANT SELECT, INSERT, UPDATE ON llm_calls_days TO llmlog_write",
)
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def setup(
    conn: psycopg.Connection, url: str, passwords: dict[str, str | None]
) -> list[dict[str, Any]]:
    """Create (or bring up to date) the group roles, their grants and the reader and writer
    logins. A login is given ``passwords[name]`` or, when new, a generated one; its URL
    shows the password only then (``***`` otherwise). Safe to run again."""
    from psycopg import sql

    require_owner(conn, "access setup")
    rows = [{"role": _current_user(conn), "can": "owner", "url": mask(url), "created": False}]
    with conn.transaction():
        for group in (READ, WRITE, TENANTS):
            if not _exists(conn, group):
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(group)))
        _group_policies(conn)
        conn.execute("GRANT USAGE ON SCHEMA public TO llmlog_read, llmlog_write")
        conn.execute(_READ_GRANTS)
        for grant in _WRITE_GRANTS:
            conn.execute(grant)
        for login, group, can in ((WRITER, WRITE, "write"), (READER, READ, "read")):
            password, created = _login(conn, login, group, passwords.get(login))
            rows.append(
                {"role": login, "can": can, "url": _url_as(url, login, password),
                 "created": created}
            )  # fmt: skip
    return rows


def grant_tenant(
    conn: psycopg.Connection,
    url: str,
    tenant: str,
    *,
    role: str | None = None,
    write: bool = False,
    password: str | None = None,
) -> dict[str, Any]:
    """A login that sees (and, with ``write``, writes) only ``tenant``'s rows."""
    from psycopg import sql

    if not tenant or "\x00" in tenant:
        raise UsageError(
            "a tenant id is non-empty text without NUL characters",
            hint="give the tenant_id as the calls store it",
        )
    role = tenant_role_name(tenant) if role is None else role
    if not _ROLE_NAME.fullmatch(role):
        raise UsageError(
            f"{role!r} is not a role name llmlog makes",
            hint="use lower-case letters, digits and _ (at most 63, not starting with a digit)",
        )
    require_owner(conn, "access grant-tenant")
    if not _is_set_up(conn):
        raise RoleError("the store has no llmlog roles yet", hint="run `llmlog access setup`")
    with conn.transaction():
        if _exists(conn, role) and not _managed(conn, role):
            raise UsageError(
                f"role {role!r} exists and is not one llmlog made",
                hint="choose another name with --role",
            )
        secret, _ = _login(conn, role, READ, password)
        conn.execute(sql.SQL("GRANT llmlog_tenants TO {}").format(sql.Identifier(role)))
        if write:
            conn.execute(sql.SQL("GRANT llmlog_write TO {}").format(sql.Identifier(role)))
        conn.execute(
            "INSERT INTO llm_access_tenants (role, tenant_id) VALUES (%s, %s) "
            "ON CONFLICT (role) DO UPDATE SET tenant_id = excluded.tenant_id",
            (role, tenant),
        )
        _group_policies(conn)
        _drop_own_policies(conn, role)
        for table in _OWN_ROWS:
            conn.execute(
                sql.SQL(
                    "CREATE POLICY {name} ON {table} AS RESTRICTIVE TO {name} "
                    "USING (tenant_id = {t}) WITH CHECK (tenant_id = {t})"
                ).format(name=sql.Identifier(role), table=sql.Identifier(table), t=tenant)
            )
    return {"role": role, "tenant": tenant, "url": _url_as(url, role, secret)}


def list_roles(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """The logins llmlog made, what each may do, and the tenant it is held to."""
    rows = conn.execute(
        "SELECT r.rolname, "
        "concat_ws('+', CASE WHEN pg_has_role(r.oid, 'llmlog_read', 'MEMBER') THEN 'read' END, "
        "CASE WHEN pg_has_role(r.oid, 'llmlog_write', 'MEMBER') THEN 'write' END), "
        "t.tenant_id, r.rolcanlogin "
        "FROM pg_roles r LEFT JOIN llm_access_tenants t ON t.role = r.rolname "
        "WHERE r.rolname NOT IN ('llmlog_read', 'llmlog_write', 'llmlog_tenants') "
        "AND EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname IN ('llmlog_read', 'llmlog_write') "
        "AND pg_has_role(r.oid, g.oid, 'MEMBER')) ORDER BY r.rolname"
    ).fetchall()
    return [{"role": r, "can": can, "tenant": t, "login": login} for r, can, t, login in rows]


def revoke(conn: psycopg.Connection, role: str) -> None:
    """Drop a login llmlog made (its tenant mapping goes with it)."""
    from psycopg import sql

    require_owner(conn, "access revoke")
    if not any(row["role"] == role for row in list_roles(conn)):
        raise NotFoundError(
            f"no llmlog role named {role!r}", hint="`llmlog access list` shows them"
        )
    with conn.transaction():
        conn.execute("DELETE FROM llm_access_tenants WHERE role = %s", (role,))
        _group_policies(conn)
        _drop_own_policies(conn, role)
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def _group_policies(conn: psycopg.Connection) -> None:
    """(Re)make the policies of llmlog_tenants' members, with the logins mapped now."""
    from psycopg import sql

    mapped = [r for (r,) in conn.execute("SELECT role FROM llm_access_tenants ORDER BY role")]
    for table, seen in _TENANT_ROWS.items():
        rows = sql.SQL(seen).format(roles=sql.Literal(mapped)) if seen == MAPPED else sql.SQL(seen)
        conn.execute(
            sql.SQL("DROP POLICY IF EXISTS llmlog_tenant ON {}").format(sql.Identifier(table))
        )
        conn.execute(
            sql.SQL(
                "CREATE POLICY llmlog_tenant ON {} AS RESTRICTIVE TO llmlog_tenants "
                "USING ({rows}) WITH CHECK ({rows})"
            ).format(sql.Identifier(table), rows=rows)
        )


def _drop_own_policies(conn: psycopg.Connection, role: str) -> None:
    from psycopg import sql

    for table in _OWN_ROWS:
        conn.execute(
            sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(
                sql.Identifier(role), sql.Identifier(table)
            )
        )


def require_owner(conn: psycopg.Connection, command: str) -> None:
    """Refuse, naming the role needed, when the session is not the store's owner (or a
    superuser). A database without llmlog's tables has no owner to check."""
    row = conn.execute(
        "SELECT u.rolsuper OR pg_has_role(current_user, c.relowner, 'USAGE'), "
        "pg_get_userbyid(c.relowner), current_user "
        "FROM pg_class c, pg_roles u WHERE c.oid = to_regclass('llm_calls') "
        "AND u.rolname = current_user"
    ).fetchone()
    if row and not row[0]:
        raise RoleError(
            f"`{command}` needs the store's owner role {row[1]!r}; connected as {row[2]!r}",
            hint="run it with the owner's URL (--db)",
        )


def tenant_role_name(tenant: str) -> str:
    """``llmlog_t_<tenant>``, with a hash of the tenant when it is not a plain name."""
    slug = re.sub(r"[^a-z0-9_]+", "_", tenant.lower())[:40]
    if slug != tenant:
        slug += "_" + hashlib.sha256(tenant.encode()).hexdigest()[:8]
    return f"llmlog_t_{slug}"


def _login(
    conn: psycopg.Connection, role: str, group: str, password: str | None
) -> tuple[str | None, bool]:
    """Create ``role`` as a login in ``group`` (or set its password when given); the
    password to show (None: unchanged, not shown) and whether it was created."""
    from psycopg import sql

    name = sql.Identifier(role)
    created = not _exists(conn, role)
    if created:
        password = password or secrets.token_urlsafe(24)
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(name, password))
    elif password:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(name, password))
    conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), name))
    return password, created


def _exists(conn: psycopg.Connection, role: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None


def _is_set_up(conn: psycopg.Connection) -> bool:
    """Whether ``setup`` ran on this database (roles are the cluster's, grants the database's)."""
    row = conn.execute(
        "SELECT CASE WHEN to_regrole('llmlog_read') IS NULL THEN false "
        "ELSE has_table_privilege('llmlog_read', 'llm_calls', 'SELECT') END "
        "AND EXISTS (SELECT 1 FROM pg_policy WHERE polname = 'llmlog_tenant' "
        "AND polrelid = 'llm_calls'::regclass)"
    ).fetchone()
    return bool(row and row[0])


def _managed(conn: psycopg.Connection, role: str) -> bool:
    return any(row["role"] == role for row in list_roles(conn))


def _current_user(conn: psycopg.Connection) -> str:
    return str(conn.execute("SELECT current_user").fetchone()[0])  # type: ignore[index]


def _url_as(url: str, role: str, password: str | None) -> str:
    """``url`` logging in as ``role`` (``***`` for a password not shown)."""
    from urllib.parse import quote

    scheme, _, rest = url.partition("://")
    authority, slash, tail = rest.partition("/")
    host = authority.rpartition("@")[2]
    userinfo = quote(role, safe="") + ":" + (quote(password, safe="") if password else "***")
    return f"{scheme}://{userinfo}@{host}{slash}{tail}"
