"""A store loaded once with demo traffic, shared by the tests that only read it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest

from llmlog.demo import load
from tests.conftest import TEMPLATE, fresh_database

CALLS = 4000
DAYS = 14
SEED = 7


@pytest.fixture(scope="module")
def demo_end() -> datetime:
    """A fixed end (a Wednesday afternoon), so the data and these tests never vary."""
    return datetime(2026, 11, 18, 15, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_db(
    pg_admin_url: str,
    template_url: str,
    demo_end: datetime,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A store at schema head holding CALLS demo calls (seed SEED) ending at ``demo_end``."""
    with fresh_database(pg_admin_url, TEMPLATE) as url:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("LLMLOG_HOME", str(tmp_path_factory.mktemp("demo-home")))  # no prices.toml
            load.load(url, calls=CALLS, days=DAYS, seed=SEED, end=demo_end)
        yield url


@pytest.fixture
def demo(demo_db: str) -> Iterator[psycopg.Connection]:
    """A connection to the shared demo store (read it, do not change it)."""
    with psycopg.connect(demo_db, autocommit=True) as conn:
        yield conn
