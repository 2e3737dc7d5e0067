"""Report helpers: covering index for aggregates, searchable text, id timestamps

The covering index lets the window aggregates (cost, spend, drift, latency) read narrow
index-only tuples instead of the wide heap rows (bench/queries.py measures both).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

REPORT_COLUMNS = [
    "feature", "model", "provider", "tenant_id", "user_id", "prompt_version", "status",
    "finish_reason", "input_tokens", "output_tokens", "cost_usd", "latency_ms", "ttft_ms",
]  # fmt: skip

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_llm_calls_report", "llm_calls", ["ts"], postgresql_include=REPORT_COLUMNS
    )
    # What `--grep` searches: system prompt, output, every string of the messages (Chat
    # Completions / Messages `messages`, Responses `input`) and the tool calls' arguments.
    # Indexed per closed day (llmlog.reports.textindex), never on the ingest path.
    op.execute(
        "CREATE FUNCTION llmlog_text(system_prompt text, output_text text, request jsonb, "
        "tool_calls jsonb) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN "
        "to_tsvector('simple'::regconfig, coalesce(system_prompt, '') || ' ' || "
        "coalesce(output_text, '')) "
        "|| jsonb_to_tsvector('simple'::regconfig, "
        "coalesce(request -> 'messages', request -> 'input', '[]'::jsonb), '[\"string\"]') "
        "|| jsonb_to_tsvector('simple'::regconfig, coalesce(tool_calls, '[]'::jsonb), "
        "'[\"string\"]')"
    )
    # The millisecond timestamp inside a UUIDv7: a call's ts, known from its id alone, so a
    # lookup by id (or id prefix) prunes partitions at plan time.
    op.execute(
        "CREATE FUNCTION llmlog_id_ts(id uuid) RETURNS timestamptz "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN to_timestamp("
        "(('x' || left(replace(id::text, '-', ''), 12))::bit(48)::bigint) / 1000.0)"
    )
    # A latency at fraction f (0..1, clamped) of the way through bucket k, geometrically:
    # percentiles from histograms interpolate inside the bucket that holds them.
    op.execute(
        "CREATE FUNCTION llmlog_bucket_at(k integer, f numeric) RETURNS double precision "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN "
        "power(10::double precision, (k - 1 + least(1, greatest(0, f::double precision))) / 10.0)"
    )

    # The days of a window already rolled up into llm_calls_daily: reports read those days
    # there and the other days from llm_calls, so totals do not change when retention runs.
    op.execute(
        "CREATE FUNCTION llmlog_rolled_days(since timestamptz, until timestamptz) "
        "RETURNS date[] LANGUAGE sql STABLE PARALLEL SAFE RETURN ("
        "SELECT coalesce(array_agg(d::date), '{}'::date[]) FROM generate_series("
        "greatest((since AT TIME ZONE 'UTC')::date, (SELECT min(day) FROM llm_calls_daily)), "
        "least((until AT TIME ZONE 'UTC')::date, "
        "coalesce((SELECT max(day) FROM llm_calls_daily), '-infinity'::date)), "
        "interval '1 day') AS d "
        "WHERE EXISTS (SELECT 1 FROM llm_calls_daily WHERE day = d::date))"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION llmlog_rolled_days(timestamptz, timestamptz)")
    op.drop_index("ix_llm_calls_report", table_name="llm_calls")
    op.execute("DROP FUNCTION llmlog_bucket_at(integer, numeric)")
    op.execute("DROP FUNCTION llmlog_id_ts(uuid)")
    op.execute("DROP FUNCTION llmlog_text(text, text, jsonb, jsonb)")
