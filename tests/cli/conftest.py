"""The CLI tests run ``llmlog`` in-process against hand-built calls (tests/reports)."""

from __future__ import annotations

import pytest

from llmlog.cli import output
from tests.reports.conftest import llmlog  # noqa: F401  (the in-process runner fixture)


@pytest.fixture
def columns(monkeypatch: pytest.MonkeyPatch) -> object:
    """``columns(n)``: tables and panels drawn ``n`` characters wide, as on such a terminal."""

    def set_width(width: int) -> None:
        monkeypatch.setattr(output.out, "width", width)

    return set_width
