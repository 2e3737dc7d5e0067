"""Creating, migrating and describing a store: the logic behind init, migrate and status."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from llmlog import config, private
from llmlog.store import connect as db
from llmlog.store import embedded, migrations, partitions
from llmlog.store.revision import HEAD


def init(cli_db: str | None = None) -> dict[str, Any]:
    """Create the store if needed (embedded server, database) and migrate it to head."""
    url = db.resolve_url(cli_db)
    created = db.ensure_database(url)
    return {"created_database": created, **_to_head(url, "init")}


def migrate(cli_db: str | None = None) -> dict[str, Any]:
    """Migrate an existing store to head (refuses a store whose database is missing)."""
    return _to_head(db.resolve_url(cli_db), "migrate")


def _to_head(url: str, command: str) -> dict[str, Any]:
    """Upgrade to head when behind, then make sure the days ahead have partitions."""
    from llmlog.store import access

    with db.connect(url) as conn:
        before = db.schema_revision(conn)
        access.require_owner(conn, command)
    if before != HEAD:
        migrations.upgrade(url)
    with db.connect(url) as conn:
        made = partitions.ensure_ahead(conn)
    return {
        "database_url": db.mask(url),
        "from_revision": before,
        "schema_revision": HEAD,
        "partitions_created": len(made),
    }


def current_revision(cli_db: str | None = None) -> tuple[str, str | None]:
    url = db.resolve_url(cli_db)
    with db.connect(url) as conn:
        return url, db.schema_revision(conn)


def status(cli_db: str | None = None) -> dict[str, Any]:
    """Where the store is and what it holds (works on a store whose schema is behind)."""
    url = db.resolve_url(cli_db)
    with db.connect(url) as conn:
        revision = db.schema_revision(conn)
        info: dict[str, Any] = {
            "database_url": db.mask(url),
            "embedded_data_dir": str(embedded.data_dir())
            if config.database_url(cli_db) == config.EMBEDDED
            else None,
            "server_version": conn.execute("SHOW server_version").fetchone()[0],  # type: ignore[index]
            "schema_revision": revision,
            "head_revision": HEAD,
            "schema_current": revision == HEAD,
        }
        if revision is not None:
            info.update(_contents(conn))
    info.update(_spool())
    exposed = private.exposed(config.home())
    if info["embedded_data_dir"] and os.geteuid() == 0:
        # As root, the embedded server runs as its own unprivileged user, which must reach
        # its data directory through $LLMLOG_HOME: others' read and traverse are its doing
        # and needed (chmod 700 would lock the server out); what is inside stays private.
        exposed = [what for what in exposed if what.endswith("write")]
    info["home_exposed_to"] = ", ".join(exposed) or None
    return info


def _spool() -> dict[str, Any]:
    """Calls waiting in the local spool, and the counters of processes capturing now."""
    from llmlog import settings, spool
    from llmlog.errors import ConfigError

    try:
        directory, invalid = settings.current().spool_path(), None
    except ConfigError as exc:  # (capture is off in a process with this environment)
        raw = os.environ.get("LLMLOG_SPOOL_DIR")
        directory = settings.Settings(spool_dir=Path(raw) if raw else None).spool_path()
        invalid = exc.message
    return {
        **spool.pending(directory),
        **spool.capture_stats(directory),
        "capture_config_error": invalid,
    }


def _contents(conn: Any) -> dict[str, Any]:
    hot = conn.execute("SELECT count(*), min(ts), max(ts) FROM llm_calls").fetchone()
    cold = conn.execute(  # the days left only as rollups (a rolled day's rows may remain)
        "SELECT coalesce(sum(calls), 0), count(DISTINCT day), min(day), max(day) "
        "FROM llm_calls_daily d WHERE NOT EXISTS (SELECT 1 FROM llm_calls_days s "
        "WHERE s.day = d.day AND s.dropped_at IS NULL)"
    ).fetchone()
    size = conn.execute(
        "SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) "
        "+ pg_total_relation_size('llm_calls_daily') "
        "FROM pg_inherits WHERE inhparent = 'llm_calls'::regclass"
    ).fetchone()[0]
    days = sorted(partitions.existing_days(conn))
    oldest = hot[1]
    if cold[2] is not None and (oldest is None or cold[2] < oldest.date()):
        oldest = cold[2]  # a rolled-up day is older than any hot row
    return {
        "calls": int(hot[0]) + int(cold[0]),
        "hot_calls": int(hot[0]),
        "rolled_up_calls": int(cold[0]),
        "rolled_up_days": int(cold[1]),
        "oldest": oldest,
        "newest": hot[2],
        "size_bytes": int(size),
        "partitions": len(days),
        "partition_first_day": days[0] if days else None,
        "partition_last_day": days[-1] if days else None,
    }
