"""Access: row-level security per tenant on every table that holds call content or call ids

``llm_access_tenants`` maps a login role to the one tenant it may see (``llmlog access
grant-tenant``). ``llmlog_tenant_of(role)`` reads it for the policies; a role it does not
list (the owner, ``llmlog_reader``, ``llmlog_writer``) is held by the table's grants only.

RLS is FORCEd, so the owner's own connections go through the policies too (the "all rows"
policy lets them see everything): a tenant rule cannot be skipped by connecting as the
owner by accident. Only superusers and BYPASSRLS roles skip them. Partitions carry no
policies: no role but the owner is granted them, so a tenant reads calls through
``llm_calls`` only.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Evaluated once per query (an InitPlan), not once per row.
TENANT = "(SELECT llmlog_tenant_of(current_user))"
ALL_ROWS = f"{TENANT} IS NULL"
CALL_OF_TENANT = "EXISTS (SELECT 1 FROM llm_calls c WHERE c.id = call_id AND c.ts = call_ts)"
# table: the condition under which a tenant role sees (and may write) a row.
TENANT_ROWS = {
    "llm_calls": f"tenant_id = {TENANT}",
    "llm_calls_daily": f"tenant_id = {TENANT}",
    "llm_eval_exported": CALL_OF_TENANT,  # its calls' ids, seen through llm_calls' policy
    "llm_eval_exports": None,  # the filters of every export: no tenant's
    "llm_erasures": None,  # who was erased: no tenant's
}


def upgrade() -> None:
    op.create_table(
        "llm_access_tenants",
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("role", name="llm_access_tenants_pkey"),
    )
    op.execute(
        "CREATE FUNCTION llmlog_tenant_of(who name) RETURNS text LANGUAGE sql STABLE "
        "SECURITY DEFINER SET search_path = pg_catalog, public AS $$ "
        "SELECT tenant_id FROM llm_access_tenants WHERE role = who $$"
    )
    for table, rows in TENANT_ROWS.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY llmlog_all ON {table} USING ({ALL_ROWS}) WITH CHECK ({ALL_ROWS})"
        )
        if rows:
            op.execute(f"CREATE POLICY llmlog_tenant ON {table} USING ({rows}) WITH CHECK ({rows})")


def downgrade() -> None:
    for table, rows in TENANT_ROWS.items():
        if rows:
            op.execute(f"DROP POLICY llmlog_tenant ON {table}")
        op.execute(f"DROP POLICY llmlog_all ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION llmlog_tenant_of(name)")
    op.drop_table("llm_access_tenants")
