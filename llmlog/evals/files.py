"""Writing an export file whole or not at all."""

from __future__ import annotations

from pathlib import Path

from llmlog.errors import UsageError
from llmlog.private import private_write


def write_whole(path: Path, text: str) -> None:
    """``text`` into ``path`` by way of a temporary file beside it: a failure leaves no
    partial file (and an existing one as it was)."""
    try:
        private_write(path, text.encode())
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {exc.strerror}", hint="check the path and its permissions"
        ) from None
