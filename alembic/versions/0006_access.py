"""Access: row-level security on every table that holds call content or call ids

RLS is enabled and FORCEd on them, with one policy admitting every row (``llmlog_all``):
the owner's own connections go through the policies too, so a tenant rule added later
cannot be skipped by connecting as the owner by accident. ``llmlog access setup`` adds
the restrictive ``llmlog_tenant`` policies for the members of ``llmlog_tenants``
(llmlog.store.access); a role that is not one sees every row at no cost (the planner
drops a ``true`` policy).

``llm_access_tenants`` lists the tenant logins of this database and their tenants.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("llm_calls", "llm_calls_daily", "llm_eval_exported", "llm_eval_exports", "llm_erasures")


def upgrade() -> None:
    op.create_table(
        "llm_access_tenants",
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("role", name="llm_access_tenants_pkey"),
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY llmlog_all ON {table} USING (true) WITH CHECK (true)")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS llmlog_tenant ON {table}")
        op.execute(f"DROP POLICY llmlog_all ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.drop_table("llm_access_tenants")
