"""Retention: per-day state (rolled, stripped, dropped), change marks, and rollup reading

``llm_calls_days`` holds one row per day retention has seen. Every write to a closed day
(a late spool ingest, feedback, recost) bumps ``changes`` through ``llmlog_days_changed``;
a day is rolled again when ``changes`` moved past ``rolled_changes``.

``llmlog_rolled_days(since, until, need_rows)`` replaces 0002's two-argument function: the
days a report reads from ``llm_calls_daily``. A day's rollup serves when its rows are gone,
or when the report needs no rows (``need_rows`` false: no user, trace, status or text
filter, no exact percentile), the rollup is current and the window holds the whole day.
A rollup with no state row (made by hand) serves always.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TZ = postgresql.TIMESTAMP(timezone=True)

ROLLED_DAYS_0002 = (
    "CREATE FUNCTION llmlog_rolled_days(since timestamptz, until timestamptz) "
    "RETURNS date[] LANGUAGE sql STABLE PARALLEL SAFE RETURN ("
    "SELECT coalesce(array_agg(d::date), '{}'::date[]) FROM generate_series("
    "greatest((since AT TIME ZONE 'UTC')::date, (SELECT min(day) FROM llm_calls_daily)), "
    "least((until AT TIME ZONE 'UTC')::date, "
    "coalesce((SELECT max(day) FROM llm_calls_daily), '-infinity'::date)), "
    "interval '1 day') AS d "
    "WHERE EXISTS (SELECT 1 FROM llm_calls_daily WHERE day = d::date))"
)

KEY = "tenant_id, feature, provider, model, prompt_version"


def _buckets(column: str) -> str:
    """The 60-bucket histogram of bucket numbers ``column`` (NULL: in no bucket)."""
    counts = ", ".join(f"count(*) FILTER (WHERE {column} = {k})" for k in range(1, 61))
    return f"ARRAY[{counts}]::integer[]"


# Replaces a day's rollup with one computed from its rows, in the caller's transaction.
# The day's state row is locked first: a write to the day that commits meanwhile bumps
# `changes` after this, so the day is rolled again (each statement sees what committed
# before it). NULL latencies are counted as calls and put in no bucket; a group none of
# whose calls had a price has no cost.
ROLL_DAY = (
    "CREATE FUNCTION llmlog_roll_day(target date) RETURNS bigint LANGUAGE plpgsql AS $$ "
    "DECLARE seen bigint; groups bigint; "
    "BEGIN "
    "INSERT INTO llm_calls_days (day) VALUES (target) ON CONFLICT DO NOTHING; "
    "SELECT s.changes INTO seen FROM llm_calls_days s WHERE s.day = target FOR UPDATE; "
    "DELETE FROM llm_calls_daily d WHERE d.day = target; "
    "INSERT INTO llm_calls_daily (day, tenant_id, feature, provider, model, prompt_version, "
    "calls, errors, refusals, input_tokens, output_tokens, cache_read_tokens, "
    "cache_write_tokens, reasoning_tokens, cost_usd, latency_ms_sum, latency_ms_max, "
    "latency_hist, ttft_calls, ttft_ms_sum, ttft_hist, feedback_up, feedback_down) "
    f"SELECT target, {KEY}, count(*), count(*) FILTER (WHERE status = 'error'), "
    "count(*) FILTER (WHERE finish_reason IN ('refusal', 'content_filter')), "
    "coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), "
    "coalesce(sum(cache_read_tokens), 0), coalesce(sum(cache_write_tokens), 0), "
    "coalesce(sum(reasoning_tokens), 0), sum(cost_usd), "
    f"coalesce(sum(latency_ms), 0), max(latency_ms), {_buckets('lb')}, count(ttft_ms), "
    f"coalesce(sum(ttft_ms), 0), {_buckets('tb')}, count(*) FILTER (WHERE feedback = 1), "
    "count(*) FILTER (WHERE feedback = -1) "
    f"FROM (SELECT {KEY}, status, finish_reason, input_tokens, output_tokens, "
    "cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, latency_ms, ttft_ms, "
    "feedback, CASE WHEN latency_ms IS NOT NULL THEN llmlog_latency_bucket(latency_ms) END "
    "AS lb, CASE WHEN ttft_ms IS NOT NULL THEN llmlog_latency_bucket(ttft_ms) END AS tb "
    "FROM llm_calls WHERE ts >= (target::timestamp AT TIME ZONE 'UTC') "
    "AND ts < ((target + 1)::timestamp AT TIME ZONE 'UTC')) AS r "
    f"GROUP BY {KEY}; "
    "GET DIAGNOSTICS groups = ROW_COUNT; "
    "UPDATE llm_calls_days s SET rolled_changes = seen, rolled_at = now() "
    "WHERE s.day = target; "
    "RETURN groups; "
    "END $$"
)


def upgrade() -> None:
    op.create_table(
        "llm_calls_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "changes",
            sa.BigInteger(),
            nullable=False,
            server_default=sa.text("0"),
            comment="bumped by every write to the day after it closed",
        ),
        sa.Column("rolled_changes", sa.BigInteger(), comment="changes when last rolled up"),
        sa.Column("rolled_at", TZ),
        sa.Column("archived_at", TZ, comment="full rows written to Parquet"),
        sa.Column("archived_changes", sa.BigInteger(), comment="changes when last archived"),
        sa.Column("stripped_at", TZ, comment="content removed (the metadata stays)"),
        sa.Column("stripped_changes", sa.BigInteger(), comment="changes when last stripped"),
        sa.Column("dropped_at", TZ, comment="partition dropped: only the rollup is left"),
        sa.PrimaryKeyConstraint("day", name="llm_calls_days_pkey"),
    )
    # One row per `llmlog forget`: when, which kind of selector and a hash of its value,
    # how much went; never the content (nor the id itself).
    op.create_table(
        "llm_erasures",
        sa.Column("at", TZ, nullable=False, server_default=sa.text("now()")),
        sa.Column("selector", sa.Text(), nullable=False, comment="user_id or tenant_id"),
        sa.Column("value_sha256", sa.Text(), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.Column("rollups", sa.BigInteger(), nullable=False),
        sa.Column("archive_rows", sa.BigInteger(), nullable=False),
        sa.Column("spool_lines", sa.BigInteger(), nullable=False),
    )
    op.execute(ROLL_DAY)
    # Called by whatever writes to stored days (the writer, ingest, feedback, recost), and by
    # hand after changing old rows with SQL: days before today (UTC) are marked changed.
    # Sorted, so two writers marking the same days lock them in the same order.
    op.execute(
        "CREATE FUNCTION llmlog_days_changed(days date[]) RETURNS void LANGUAGE sql AS $$ "
        "INSERT INTO llm_calls_days AS s (day, changes) "
        "SELECT DISTINCT d, 1 FROM unnest(days) AS d "
        "WHERE d < (now() AT TIME ZONE 'UTC')::date ORDER BY d "
        "ON CONFLICT (day) DO UPDATE SET changes = s.changes + 1 $$"
    )
    # Like a report over rows, a rollup of calls none of which had a price has no cost.
    op.alter_column(
        "llm_calls_daily",
        "cost_usd",
        nullable=True,
        comment="NULL when no call of the group had a price",
    )
    op.execute("DROP FUNCTION llmlog_rolled_days(timestamptz, timestamptz)")
    op.execute(
        "CREATE FUNCTION llmlog_rolled_days(since timestamptz, until timestamptz, "
        "need_rows boolean) RETURNS date[] LANGUAGE sql STABLE PARALLEL SAFE RETURN ("
        "SELECT coalesce(array_agg(d::date), '{}'::date[]) FROM generate_series("
        "greatest((since AT TIME ZONE 'UTC')::date, (SELECT min(day) FROM llm_calls_daily)), "
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

    # The window less the days read from llm_calls_daily, as ranges of ts: a report scans
    # them one at a time (LATERAL), so each scan prunes to its own partitions at run time
    # and a 30-day report over rolled-up days reads only the rows of the days not rolled.
    op.execute(
        "CREATE FUNCTION llmlog_hot_ranges(since timestamptz, until timestamptz, rolled date[]) "
        "RETURNS TABLE (lo timestamptz, hi timestamptz) LANGUAGE sql STABLE PARALLEL SAFE "
        "ROWS 2 AS $$ "
        "WITH days AS ("
        "  SELECT d::date AS d FROM generate_series("
        "    (SELECT min(r) - 1 FROM unnest(rolled) AS r), (SELECT max(r) + 1 FROM unnest(rolled) AS r), "
        "    interval '1 day') AS d"
        "  WHERE NOT (d::date = ANY (rolled))"
        "), islands AS ("
        "  SELECT min(d) AS first, max(d) AS last"
        "  FROM (SELECT d, d - (row_number() OVER (ORDER BY d))::integer AS k FROM days) AS s"
        "  GROUP BY k"
        "), ranges AS ("
        "  SELECT CASE WHEN first = min(first) OVER () THEN since"
        "              ELSE first::timestamp AT TIME ZONE 'UTC' END AS lo,"
        "         CASE WHEN last = max(last) OVER () THEN until"
        "              ELSE (last + 1)::timestamp AT TIME ZONE 'UTC' END AS hi"
        "  FROM islands"
        ") "
        "SELECT since, until WHERE cardinality(rolled) = 0 "
        "UNION ALL SELECT lo, hi FROM ranges WHERE lo < hi $$"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION llmlog_hot_ranges(timestamptz, timestamptz, date[])")
    op.execute("DROP FUNCTION llmlog_rolled_days(timestamptz, timestamptz, boolean)")
    op.execute(ROLLED_DAYS_0002)
    op.execute("DROP FUNCTION llmlog_days_changed(date[])")
    op.execute("DROP FUNCTION llmlog_roll_day(date)")
    op.execute("UPDATE llm_calls_daily SET cost_usd = 0 WHERE cost_usd IS NULL")
    op.alter_column("llm_calls_daily", "cost_usd", nullable=False, comment=None)
    op.drop_table("llm_erasures")
    op.drop_table("llm_calls_days")
