"""Opening the store for the demo: a store without llmlog's schema is initialised first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmlog.store import connect as db

if TYPE_CHECKING:
    import psycopg


def open_store(cli_db: str | None = None) -> tuple[str, psycopg.Connection]:
    """Like ``connect.open_store``, but runs ``llmlog init`` on a store with no schema yet.

    A store whose schema is behind is still refused: migrating is the user's decision.
    """
    url = db.resolve_url(cli_db)
    fresh = db.ensure_database(url)
    if not fresh:
        with db.connect(url) as conn:
            fresh = db.schema_revision(conn) is None
    if fresh:
        from llmlog.store import admin

        admin.init(cli_db)
    return db.open_store(cli_db)
