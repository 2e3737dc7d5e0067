"""Writing an export file whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from llmlog.errors import UsageError


def write_whole(path: Path, text: str) -> None:
    """``text`` into ``path`` by way of a temporary file beside it: a failure leaves no
    partial file (and an existing one as it was)."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {exc.strerror}", hint="check the path and its permissions"
        ) from None
