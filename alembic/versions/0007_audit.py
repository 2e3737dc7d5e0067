"""Audit: who ran which report or export command, when, with which filters

``llm_audit`` holds one row per audited command (never call content). Only the owner
reads it; no other role may write or change it: report and export commands record
themselves through ``llmlog_audit()``, a SECURITY DEFINER function that takes the role
from the session (``session_user``) and the client address from the connection, and
records only while ``llm_settings`` has ``audit = on`` (``llmlog access audit on``).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "llm_settings",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="llm_settings_pkey"),
    )
    op.create_table(
        "llm_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("db_role", sa.Text(), nullable=False, comment="session_user: the login"),
        sa.Column("os_user", sa.Text(), nullable=True, comment="as the client reported it"),
        sa.Column(
            "client_addr",
            postgresql.INET(),
            nullable=True,
            comment="inet_client_addr(); NULL over a local socket",
        ),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column(
            "args", postgresql.JSONB(), nullable=False, comment="its arguments, as given"
        ),
        sa.PrimaryKeyConstraint("id", name="llm_audit_pkey"),
    )
    op.create_index("llm_audit_at_idx", "llm_audit", ["at"])
    op.execute(
        """
        CREATE FUNCTION llmlog_audit(command text, args jsonb, os_user text) RETURNS boolean
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM public.llm_settings s
                           WHERE s.name = 'audit' AND s.value = 'on') THEN
                RETURN false;
            END IF;
            INSERT INTO public.llm_audit (db_role, os_user, client_addr, command, args)
            VALUES (session_user, left(os_user, 200), inet_client_addr(), left(command, 200),
                    args);
            RETURN true;
        END $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION llmlog_audit(text, jsonb, text)")
    op.drop_table("llm_audit")
    op.drop_table("llm_settings")
