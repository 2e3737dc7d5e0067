"""UI fixtures: the reports' hand-built calls in the test's store, and the app over it
(through Starlette's TestClient, a real HTTP exchange in process)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from llmlog.ui.app import create_app
from llmlog.ui.guard import Access
from llmlog.ui.store import Store
from tests.reports.conftest import calls

__all__ = ["calls"]
LOCAL = "http://127.0.0.1:8177"


def client_for(url: str, access: Access, base: str = LOCAL) -> TestClient:
    store = Store(lambda: url)
    return TestClient(create_app(store, access), base_url=base, follow_redirects=False)


@pytest.fixture
def ui(store_url: str) -> Iterator[TestClient]:
    """The UI over the test's store, on loopback without a token."""
    with client_for(store_url, Access(token=None)) as client:
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page carries no CSRF field"
    return found.group(1)
