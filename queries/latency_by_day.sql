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
WITH exact AS (
  SELECT (ts AT TIME ZONE 'UTC')::date AS day, feature, count(*) AS calls,
         percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY latency_ms) AS total,
         percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY ttft_ms) AS ttft
  FROM llmlog_hot_calls(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s,
    true)  -- exact while rows exist
  GROUP BY 1, 2
),
buckets AS (  -- rolled-up days: each day's and feature's histogram counts, per metric
  SELECT d.day, d.feature, m.metric, b.k::integer AS k, sum(b.n) AS n
  FROM llmlog_rolled(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s,
    true) AS d,  -- only days whose rows are gone
  LATERAL (VALUES ('total', d.latency_hist), ('ttft', d.ttft_hist)) AS m(metric, hist),
  LATERAL unnest(m.hist) WITH ORDINALITY AS b(n, k)
  WHERE b.n > 0
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
