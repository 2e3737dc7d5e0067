"""Alembic, configured in code: upgrade, downgrade, offline SQL and the head revision."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from llmlog.resources import bundled

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(url: str | None = None, *, output: io.StringIO | None = None) -> Config:
    from alembic.config import Config

    cfg = Config(output_buffer=output) if output is not None else Config()
    cfg.set_main_option("script_location", str(bundled("alembic")))
    if url is not None:
        cfg.attributes["url"] = url
    return cfg


def head() -> str:
    """The newest revision among the migration scripts."""
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert found is not None
    return found


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def upgrade_sql(start: str | None, revision: str = "head") -> str:
    """The DDL that would take a store from ``start`` (None: empty) to ``revision``."""
    from alembic import command

    buffer = io.StringIO()
    span = f"{start}:{revision}" if start else revision
    command.upgrade(alembic_config(output=buffer), span, sql=True)
    return buffer.getvalue()
