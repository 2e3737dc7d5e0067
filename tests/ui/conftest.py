"""UI fixtures: the reports' hand-built calls in the test's store, and the app over it."""

from __future__ import annotations

from tests.reports.conftest import calls

__all__ = ["calls"]
