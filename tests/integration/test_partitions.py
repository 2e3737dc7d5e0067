"""Daily partitions: one per day, found again by its name whatever the year."""

from __future__ import annotations

from datetime import date

import psycopg

from llmlog.store import partitions


def test_a_day_of_year_1_gets_its_partition_once(store: psycopg.Connection) -> None:
    day = date(1, 1, 1)
    assert partitions.name_for(day) == "llm_calls_p00010101"  # (not llm_calls_p10101)
    assert partitions.ensure_days(store, [day]) == [day]
    assert day in partitions.existing_days(store)
    assert partitions.ensure_days(store, [day]) == []
