"""Where the bundled ``queries/`` and ``alembic/`` directories are.

In an installed wheel they live inside the package (``llmlog/_bundled/``); in a source
checkout they are the top-level directories beside ``llmlog/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(name: str) -> Path:
    """The bundled directory ``name`` (``queries`` or ``alembic``)."""
    installed = _PACKAGE / "_bundled" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name
