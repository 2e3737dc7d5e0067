"""Judge: LLM-as-judge scores of calls, and the firing state of `llmlog check`'s rules

``llm_scores`` holds one row per (call, judge model, rubric version): the score (or, when
the judge's answer could not be read, status ``failed`` and no score), the rationale, and
the judge's own call and cost. Its primary key is what makes a rerun skip calls already
scored. ``llm_check_state`` holds, per rule and scope, since when it fires and whether its
start was notified, so ``llmlog check --notify`` posts once on start and once on resolve.

Both get 0006's row-level security (FORCEd, one policy admitting every row);
``llmlog access setup`` adds their tenant policies: a tenant login sees the scores of its
own calls, and no rule state (its scopes name other tenants).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TZ = postgresql.TIMESTAMP(timezone=True)
TABLES = ("llm_scores", "llm_check_state")


def upgrade() -> None:
    op.create_table(
        "llm_scores",
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("call_ts", TZ, nullable=False, comment="the call's ts (partition pruning)"),
        sa.Column("judge_model", sa.Text(), nullable=False, comment="as requested"),
        sa.Column("rubric", sa.Text(), nullable=False, comment="the rubric's name"),
        sa.Column("rubric_sha256", sa.Text(), nullable=False, comment="of the rubric's text"),
        sa.Column("status", sa.Text(), nullable=False, comment="scored | failed"),
        sa.Column("score", sa.Double(), comment="0-100 (pass 100, fail 0); NULL when failed"),
        sa.Column("passed", sa.Boolean(), comment="score at or above the rubric's pass mark"),
        sa.Column("rationale", sa.Text()),
        sa.Column("error", sa.Text(), comment="why the judge's answer could not be read"),
        sa.Column("judge_response_model", sa.Text(), comment="as the provider returned it"),
        sa.Column("judge_call_id", sa.Uuid(), comment="the judge's own (last) call"),
        sa.Column("judge_cost_usd", sa.Numeric(20, 10), comment="every attempt's cost"),
        sa.Column("scored_at", TZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint(
            "call_id", "judge_model", "rubric_sha256", name="llm_scores_pkey"
        ),
        sa.CheckConstraint(
            "(status = 'scored' AND score IS NOT NULL) OR (status = 'failed' AND score IS NULL)",
            name="llm_scores_status_check",
        ),
    )
    op.create_index("ix_llm_scores_call_ts", "llm_scores", ["call_ts"])
    op.create_table(
        "llm_check_state",
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False, comment="'' for all calls"),
        sa.Column("pending_since", TZ, comment="condition first seen true (rule's `for`)"),
        sa.Column("firing_since", TZ),
        sa.Column("value", sa.Double()),
        sa.Column("notified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("checked_at", TZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("rule", "scope", name="llm_check_state_pkey"),
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY llmlog_all ON {table} USING (true) WITH CHECK (true)")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS llmlog_tenant ON {table}")
    op.drop_table("llm_check_state")
    op.drop_index("ix_llm_scores_call_ts", table_name="llm_scores")
    op.drop_table("llm_scores")
