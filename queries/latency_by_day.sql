-- name: latency_by_day
-- description: Latency percentiles (p50, p95, p99) per day and feature, for total latency
-- description: (metric total) and time to first token (metric ttft). Exact percentile_cont
-- description: while a day's rows exist; a day whose rows are gone is estimated from its
-- description: log-bucket histograms (approximate=true). (The latency dashboard.)
-- param since: timestamptz = 14d
-- param until: timestamptz = infinity
-- param feature: text = null
-- param model: text = null
-- param provider: text = null
-- param tenant_id: text = null
-- param user_id: text = null
-- param trace_id: text = null
-- param prompt_version: text = null
-- param status: text = null
-- param grep: text = null
-- param grep_like: text = null
WITH rolled AS (  -- only days whose rows are gone: exact while rows exist
  SELECT llmlog_rolled_days(%(since)s, %(until)s, true) AS days
),
exact AS (
  SELECT (ts AT TIME ZONE 'UTC')::date AS day, feature, count(*) AS calls,
         percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY latency_ms) AS total,
         percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY ttft_ms) AS ttft
  FROM llmlog_hot_ranges(%(since)s, %(until)s, (SELECT days FROM rolled)) AS r,
  LATERAL (
  SELECT ts, feature, latency_ms, ttft_ms
  FROM llm_calls
  WHERE ts >= %(since)s AND ts < %(until)s  -- pruned at plan time to the window
    AND ts >= r.lo AND ts < r.hi  -- and at run time to the range
  AND (%(feature)s::text IS NULL OR feature = %(feature)s)
  AND (%(model)s::text IS NULL OR model = %(model)s)
  AND (%(provider)s::text IS NULL OR provider = %(provider)s)
  AND (%(tenant_id)s::text IS NULL OR tenant_id = %(tenant_id)s)
  AND (%(user_id)s::text IS NULL OR user_id = %(user_id)s)
  AND (%(trace_id)s::text IS NULL OR trace_id = %(trace_id)s)
  AND (%(prompt_version)s::text IS NULL OR prompt_version = %(prompt_version)s)
  AND (%(status)s::text IS NULL OR status = %(status)s)
  AND (%(grep_like)s::text IS NULL OR concat_ws(' ', system_prompt, output_text, request::text,
       tool_calls::text) ILIKE %(grep_like)s)
  AND (%(grep)s::text IS NULL OR llmlog_text(system_prompt, output_text, request, tool_calls)
       @@ websearch_to_tsquery('simple', %(grep)s))
  OFFSET 0  -- kept a subquery: one parameterised scan per range
  ) AS c
  GROUP BY 1, 2
),
buckets AS (  -- rolled-up days: each day's and feature's histogram counts, per metric
  SELECT d.day, d.feature, m.metric, b.k::integer AS k, sum(b.n) AS n
  FROM llm_calls_daily d,
  LATERAL (VALUES ('total', d.latency_hist), ('ttft', d.ttft_hist)) AS m(metric, hist),
  LATERAL unnest(m.hist) WITH ORDINALITY AS b(n, k)
  WHERE d.day = ANY ((SELECT days FROM rolled)::date[]) AND b.n > 0
    AND d.day >= (%(since)s::timestamptz AT TIME ZONE 'UTC')::date
    AND (d.day::timestamp AT TIME ZONE 'UTC') < %(until)s
    AND (%(feature)s::text IS NULL OR d.feature = %(feature)s)
    AND (%(model)s::text IS NULL OR d.model = %(model)s)
    AND (%(provider)s::text IS NULL OR d.provider = %(provider)s)
    AND (%(tenant_id)s::text IS NULL OR d.tenant_id = %(tenant_id)s)
    AND (%(prompt_version)s::text IS NULL OR d.prompt_version = %(prompt_version)s)
    -- rolled-up days keep no users, traces or text: those filters see hot rows only
    AND %(user_id)s::text IS NULL AND %(trace_id)s::text IS NULL
    AND %(status)s::text IS NULL AND %(grep)s::text IS NULL
  GROUP BY 1, 2, 3, 4
),
approx AS (  -- the bucket holding each percentile, interpolated geometrically inside it
  SELECT day, feature, metric, max(total)::bigint AS calls,
         ARRAY[min(llmlog_bucket_at(k, (0.5 * total - (upto - n)) / nullif(n, 0)))
                 FILTER (WHERE upto >= 0.5 * total),
               min(llmlog_bucket_at(k, (0.95 * total - (upto - n)) / nullif(n, 0)))
                 FILTER (WHERE upto >= 0.95 * total),
               min(llmlog_bucket_at(k, (0.99 * total - (upto - n)) / nullif(n, 0)))
                 FILTER (WHERE upto >= 0.99 * total)] AS p
  FROM (
    SELECT *, sum(n) OVER (PARTITION BY day, feature, metric ORDER BY k) AS upto,
           sum(n) OVER (PARTITION BY day, feature, metric) AS total
    FROM buckets
  ) AS running
  GROUP BY 1, 2, 3
)
SELECT day, feature, metric, calls, p[1] AS p50_ms, p[2] AS p95_ms, p[3] AS p99_ms,
       approximate
FROM (
  SELECT e.day, e.feature, m.metric, e.calls, m.p, false AS approximate
  FROM exact e, LATERAL (VALUES ('total', e.total), ('ttft', e.ttft)) AS m(metric, p)
  UNION ALL
  SELECT day, feature, metric, calls, p, true FROM approx
) AS both_tiers
ORDER BY day, feature, metric
