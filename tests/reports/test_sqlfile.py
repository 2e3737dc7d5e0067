"""Query files: header parsing, typed parameters, time windows, the search pre-filter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from llmlog.errors import NotFoundError, UsageError
from llmlog.reports import params, sqlfile
from llmlog.reports.filters import like_prefilter
from llmlog.reports.window import parse_time

TEXT = """-- name: spend
-- description: Spend per day
-- description: (second line).
-- param since: timestamptz = 7d
-- param limit: int = 10
-- param who: text = null
-- param by: text[] = feature,model
-- param day: date
SELECT 1
"""


def test_header_gives_name_description_and_typed_params() -> None:
    query = sqlfile.parse(TEXT, Path("spend.sql"))
    assert query.name == "spend"
    assert query.description == "Spend per day (second line)."
    assert [(p.name, p.type, p.default, p.required) for p in query.params] == [
        ("since", "timestamptz", "7d", False),
        ("limit", "int", "10", False),
        ("who", "text", "null", False),
        ("by", "text[]", "feature,model", False),
        ("day", "date", None, True),
    ]


def test_default_window_counts_back_from_a_past_until() -> None:
    query = sqlfile.parse(
        TEXT.replace("-- param day: date\n", "-- param until: timestamptz = infinity\n"),
        Path("x.sql"),
    )
    values = params.bind(query, {"until": "2026-03-31"})
    assert values["since"] == datetime(2026, 3, 24, tzinfo=UTC)
    assert params.bind(query, {"until": "2026-03-31", "since": "2026-03-01"})["since"] == datetime(
        2026, 3, 1, tzinfo=UTC
    )


def test_bind_converts_text_and_fills_defaults() -> None:
    query = sqlfile.parse(TEXT, Path("spend.sql"))
    values = params.bind(query, {"day": "2026-11-01", "limit": "3"})
    assert values["day"] == date(2026, 11, 1)
    assert values["limit"] == 3
    assert values["who"] is None
    assert values["by"] == ["feature", "model"]
    assert abs(datetime.now(UTC) - timedelta(days=7) - values["since"]) < timedelta(seconds=5)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({}, "needs parameter day"),
        ({"day": "2026-11-01", "limit": "many"}, "not a valid int"),
        ({"day": "2026-11-01", "since": "last tuesday"}, "not a time"),
        ({"day": "2026-11-01", "colour": "red"}, "has no parameter 'colour'"),
    ],
)
def test_bind_refuses_missing_ill_typed_and_unknown(given: dict[str, str], message: str) -> None:
    query = sqlfile.parse(TEXT, Path("spend.sql"))
    with pytest.raises(UsageError, match=message):
        params.bind(query, given)


def test_header_without_name_or_with_bad_param_is_refused() -> None:
    with pytest.raises(UsageError, match="no `-- name:`"):
        sqlfile.parse("SELECT 1", Path("x.sql"))
    with pytest.raises(UsageError, match="bad parameter declaration"):
        sqlfile.parse("-- name: x\n-- param n: integer = 1\nSELECT 1", Path("x.sql"))


def test_every_bundled_query_parses_and_has_a_description() -> None:
    queries = sqlfile.available()
    assert {"tail", "errors", "cost_by_feature", "latency", "drift", "trace"} <= set(queries)
    assert all(q.description for q in queries.values())


def test_user_directory_adds_queries_and_wins_on_a_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mine.sql").write_text("-- name: mine\n-- description: Mine.\nSELECT 1 AS one")
    (tmp_path / "tail.sql").write_text("-- name: tail\n-- description: My tail.\nSELECT 2")
    monkeypatch.setenv("LLMLOG_QUERIES_DIR", str(tmp_path))
    queries = sqlfile.available()
    assert queries["mine"].description == "Mine."
    assert queries["tail"].description == "My tail."
    assert sqlfile.bundled("tail").description != "My tail."
    with pytest.raises(NotFoundError):
        sqlfile.load("nope")


def test_parse_time_forms() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert parse_time("15m", now) == now - timedelta(minutes=15)
    assert parse_time("24h", now) == now - timedelta(hours=24)
    assert parse_time("7d", now) == now - timedelta(days=7)
    assert parse_time("2w", now) == now - timedelta(weeks=2)
    assert parse_time("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_time("2026-11-01T09:30+01:00", now).utcoffset() == timedelta(hours=1)
    with pytest.raises(UsageError):
        parse_time("yesterday-ish", now)


def test_like_prefilter_takes_a_required_word() -> None:
    assert like_prefilter("capital france") == "%capital%"
    assert like_prefilter('"new york" -boston') == "%york%"
    assert like_prefilter("paris or rome") is None
    assert like_prefilter("-only") is None
    assert like_prefilter(None) is None
