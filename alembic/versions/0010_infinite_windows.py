"""A window from -infinity with no rolled-up days: llmlog_rolled_days returns at once

0005's ``llmlog_rolled_days`` starts its series of days at the later of the window's
first day and the first rolled-up day. With no rolled-up day at all that was the
window's first day itself, and from ``-infinity`` the series never ends (``-infinity +
1 day`` is ``-infinity``): a query over ``llmlog_usage('-infinity', …)`` ran into the
statement timeout. With no rolled-up day the series now starts at ``infinity``: empty.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _rolled_days(first_rolled: str) -> str:
    return (
        "CREATE OR REPLACE FUNCTION llmlog_rolled_days(since timestamptz, until timestamptz, "
        "need_rows boolean) RETURNS date[] LANGUAGE sql STABLE PARALLEL SAFE RETURN ("
        "SELECT coalesce(array_agg(d::date), '{}'::date[]) FROM generate_series("
        f"greatest((since AT TIME ZONE 'UTC')::date, {first_rolled}), "
        "least((until AT TIME ZONE 'UTC')::date, "
        "coalesce((SELECT max(day) FROM llm_calls_daily), '-infinity'::date)), "
        "interval '1 day') AS d "
        "WHERE EXISTS (SELECT 1 FROM llm_calls_daily WHERE day = d::date) "
        "AND NOT EXISTS (SELECT 1 FROM llm_calls_days s WHERE s.day = d::date "
        "AND s.dropped_at IS NULL "
        "AND (need_rows OR s.rolled_changes IS DISTINCT FROM s.changes "
        "OR (d::date::timestamp AT TIME ZONE 'UTC') < since "
        "OR ((d::date + 1)::timestamp AT TIME ZONE 'UTC') > until)))"
    )


def upgrade() -> None:
    op.execute(_rolled_days("coalesce((SELECT min(day) FROM llm_calls_daily), 'infinity'::date)"))


def downgrade() -> None:
    op.execute(_rolled_days("(SELECT min(day) FROM llm_calls_daily)"))
