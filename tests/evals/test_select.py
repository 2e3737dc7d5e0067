"""Which calls sample-evals chooses, against a fixture where the right choice is known."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from llmlog.errors import UsageError
from llmlog.evals.select import Options, select
from llmlog.reports.filters import Filters
from llmlog.reports.run import tune_session
from llmlog.store.records import Record
from tests.evals.conftest import names
from tests.reports.conftest import NOW

EVERYTHING = Filters()

NOISY = {f"noisy{n}": ["error"] for n in range(1, 6)}
PROBLEMS = {
    "thumbs_down": ["thumbs_down"],
    "slow": ["slow"],
    "expensive": ["expensive"],
    "refused": ["refusal"],
    "phrase": ["refusal"],
    "error": ["error"],
    "slow_error": ["slow", "error"],
    **NOISY,
}
DUPLICATES = {"dup_first", "dup_second"}  # one is kept, which one depends on the draw


@pytest.fixture
def session(evals: dict[str, Record], store: psycopg.Connection) -> psycopg.Connection:
    tune_session(store)
    return store


def chosen(
    conn: psycopg.Connection,
    calls: dict[str, Record],
    filters: Filters = EVERYTHING,
    **options: Any,
) -> dict[str, list[str]]:
    return names(calls, select(conn, filters, Options(**options)).calls)


def test_every_reason_finds_its_calls_and_each_call_carries_all_it_matched(
    session: psycopg.Connection, evals: dict[str, Record]
) -> None:
    found = chosen(session, evals)
    kept = DUPLICATES & set(found)
    assert len(kept) == 1 and found.pop(kept.pop()) == ["thumbs_down"]
    assert found == PROBLEMS


def test_a_refusal_phrase_counts_only_near_the_start_of_the_output(
    session: psycopg.Connection, evals: dict[str, Record]
) -> None:
    found = chosen(session, evals, why=("refusal",))
    assert found == {"refused": ["refusal"], "phrase": ["refusal"]}  # not late_phrase


def test_refusal_phrases_are_configurable(
    session: psycopg.Connection, evals: dict[str, Record]
) -> None:
    found = chosen(session, evals, why=("refusal",), refusal_phrases=("here is the long",))
    assert found == {"refused": ["refusal"], "late_phrase": ["refusal"]}
    assert chosen(session, evals, why=("refusal",), refusal_phrases=()) == {"refused": ["refusal"]}


def test_thresholds_decide_slow_and_expensive(
    session: psycopg.Connection, evals: dict[str, Record]
) -> None:
    assert set(chosen(session, evals, why=("slow",), slow_ms=6500)) == {"slow_error"}
    assert set(chosen(session, evals, why=("slow",), slow_ms=6000)) == {"slow", "slow_error"}
    cheap = chosen(session, evals, why=("expensive",), expensive_usd=Decimal("0.001"))
    assert len(cheap) == len(evals) - 1 - 1  # all but the old call and one duplicate
    assert chosen(session, evals, why=("expensive",), expensive_usd=Decimal("0.6")) == {}


def test_the_window_leaves_older_calls_out(
    session: psycopg.Connection, evals: dict[str, Record]
) -> None:
    assert "old" not in chosen(session, evals, why=("thumbs_down",))
    month = Filters(since=NOW - timedelta(days=30))
    assert "old" in chosen(session, evals, month, why=("thumbs_down",))


def test_report_filters_narrow_the_candidates(
    session: psycopg.Connection, evals: dict[str, Record]
) -> None:
    assert chosen(session, evals, Filters(feature="summarize")) == {"expensive": ["expensive"]}
    assert set(chosen(session, evals, Filters(status="error"))) == {"error", "slow_error", *NOISY}
    assert chosen(session, evals, Filters(grep="password"), why=("refusal",)) == {
        "phrase": ["refusal"]
    }


@pytest.mark.parametrize(
    "name",
    ["feature", "model", "provider", "tenant_id", "user_id", "trace_id", "prompt_version",
     "status", "grep"],
)  # fmt: skip
def test_every_report_filter_is_applied(
    session: psycopg.Connection, evals: dict[str, Record], name: str
) -> None:
    assert chosen(session, evals, replace(Filters(), **{name: "zzyzxq"})) == {}


def test_near_duplicates_collapse_to_the_first_taken(
    session: psycopg.Connection, evals: dict[str, Record]
) -> None:
    result = select(session, Filters(), Options(why=("thumbs_down",)))
    found = set(names(evals, result.calls))
    assert "thumbs_down" in found and len(found & DUPLICATES) == 1 and len(found) == 2
    assert result.duplicates == 1


def test_per_feature_caps_a_noisy_feature(
    session: psycopg.Connection, evals: dict[str, Record]
) -> None:
    found = chosen(session, evals, why=("error",), per_feature=2)
    assert sum(name.startswith("noisy") for name in found) == 2
    assert {"error", "slow_error"} <= set(found)


def test_features_take_turns_so_one_cannot_fill_the_set(
    session: psycopg.Connection, evals: dict[str, Record]
) -> None:
    found = chosen(session, evals, why=("error",), limit=2)
    assert sum(name.startswith("noisy") for name in found) == 1


def test_reasons_take_turns_within_the_limit(
    session: psycopg.Connection, evals: dict[str, Record]
) -> None:
    found = chosen(session, evals, limit=5)
    assert {reason for reasons in found.values() for reason in reasons} == {
        "thumbs_down", "slow", "expensive", "refusal", "error",
    }  # fmt: skip


def test_random_adds_a_baseline_slice_and_the_seed_fixes_it(
    session: psycopg.Connection, evals: dict[str, Record]
) -> None:
    first = chosen(session, evals, why=("random",), limit=4, seed=7)
    assert len(first) == 4 and all(reasons[-1] == "random" for reasons in first.values())
    assert chosen(session, evals, why=("random",), limit=4, seed=7) == first
    others = [chosen(session, evals, why=("random",), limit=4, seed=s) for s in range(1, 6)]
    assert any(set(other) != set(first) for other in others)


@pytest.mark.parametrize(
    "options",
    [{"why": ("often",)}, {"why": ()}, {"limit": 0}, {"per_feature": 0}, {"slow_ms": -1}],
)
def test_bad_options_are_usage_errors(session: psycopg.Connection, options: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        select(session, Filters(), Options(**options))


def test_only_the_calls_considered_are_read_in_full(
    session: psycopg.Connection, evals: dict[str, Record]
) -> None:
    result = select(session, Filters(), Options(why=("random",), limit=1, seed=3))
    assert len(result.calls) == 1 and result.candidates == 20  # RANDOM_DEPTH per call asked
    assert result.read <= 10
