"""eval export history: what each `llmlog sample-evals` run wrote, for --new-only and --history

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = postgresql.TIMESTAMP(timezone=True)


def upgrade() -> None:
    op.create_table(
        "llm_eval_exports",
        sa.Column("id", sa.Uuid(), nullable=False, comment="client-made UUIDv7"),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.text("now()")),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("options", postgresql.JSONB(), nullable=False, comment="reasons, filters, seed"),
        sa.Column("output", sa.Text(), comment="the file written; NULL for stdout"),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="llm_eval_exports_pkey"),
    )
    op.create_table(
        "llm_eval_exported",
        sa.Column("export_id", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("call_ts", TZ, nullable=False),
        sa.PrimaryKeyConstraint("export_id", "call_id", name="llm_eval_exported_pkey"),
        sa.ForeignKeyConstraint(
            ["export_id"], ["llm_eval_exports.id"], name="llm_eval_exported_export_id_fkey",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_llm_eval_exported_call", "llm_eval_exported", ["call_id"])


def downgrade() -> None:
    op.drop_table("llm_eval_exported")
    op.drop_table("llm_eval_exports")
