"""The store's tables, defined once with SQLAlchemy Core: the one source of truth.

Column names are a public contract: users write SQL against them. Alembic migrations are
checked against these tables (``tests/migrations``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB, TIMESTAMP

metadata = MetaData()

TZ = TIMESTAMP(timezone=True)
COST = Numeric(20, 10)

# Latency histograms in llm_calls_daily: bucket k (1..60) holds values in
# [10^((k-1)/10), 10^(k/10)) ms; bucket 1 also holds anything faster, 60 anything slower.
LATENCY_BUCKETS = 60

# Carried by the covering index on ts: what the window aggregates read (migration 0002).
REPORT_COLUMNS = (
    "feature", "model", "provider", "tenant_id", "user_id", "prompt_version", "status",
    "finish_reason", "input_tokens", "output_tokens", "cost_usd", "latency_ms", "ttft_ms",
)  # fmt: skip

llm_calls = Table(
    "llm_calls",
    metadata,
    Column("id", Uuid, nullable=False, comment="client-made UUIDv7; its timestamp is ts"),
    Column("ts", TZ, nullable=False, comment="call start"),
    Column("trace_id", Text, nullable=False),
    Column("parent_id", Uuid),
    Column("session_id", Text),
    Column("tenant_id", Text),
    Column("user_id", Text),
    Column("feature", Text),
    Column("prompt_version", Text),
    Column("provider", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("model", Text),
    Column("response_model", Text),
    Column("request", JSONB, comment="the body exactly as sent"),
    Column("response", JSONB, comment="the body exactly as received, streams reassembled"),
    Column("system_prompt", Text),
    Column("output_text", Text),
    Column("tool_calls", JSONB, comment="[{id, name, arguments}]"),
    Column(
        "finish_reason", Text, comment="stop|length|tool_calls|content_filter|refusal|error|other"
    ),
    Column("input_tokens", Integer, comment="including cache reads and writes"),
    Column("output_tokens", Integer),
    Column("cache_read_tokens", Integer),
    Column("cache_write_tokens", Integer),
    Column("reasoning_tokens", Integer),
    Column("cost_usd", COST),
    Column("ttft_ms", Double),
    Column("latency_ms", Double),
    Column("status", Text, nullable=False, server_default=text("'ok'")),
    Column("http_status", SmallInteger),
    Column("error_type", Text),
    Column("error_message", Text),
    Column("feedback", SmallInteger),
    Column("feedback_note", Text),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("replay_of", Uuid),
    Column("streamed", Boolean, nullable=False, server_default=text("false")),
    PrimaryKeyConstraint("id", "ts", name="llm_calls_pkey"),
    Index("ix_llm_calls_ts", "ts"),
    Index("ix_llm_calls_feature_ts", "feature", "ts"),
    Index("ix_llm_calls_tenant_ts", "tenant_id", "ts"),
    Index("ix_llm_calls_user_ts", "user_id", "ts"),
    Index("ix_llm_calls_trace", "trace_id"),
    Index("ix_llm_calls_errors", "ts", postgresql_where=text("status = 'error'")),
    Index("ix_llm_calls_replay_of", "replay_of", postgresql_where=text("replay_of IS NOT NULL")),
    # Covering index for the window aggregates: index-only scans read ~140 B per call
    # instead of the ~1.2 KB heap row (migration 0002). The --grep text index is per closed
    # day (llmlog.store.textindex), so it has no definition here.
    Index("ix_llm_calls_report", "ts", postgresql_include=list(REPORT_COLUMNS)),
    postgresql_partition_by="RANGE (ts)",
)

DAILY_KEY = ("day", "tenant_id", "feature", "provider", "model", "prompt_version")

llm_calls_daily = Table(
    "llm_calls_daily",
    metadata,
    Column("day", Date, nullable=False),
    Column("tenant_id", Text),
    Column("feature", Text),
    Column("provider", Text),
    Column("model", Text),
    Column("prompt_version", Text),
    Column("calls", BigInteger, nullable=False),
    Column("errors", BigInteger, nullable=False),
    Column("refusals", BigInteger, nullable=False, server_default=text("0")),
    Column("input_tokens", BigInteger, nullable=False),
    Column("output_tokens", BigInteger, nullable=False),
    Column("cache_read_tokens", BigInteger, nullable=False),
    Column("cache_write_tokens", BigInteger, nullable=False),
    Column("reasoning_tokens", BigInteger, nullable=False),
    Column("cost_usd", COST, comment="NULL when no call of the group had a price"),
    Column("latency_ms_sum", Double, nullable=False),
    Column("latency_ms_max", Double),
    Column("latency_hist", ARRAY(Integer), nullable=False),
    Column("ttft_calls", BigInteger, nullable=False),
    Column("ttft_ms_sum", Double, nullable=False),
    Column("ttft_hist", ARRAY(Integer), nullable=False),
    Column("feedback_up", BigInteger, nullable=False, server_default=text("0")),
    Column("feedback_down", BigInteger, nullable=False, server_default=text("0")),
    Column("rolled_at", TZ, nullable=False, server_default=text("now()")),
    Index("ix_llm_calls_daily_key", *DAILY_KEY, unique=True, postgresql_nulls_not_distinct=True),
)

# What each `llmlog sample-evals` run exported (llmlog.evals.history): --new-only skips
# the calls listed here, --history lists the runs.
llm_eval_exports = Table(
    "llm_eval_exports",
    metadata,
    Column("id", Uuid, nullable=False, comment="client-made UUIDv7"),
    Column("created_at", TZ, nullable=False, server_default=text("now()")),
    Column("format", Text, nullable=False),
    Column("options", JSONB, nullable=False, comment="reasons, filters, seed"),
    Column("output", Text, comment="the file written; NULL for stdout"),
    Column("calls", Integer, nullable=False),
    PrimaryKeyConstraint("id", name="llm_eval_exports_pkey"),
)

llm_eval_exported = Table(
    "llm_eval_exported",
    metadata,
    Column(
        "export_id",
        Uuid,
        ForeignKey("llm_eval_exports.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("call_id", Uuid, nullable=False),
    Column("call_ts", TZ, nullable=False),
    PrimaryKeyConstraint("export_id", "call_id", name="llm_eval_exported_pkey"),
    Index("ix_llm_eval_exported_call", "call_id"),
)

llm_calls_days = Table(
    "llm_calls_days",
    metadata,
    Column("day", Date, nullable=False),
    Column(
        "changes",
        BigInteger,
        nullable=False,
        server_default=text("0"),
        comment="bumped by every write to the day after it closed",
    ),
    Column("rolled_changes", BigInteger, comment="changes when last rolled up"),
    Column("rolled_at", TZ),
    Column("archived_at", TZ, comment="full rows written to Parquet"),
    Column("archived_changes", BigInteger, comment="changes when last archived"),
    Column("stripped_at", TZ, comment="content removed (the metadata stays)"),
    Column("stripped_changes", BigInteger, comment="changes when last stripped"),
    Column("dropped_at", TZ, comment="partition dropped: only the rollup is left"),
    PrimaryKeyConstraint("day", name="llm_calls_days_pkey"),
)

llm_erasures = Table(
    "llm_erasures",
    metadata,
    Column("at", TZ, nullable=False, server_default=text("now()")),
    Column("selector", Text, nullable=False, comment="user_id or tenant_id"),
    Column("value_sha256", Text, nullable=False),
    Column("calls", BigInteger, nullable=False),
    Column("rollups", BigInteger, nullable=False),
    Column("archive_rows", BigInteger, nullable=False),
    Column("spool_lines", BigInteger, nullable=False),
)

# Which tenant a login role may see (``llmlog access grant-tenant``); read by the row-level
# security policies (``llmlog access``, llmlog.store.access).
llm_access_tenants = Table(
    "llm_access_tenants",
    metadata,
    Column("role", Text, nullable=False),
    Column("tenant_id", Text, nullable=False),
    PrimaryKeyConstraint("role", name="llm_access_tenants_pkey"),
)

# The store's own switches (``name = 'audit'``, ``value = 'on'``: ``llmlog access audit``).
llm_settings = Table(
    "llm_settings",
    metadata,
    Column("name", Text, nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("name", name="llm_settings_pkey"),
)

# Who ran which report or export command (llmlog.store.audit): written only through the
# SECURITY DEFINER function llmlog_audit() (migration 0007), read by the owner alone.
llm_audit = Table(
    "llm_audit",
    metadata,
    Column("id", BigInteger, Identity(always=True), nullable=False),
    Column("at", TZ, nullable=False, server_default=text("now()")),
    Column("db_role", Text, nullable=False, comment="session_user: the login"),
    Column("os_user", Text, comment="as the client reported it"),
    Column("client_addr", INET, comment="inet_client_addr(); NULL over a local socket"),
    Column("command", Text, nullable=False),
    Column("args", JSONB, nullable=False, comment="its arguments, as given"),
    PrimaryKeyConstraint("id", name="llm_audit_pkey"),
    Index("llm_audit_at_idx", "at"),
)

# One LLM-as-judge score per (call, judge model, rubric version): ``llmlog judge`` skips the
# calls it holds, ``llmlog scores`` aggregates them (llmlog.judge).
llm_scores = Table(
    "llm_scores",
    metadata,
    Column("call_id", Uuid, nullable=False),
    Column("call_ts", TZ, nullable=False, comment="the call's ts (partition pruning)"),
    Column("judge_model", Text, nullable=False, comment="as requested"),
    Column("rubric", Text, nullable=False, comment="the rubric's name"),
    Column("rubric_sha256", Text, nullable=False, comment="of the rubric's text"),
    Column("status", Text, nullable=False, comment="scored | failed"),
    Column("score", Double, comment="0-100 (pass 100, fail 0); NULL when failed"),
    Column("passed", Boolean, comment="score at or above the rubric's pass mark"),
    Column("rationale", Text),
    Column("error", Text, comment="why the judge's answer could not be read"),
    Column("judge_response_model", Text, comment="as the provider returned it"),
    Column("judge_call_id", Uuid, comment="the judge's own (last) call"),
    Column("judge_cost_usd", COST, comment="every attempt's cost"),
    Column("scored_at", TZ, nullable=False, server_default=text("now()")),
    PrimaryKeyConstraint("call_id", "judge_model", "rubric_sha256", name="llm_scores_pkey"),
    CheckConstraint(
        "(status = 'scored' AND score IS NOT NULL) OR (status = 'failed' AND score IS NULL)",
        name="llm_scores_status_check",
    ),
    Index("ix_llm_scores_call_ts", "call_ts"),
)

# Per `llmlog check` rule and scope: since when it fires, and whether that was notified.
llm_check_state = Table(
    "llm_check_state",
    metadata,
    Column("rule", Text, nullable=False),
    Column("scope", Text, nullable=False, comment="'' for all calls"),
    Column("pending_since", TZ, comment="condition first seen true (rule's `for`)"),
    Column("firing_since", TZ),
    Column("value", Double),
    Column("notified", Boolean, nullable=False, server_default=text("false")),
    Column("checked_at", TZ, nullable=False, server_default=text("now()")),
    PrimaryKeyConstraint("rule", "scope", name="llm_check_state_pkey"),
)
