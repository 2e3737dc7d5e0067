"""llm_calls (daily partitions), llm_calls_daily and the latency bucket function

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = postgresql.TIMESTAMP(timezone=True)
COST = sa.Numeric(20, 10)
CONTENT_COLUMNS = ("request", "response", "system_prompt", "output_text", "tool_calls", "metadata")


def upgrade() -> None:
    op.create_table(
        "llm_calls",
        sa.Column("id", sa.Uuid(), nullable=False, comment="client-made UUIDv7; its timestamp is ts"),
        sa.Column("ts", TZ, nullable=False, comment="call start"),
        sa.Column("trace_id", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Uuid()),
        sa.Column("session_id", sa.Text()),
        sa.Column("tenant_id", sa.Text()),
        sa.Column("user_id", sa.Text()),
        sa.Column("feature", sa.Text()),
        sa.Column("prompt_version", sa.Text()),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("model", sa.Text()),
        sa.Column("response_model", sa.Text()),
        sa.Column("request", postgresql.JSONB(), comment="the body exactly as sent"),
        sa.Column(
            "response",
            postgresql.JSONB(),
            comment="the body exactly as received, streams reassembled",
        ),
        sa.Column("system_prompt", sa.Text()),
        sa.Column("output_text", sa.Text()),
        sa.Column("tool_calls", postgresql.JSONB(), comment="[{id, name, arguments}]"),
        sa.Column(
            "finish_reason",
            sa.Text(),
            comment="stop|length|tool_calls|content_filter|refusal|error|other",
        ),
        sa.Column("input_tokens", sa.Integer(), comment="including cache reads and writes"),
        sa.Column("output_tokens", sa.Integer()),
        sa.Column("cache_read_tokens", sa.Integer()),
        sa.Column("cache_write_tokens", sa.Integer()),
        sa.Column("reasoning_tokens", sa.Integer()),
        sa.Column("cost_usd", COST),
        sa.Column("ttft_ms", sa.Double()),
        sa.Column("latency_ms", sa.Double()),
        sa.Column("status", sa.Text(), nullable=False, server_default=sa.text("'ok'")),
        sa.Column("http_status", sa.SmallInteger()),
        sa.Column("error_type", sa.Text()),
        sa.Column("error_message", sa.Text()),
        sa.Column("feedback", sa.SmallInteger()),
        sa.Column("feedback_note", sa.Text()),
        sa.Column(
            "metadata", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")
        ),
        sa.Column("replay_of", sa.Uuid()),
        sa.Column("streamed", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.PrimaryKeyConstraint("id", "ts", name="llm_calls_pkey"),
        postgresql_partition_by="RANGE (ts)",
    )
    # lz4 halves the CPU spent compressing prompts on ingest (PG_BASELINE); it must be set
    # on the parent before any partition exists. Servers built without lz4 keep pglz.
    for column in CONTENT_COLUMNS:
        op.execute(
            "DO $$ BEGIN "
            f"ALTER TABLE llm_calls ALTER COLUMN {column} SET COMPRESSION lz4; "
            "EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL; END $$"
        )
    op.execute("CREATE TABLE llm_calls_default PARTITION OF llm_calls DEFAULT")
    op.create_index("ix_llm_calls_ts", "llm_calls", ["ts"])
    op.create_index("ix_llm_calls_feature_ts", "llm_calls", ["feature", "ts"])
    op.create_index("ix_llm_calls_tenant_ts", "llm_calls", ["tenant_id", "ts"])
    op.create_index("ix_llm_calls_user_ts", "llm_calls", ["user_id", "ts"])
    op.create_index("ix_llm_calls_trace", "llm_calls", ["trace_id"])
    op.create_index(
        "ix_llm_calls_errors", "llm_calls", ["ts"], postgresql_where=sa.text("status = 'error'")
    )
    op.create_index(
        "ix_llm_calls_replay_of",
        "llm_calls",
        ["replay_of"],
        postgresql_where=sa.text("replay_of IS NOT NULL"),
    )

    op.create_table(
        "llm_calls_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tenant_id", sa.Text()),
        sa.Column("feature", sa.Text()),
        sa.Column("provider", sa.Text()),
        sa.Column("model", sa.Text()),
        sa.Column("prompt_version", sa.Text()),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("refusals", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cache_read_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cache_write_tokens", sa.BigInteger(), nullable=False),
        sa.Column("reasoning_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_usd", COST, nullable=False),
        sa.Column("latency_ms_sum", sa.Double(), nullable=False),
        sa.Column("latency_ms_max", sa.Double()),
        sa.Column("latency_hist", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("ttft_calls", sa.BigInteger(), nullable=False),
        sa.Column("ttft_ms_sum", sa.Double(), nullable=False),
        sa.Column("ttft_hist", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("feedback_up", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("feedback_down", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("rolled_at", TZ, nullable=False, server_default=sa.text("now()")),
    )
    op.create_index(
        "ix_llm_calls_daily_key",
        "llm_calls_daily",
        ["day", "tenant_id", "feature", "provider", "model", "prompt_version"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    # Bucket k (1..60) of a latency histogram: [10^((k-1)/10), 10^(k/10)) ms.
    op.execute(
        "CREATE FUNCTION llmlog_latency_bucket(ms double precision) RETURNS integer "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN "
        "least(60, greatest(1, floor(10 * log(greatest(ms, 1)))::integer + 1))"
    )
    # A representative value for bucket k: its geometric midpoint.
    op.execute(
        "CREATE FUNCTION llmlog_bucket_ms(k integer) RETURNS double precision "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN power(10, (k - 0.5) / 10.0)"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION llmlog_bucket_ms(integer)")
    op.execute("DROP FUNCTION llmlog_latency_bucket(double precision)")
    op.drop_table("llm_calls_daily")
    op.drop_table("llm_calls")
