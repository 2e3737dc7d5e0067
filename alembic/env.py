"""Alembic environment: one connection, bounded waits, one migrator at a time."""

from __future__ import annotations

import re

from alembic import context
from sqlalchemy import create_engine, pool, text

from llmlog.store.schema import metadata

config = context.config
PARTITION = re.compile(r"^llm_calls_(p\d{8}|default)$")
# An arbitrary constant: the advisory lock that serialises concurrent `llmlog migrate`s.
MIGRATION_LOCK = 7_460_001


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate compares the declared tables only, not the partitions made at run time."""
    if type_ == "table" and name is not None:
        return not PARTITION.match(name)
    return True


def url() -> str:
    given = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    if not given:
        raise SystemExit("no database URL: pass -x url=postgresql://...")
    return "postgresql+psycopg://" + given.split("://", 1)[1]


def run_offline() -> None:
    context.configure(
        url="postgresql+psycopg://",
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = create_engine(url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.execute(text("SET lock_timeout = '30s'"))
        connection.execute(text("SET statement_timeout = '15min'"))
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        connection.commit()
        try:
            context.configure(
                connection=connection, target_metadata=metadata, include_name=include_name
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
