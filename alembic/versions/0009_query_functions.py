"""Query functions: the window, filters and hot/rolled-up split every report shares

``llmlog_calls`` is the calls of a window that pass the report filters;
``llmlog_hot_calls`` those of its days not read from rollups, and ``llmlog_rolled`` the
rollup rows of the others; ``llmlog_usage`` puts both tiers in one day-grain shape (one
row per hot call, one per rollup row), so a report is ``SELECT feature, sum(cost_usd)
FROM llmlog_usage(%(since)s, %(until)s, …) GROUP BY 1``.

Each is ``LANGUAGE sql STABLE``, one SELECT, neither STRICT nor SECURITY DEFINER: the
planner inlines it into the caller's query, so bound time bounds still prune partitions
at plan time and row-level security applies to the caller. A NULL filter is no filter.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FILTERS = (
    "since timestamptz, until timestamptz, feature text DEFAULT NULL, model text DEFAULT NULL, "
    "provider text DEFAULT NULL, tenant_id text DEFAULT NULL, user_id text DEFAULT NULL, "
    "trace_id text DEFAULT NULL, prompt_version text DEFAULT NULL, status text DEFAULT NULL, "
    "grep text DEFAULT NULL, grep_like text DEFAULT NULL"
)
ARGS = (
    "since, until, feature, model, provider, tenant_id, user_id, trace_id, prompt_version, "
    "status, grep, grep_like"
)
TYPES = "timestamptz, timestamptz" + ", text" * 10
# Rolled-up days keep no users, traces or text: with one of those filters a day is read
# from its rows while they exist, and rollups answer nothing. `exact` (exact percentiles)
# also reads a day's rows while they exist, leaving rollups the days whose rows are gone.
ROWS_FILTERED = (
    "{f}.user_id IS NOT NULL OR {f}.trace_id IS NOT NULL "
    "OR {f}.status IS NOT NULL OR {f}.grep IS NOT NULL"
)
NEED_ROWS = "exact OR " + ROWS_FILTERED
USAGE_COLUMNS = (
    "day date, tenant_id text, feature text, provider text, model text, "
    "prompt_version text, rolled boolean, calls bigint, errors bigint, refusals bigint, "
    "input_tokens bigint, output_tokens bigint, cost_usd numeric, feedback_up bigint, "
    "feedback_down bigint"
)


def _filtered(f: str, alias: str) -> str:
    """The filters of function ``f`` on the columns of ``alias``, rows or rollups."""
    keys = ("feature", "model", "provider", "tenant_id", "prompt_version")
    return " ".join(f"AND ({f}.{k} IS NULL OR {alias}.{k} = {f}.{k})" for k in keys)


FUNCTIONS = {
    "llmlog_calls": (
        f"CREATE FUNCTION llmlog_calls({FILTERS}) RETURNS SETOF llm_calls "
        "LANGUAGE sql STABLE PARALLEL SAFE AS $$ "
        "SELECT * FROM llm_calls c "
        "WHERE c.ts >= llmlog_calls.since AND c.ts < llmlog_calls.until "
        f"{_filtered('llmlog_calls', 'c')} "
        "AND (llmlog_calls.user_id IS NULL OR c.user_id = llmlog_calls.user_id) "
        "AND (llmlog_calls.trace_id IS NULL OR c.trace_id = llmlog_calls.trace_id) "
        "AND (llmlog_calls.status IS NULL OR c.status = llmlog_calls.status) "
        "AND (llmlog_calls.grep_like IS NULL OR concat_ws(' ', c.system_prompt, c.output_text, "
        "c.request::text, c.tool_calls::text) ILIKE llmlog_calls.grep_like) "
        "AND (llmlog_calls.grep IS NULL OR llmlog_text(c.system_prompt, c.output_text, "
        "c.request, c.tool_calls) @@ websearch_to_tsquery('simple', llmlog_calls.grep)) $$"
    ),
    # The days not rolled up, range by range (LATERAL): each range's scan prunes to its own
    # partitions at run time, the window's bounds prune at plan time. (No OFFSET 0 fence:
    # the caller's own conditions, such as status = 'error', then reach the scan.)
    "llmlog_hot_calls": (
        f"CREATE FUNCTION llmlog_hot_calls({FILTERS}, exact boolean DEFAULT false) "
        "RETURNS SETOF llm_calls LANGUAGE sql STABLE PARALLEL SAFE AS $$ "
        "SELECT c.* FROM llmlog_hot_ranges(since, until, (SELECT llmlog_rolled_days(since, "
        f"until, {NEED_ROWS.format(f='llmlog_hot_calls')}))) AS r, "
        f"LATERAL (SELECT * FROM llmlog_calls({ARGS}) AS h "
        "WHERE h.ts >= r.lo AND h.ts < r.hi) AS c $$"
    ),
    "llmlog_rolled": (
        f"CREATE FUNCTION llmlog_rolled({FILTERS}, exact boolean DEFAULT false) "
        "RETURNS SETOF llm_calls_daily LANGUAGE sql STABLE PARALLEL SAFE AS $$ "
        "SELECT * FROM llm_calls_daily d "
        "WHERE d.day = ANY ((SELECT llmlog_rolled_days(since, until, "
        f"{NEED_ROWS.format(f='llmlog_rolled')}))::date[]) "
        "AND d.day >= (since AT TIME ZONE 'UTC')::date "
        "AND (d.day::timestamp AT TIME ZONE 'UTC') < until "
        f"{_filtered('llmlog_rolled', 'd')} "
        f"AND NOT ({ROWS_FILTERED.format(f='llmlog_rolled')}) $$"
    ),
    "llmlog_usage": (
        f"CREATE FUNCTION llmlog_usage({FILTERS}, exact boolean DEFAULT false) "
        f"RETURNS TABLE ({USAGE_COLUMNS}) LANGUAGE sql STABLE PARALLEL SAFE AS $$ "
        "SELECT (c.ts AT TIME ZONE 'UTC')::date, c.tenant_id, c.feature, c.provider, c.model, "
        "c.prompt_version, false, 1::bigint, "
        "CASE WHEN c.status = 'error' THEN 1::bigint ELSE 0 END, "
        "CASE WHEN c.finish_reason IN ('refusal', 'content_filter') THEN 1::bigint ELSE 0 END, "
        "coalesce(c.input_tokens, 0)::bigint, coalesce(c.output_tokens, 0)::bigint, "
        "c.cost_usd, CASE WHEN c.feedback = 1 THEN 1::bigint ELSE 0 END, "
        "CASE WHEN c.feedback = -1 THEN 1::bigint ELSE 0 END "
        f"FROM llmlog_hot_calls({ARGS}, exact) AS c "
        "UNION ALL "
        "SELECT d.day, d.tenant_id, d.feature, d.provider, d.model, d.prompt_version, true, "
        "d.calls, d.errors, d.refusals, d.input_tokens, d.output_tokens, d.cost_usd, "
        "d.feedback_up, d.feedback_down "
        f"FROM llmlog_rolled({ARGS}, exact) AS d $$"
    ),
}
SIGNATURES = {
    "llmlog_calls": TYPES,
    "llmlog_hot_calls": f"{TYPES}, boolean",
    "llmlog_rolled": f"{TYPES}, boolean",
    "llmlog_usage": f"{TYPES}, boolean",
}


def upgrade() -> None:
    for sql in FUNCTIONS.values():
        op.execute(sql)


def downgrade() -> None:
    for name in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION {name}({SIGNATURES[name]})")
