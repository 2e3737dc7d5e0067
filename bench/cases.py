"""The report cases bench/queries.py times: our bundled query and hand-written SQL for the
same question (what PG_BASELINE.md measured: bound timestamps, indexes, jit off).

Each case's hand-written SQL reads hot rows only: the same data as ours when no day is
rolled up. Where the window reaches days rolled up into ``llm_calls_daily`` (ours then
reads those days there), ``rolled_sql`` is the hand-written SQL that reads the same data:
hot rows from ``cutoff`` (the first day not rolled up), daily rows before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from llmlog.ids import prefix_range
from llmlog.reports import params, sqlfile
from llmlog.reports.filters import like_prefilter
from llmlog.reports.run import execute, run

CALL = (  # what tail shows
    "id, ts, trace_id, feature, tenant_id, user_id, provider, model, input_tokens, "
    "output_tokens, cost_usd, ttft_ms, latency_ms, status, finish_reason, http_status, "
    "error_type, error_message, output_text"
)


@dataclass
class Case:
    label: str
    query: str
    values: dict[str, Any]
    hand_sql: str
    hand_params: tuple[Any, ...]
    argv: list[str] = field(default_factory=list)
    goal_ms: int | None = None
    rolled_sql: str | None = None  # with rolled_params: where rolled-up days change the work
    rolled_params: tuple[Any, ...] = ()

    def hand(self, rolled: bool) -> tuple[str, tuple[Any, ...]]:
        """The hand-written SQL reading what ours reads, with or without rolled-up days."""
        if rolled and self.rolled_sql:
            return self.rolled_sql, self.rolled_params
        return self.hand_sql, self.hand_params


def cases(conn: Any, cutoff: date | None) -> list[Case]:
    """The cases; ``cutoff`` is the first day not rolled up (None: nothing rolled up)."""
    now = datetime.now(UTC)
    day, week, month = now - timedelta(days=1), now - timedelta(days=7), now - timedelta(days=30)
    call_id, call_ts = conn.execute(
        "SELECT id, ts FROM llm_calls WHERE ts >= %s ORDER BY ts DESC LIMIT 1 OFFSET 100", (day,)
    ).fetchone()
    trace_id = conn.execute(
        "SELECT trace_id FROM llm_calls WHERE ts >= %s AND parent_id IS NOT NULL "
        "ORDER BY ts DESC LIMIT 1",
        (day,),
    ).fetchone()[0]
    trace_at = datetime.fromisoformat(
        conn.execute("SELECT llmlog_id_ts(%s::uuid)", (trace_id,)).fetchone()[0].isoformat()
    )
    word = "refund"
    prefix = str(call_id).replace("-", "")[:16]
    listed = [
        Case("tail (24h, 50)", "tail", {"since": day}, f"SELECT {CALL} FROM llm_calls "
             "WHERE ts >= %s ORDER BY ts DESC LIMIT 50", (day,), ["tail"], 250),
        Case("show: id prefix lookup", "call_match", dict(zip(("lo", "hi", "lo_ts", "hi_ts"),
             prefix_range(prefix), strict=True)),
             "SELECT id, ts FROM llm_calls WHERE id BETWEEN %s AND %s "
             "AND ts BETWEEN %s AND %s ORDER BY id LIMIT 2", prefix_range(prefix),
             ["show", str(call_id)[:18]], 250),
        Case("show: the call row", "call", {"id": call_id},
             "SELECT * FROM llm_calls WHERE id = %s AND ts = %s", (call_id, call_ts)),
        Case("trace", "trace", {"trace_id": trace_id, "since": trace_at - timedelta(days=1),
             "until": trace_at + timedelta(days=1)},
             "SELECT * FROM llm_calls WHERE trace_id = %s AND ts >= %s AND ts < %s ORDER BY ts",
             (trace_id, trace_at - timedelta(days=1), trace_at + timedelta(days=1)),
             ["trace", trace_id], 250),
        Case("errors (7d)", "errors", {"since": week},
             "SELECT error_type, model, feature, count(*), min(ts), max(ts), "
             "(array_agg(id ORDER BY ts DESC))[1] FROM llm_calls "
             "WHERE status = 'error' AND ts >= %s GROUP BY 1, 2, 3 ORDER BY 4 DESC", (week,),
             ["errors"], 400),
        Case("errors --list (7d)", "tail", {"since": week, "status": "error"},
             f"SELECT {CALL} FROM llm_calls WHERE status = 'error' AND ts >= %s "
             "ORDER BY ts DESC LIMIT 50", (week,), ["errors", "--list"], 400),
        Case("latency (24h)", "latency", {"since": day},
             "SELECT feature, model, count(*), percentile_cont(ARRAY[0.5, 0.95, 0.99]) "
             "WITHIN GROUP (ORDER BY latency_ms) FROM llm_calls WHERE ts >= %s "
             "GROUP BY 1, 2", (day,), ["latency"], 400),
        Case("drift (30d)", "drift", {"since": month},
             "SELECT prompt_version, count(*), avg(output_tokens), "
             "avg((finish_reason = 'refusal')::int), avg((status = 'error')::int), "
             "avg(cost_usd), percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) "
             "FROM llm_calls WHERE ts >= %s GROUP BY 1", (month,), ["drift"], 400),
        Case("cost-by-feature (30d, by day)", "cost_by_feature", {"since": month},
             "SELECT (ts AT TIME ZONE 'UTC')::date, feature, count(*), "
             "count(*) FILTER (WHERE status = 'error'), sum(cost_usd), sum(input_tokens), "
             "sum(output_tokens) FROM llm_calls WHERE ts >= %s GROUP BY 1, 2 ORDER BY 1, 2",
             (month,), ["cost-by-feature"], 500),
        Case("cost-by-model (30d)", "cost_by_model", {"since": month},
             "SELECT provider, model, count(*), sum(cost_usd), percentile_cont(0.95) "
             "WITHIN GROUP (ORDER BY cost_usd::float8) FROM llm_calls WHERE ts >= %s "
             "GROUP BY 1, 2", (month,), ["cost-by-model"]),
        Case("top-users (30d)", "top_users", {"since": month},
             "SELECT user_id, count(*), count(*) FILTER (WHERE status = 'error'), "
             "sum(input_tokens), sum(output_tokens), sum(cost_usd), max(ts) FROM llm_calls "
             "WHERE ts >= %s AND user_id IS NOT NULL GROUP BY 1 ORDER BY 6 DESC LIMIT 20",
             (month,), ["top-users"]),
        Case("top-tenants (30d)", "top_tenants", {"since": month},
             "SELECT tenant_id, (ts AT TIME ZONE 'UTC')::date, count(*), count(*) FILTER "
             "(WHERE status = 'error'), sum(input_tokens), sum(output_tokens), sum(cost_usd) "
             "FROM llm_calls WHERE ts >= %s AND tenant_id IS NOT NULL GROUP BY 1, 2", (month,),
             ["top-tenants"]),
        Case("tail --grep (7d)", "tail", {"since": week, "grep": word,
             "grep_like": like_prefilter(word)},
             f"SELECT {CALL} FROM llm_calls WHERE ts >= %s AND "
             "llmlog_text(system_prompt, output_text, request, tool_calls) "
             "@@ websearch_to_tsquery('simple', %s) ORDER BY ts DESC LIMIT 50",
             (week, word), ["tail", "--since", "7d", "--grep", word]),
        Case("tail -n 20 (24h)", "tail", {"since": day, "limit": 20}, f"SELECT {CALL} FROM "
             "llm_calls WHERE ts >= %s ORDER BY ts DESC LIMIT 20", (day,),
             ["tail", "-n", "20"], 250),
    ]  # fmt: skip
    if cutoff is not None and cutoff > month.date():
        hot_from = datetime(cutoff.year, cutoff.month, cutoff.day, tzinfo=UTC)
        for case in listed:
            sql = ROLLED.get(case.query)
            if sql:
                case.rolled_sql, case.rolled_params = sql, (hot_from, month.date(), cutoff)
    return listed


# Hand-written SQL over hot rows from the cutoff (the first %s) and daily rows of
# [the window's first day, cutoff) (the other two).
ROLLED = {
    "cost_by_feature": """
        SELECT day, feature, sum(calls), sum(errors), sum(cost), sum(i), sum(o) FROM (
          SELECT (ts AT TIME ZONE 'UTC')::date AS day, feature, count(*) AS calls,
                 count(*) FILTER (WHERE status = 'error') AS errors, sum(cost_usd) AS cost,
                 sum(input_tokens) AS i, sum(output_tokens) AS o
          FROM llm_calls WHERE ts >= %s GROUP BY 1, 2
          UNION ALL
          SELECT day, feature, sum(calls), sum(errors), sum(cost_usd), sum(input_tokens),
                 sum(output_tokens)
          FROM llm_calls_daily WHERE day >= %s AND day < %s GROUP BY 1, 2
        ) AS t GROUP BY 1, 2 ORDER BY 1, 2""",
    "cost_by_model": """
        SELECT provider, model, sum(calls), sum(cost), max(p95) FROM (
          SELECT provider, model, count(*) AS calls, sum(cost_usd) AS cost,
                 percentile_cont(0.95) WITHIN GROUP (ORDER BY cost_usd::float8) AS p95
          FROM llm_calls WHERE ts >= %s GROUP BY 1, 2
          UNION ALL
          SELECT provider, model, sum(calls), sum(cost_usd), NULL
          FROM llm_calls_daily WHERE day >= %s AND day < %s GROUP BY 1, 2
        ) AS t GROUP BY 1, 2""",
    "top_tenants": """
        SELECT tenant_id, day, sum(calls), sum(errors), sum(i), sum(o), sum(cost) FROM (
          SELECT tenant_id, (ts AT TIME ZONE 'UTC')::date AS day, count(*) AS calls,
                 count(*) FILTER (WHERE status = 'error') AS errors, sum(input_tokens) AS i,
                 sum(output_tokens) AS o, sum(cost_usd) AS cost
          FROM llm_calls WHERE ts >= %s AND tenant_id IS NOT NULL GROUP BY 1, 2
          UNION ALL
          SELECT tenant_id, day, sum(calls), sum(errors), sum(input_tokens),
                 sum(output_tokens), sum(cost_usd)
          FROM llm_calls_daily WHERE day >= %s AND day < %s AND tenant_id IS NOT NULL
          GROUP BY 1, 2
        ) AS t GROUP BY 1, 2""",
    "drift": """
        WITH hot AS (
          SELECT prompt_version, llmlog_latency_bucket(latency_ms) AS k, count(*) AS calls,
                 sum(output_tokens) AS o, sum(cost_usd) AS c,
                 count(*) FILTER (WHERE finish_reason IN ('refusal', 'content_filter')) AS r,
                 count(*) FILTER (WHERE status = 'error') AS e
          FROM llm_calls WHERE ts >= %s GROUP BY 1, 2
        ), cold AS (
          SELECT prompt_version, latency_hist AS h, calls, output_tokens AS o, cost_usd AS c,
                 refusals AS r, errors AS e
          FROM llm_calls_daily WHERE day >= %s AND day < %s
        ), buckets AS (
          SELECT prompt_version, k, sum(n) AS n FROM (
            SELECT prompt_version, k, calls AS n FROM hot WHERE k IS NOT NULL
            UNION ALL
            SELECT prompt_version, b.k::int, b.n FROM cold, unnest(h) WITH ORDINALITY AS b(n, k)
          ) AS x GROUP BY 1, 2
        ), p95 AS (
          SELECT prompt_version, min(k) FILTER (WHERE upto >= 0.95 * total) AS k FROM (
            SELECT *, sum(n) OVER (PARTITION BY prompt_version ORDER BY k) AS upto,
                   sum(n) OVER (PARTITION BY prompt_version) AS total FROM buckets
          ) AS running GROUP BY 1
        )
        SELECT t.prompt_version, sum(calls), sum(o) / sum(calls), sum(r) / sum(calls),
               sum(e) / sum(calls), sum(c) / sum(calls), p95.k AS p95_bucket
        FROM (SELECT prompt_version, calls, o, c, r, e FROM hot
              UNION ALL SELECT prompt_version, calls, o, c, r, e FROM cold) AS t
        LEFT JOIN p95 ON p95.prompt_version IS NOT DISTINCT FROM t.prompt_version
        GROUP BY 1, p95.k""",
}


def bound(case: Case) -> tuple[sqlfile.Query, dict[str, Any]]:
    query = sqlfile.bundled(case.query)
    return query, params.bind(query, case.values)


def run_ours(conn: Any, case: Case) -> list[dict[str, Any]]:
    run(conn, case.query, case.values)  # first, so that --grep's lazy text index exists
    query, values = bound(case)
    return execute(conn, query, values)


def pruning(conn: Any, case: Case) -> tuple[int, int, int, float]:
    """Partitions left by the planner, removed later at run time, in all; planning ms."""
    query = sqlfile.bundled(case.query)
    values = params.bind(query, case.values)
    explained = execute(
        conn, sqlfile.Query(query.name, "", query.params, "EXPLAIN (ANALYZE, FORMAT JSON) "
                            + query.sql, query.path), values,
    )[0]["QUERY PLAN"][0]  # fmt: skip
    scanned: set[str] = set()
    late = 0

    def walk(node: dict[str, Any]) -> None:
        nonlocal late
        late += node.get("Subplans Removed", 0)
        name = node.get("Relation Name", "")
        if name.startswith("llm_calls_") and name != "llm_calls_daily":
            scanned.add(name)
        for child in node.get("Plans", []):
            walk(child)

    walk(explained["Plan"])
    total = conn.execute(
        "SELECT count(*) FROM pg_inherits WHERE inhparent = 'llm_calls'::regclass"
    ).fetchone()[0]
    return len(scanned) + late, late, total, explained["Planning Time"]
