-- name: drift
-- description: Did a new prompt version (by=prompt_version) or model (by=model) change
-- description: behaviour? Per value: calls, mean output tokens, refusal and error rates,
-- description: cost per call, and p95 latency estimated from log-bucket histograms
-- description: (interpolated inside buckets 1.26x wide; `latency` gives exact percentiles).
-- param by: text = prompt_version
-- param since: timestamptz = 30d
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
WITH kept AS (  -- one pass over hot rows not rolled up: per group and latency bucket
  SELECT CASE WHEN %(by)s = 'prompt_version' THEN prompt_version END AS prompt_version,
         CASE WHEN %(by)s = 'model' THEN model END AS model,
         CASE WHEN latency_ms IS NOT NULL THEN llmlog_latency_bucket(latency_ms) END AS k,
         count(*) AS calls,
         count(latency_ms) AS timed, sum(output_tokens) AS output_tokens,
         count(*) FILTER (WHERE finish_reason IN ('refusal', 'content_filter')) AS refusals,
         count(*) FILTER (WHERE status = 'error') AS errors, sum(cost_usd) AS cost_usd
  FROM llmlog_hot_calls(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s)
  GROUP BY 1, 2, k
),
cold AS (
  SELECT CASE WHEN %(by)s = 'prompt_version' THEN d.prompt_version END AS prompt_version,
         CASE WHEN %(by)s = 'model' THEN d.model END AS model,
         d.calls, d.output_tokens, d.refusals, d.errors, d.cost_usd, d.latency_hist
  FROM llmlog_rolled(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s) AS d
),
totals AS (
  SELECT prompt_version, model, sum(calls)::bigint AS calls,
         sum(output_tokens) AS output_tokens, sum(refusals) AS refusals,
         sum(errors) AS errors, sum(cost_usd) AS cost_usd
  FROM (
    SELECT prompt_version, model, calls, output_tokens, refusals, errors, cost_usd FROM kept
    UNION ALL
    SELECT prompt_version, model, calls, output_tokens, refusals, errors, cost_usd FROM cold
  ) AS both_tiers
  GROUP BY 1, 2
),
cold_hist AS (  -- histograms summed per group (60 sums beat unnesting every day's array)
  SELECT prompt_version, model, ARRAY[
    sum(latency_hist[1]), sum(latency_hist[2]), sum(latency_hist[3]), sum(latency_hist[4]), sum(latency_hist[5]),
    sum(latency_hist[6]), sum(latency_hist[7]), sum(latency_hist[8]), sum(latency_hist[9]), sum(latency_hist[10]),
    sum(latency_hist[11]), sum(latency_hist[12]), sum(latency_hist[13]), sum(latency_hist[14]), sum(latency_hist[15]),
    sum(latency_hist[16]), sum(latency_hist[17]), sum(latency_hist[18]), sum(latency_hist[19]), sum(latency_hist[20]),
    sum(latency_hist[21]), sum(latency_hist[22]), sum(latency_hist[23]), sum(latency_hist[24]), sum(latency_hist[25]),
    sum(latency_hist[26]), sum(latency_hist[27]), sum(latency_hist[28]), sum(latency_hist[29]), sum(latency_hist[30]),
    sum(latency_hist[31]), sum(latency_hist[32]), sum(latency_hist[33]), sum(latency_hist[34]), sum(latency_hist[35]),
    sum(latency_hist[36]), sum(latency_hist[37]), sum(latency_hist[38]), sum(latency_hist[39]), sum(latency_hist[40]),
    sum(latency_hist[41]), sum(latency_hist[42]), sum(latency_hist[43]), sum(latency_hist[44]), sum(latency_hist[45]),
    sum(latency_hist[46]), sum(latency_hist[47]), sum(latency_hist[48]), sum(latency_hist[49]), sum(latency_hist[50]),
    sum(latency_hist[51]), sum(latency_hist[52]), sum(latency_hist[53]), sum(latency_hist[54]), sum(latency_hist[55]),
    sum(latency_hist[56]), sum(latency_hist[57]), sum(latency_hist[58]), sum(latency_hist[59]), sum(latency_hist[60])
  ] AS hist
  FROM cold
  GROUP BY 1, 2
),
buckets AS (
  SELECT prompt_version, model, k, sum(n) AS n
  FROM (
    SELECT prompt_version, model, k, timed AS n FROM kept WHERE k IS NOT NULL
    UNION ALL
    SELECT c.prompt_version, c.model, b.k::integer, b.n
    FROM cold_hist c, unnest(c.hist) WITH ORDINALITY AS b(n, k)
    WHERE b.n > 0
  ) AS counted
  GROUP BY 1, 2, 3
),
p95 AS (  -- the bucket holding the 95th percentile, interpolated geometrically inside it
  SELECT prompt_version, model,
         min(llmlog_bucket_at(k, (0.95 * total - (upto - n)) / nullif(n, 0)))
           FILTER (WHERE upto >= 0.95 * total) AS p95_ms
  FROM (
    SELECT *, sum(n) OVER (PARTITION BY prompt_version, model ORDER BY k) AS upto,
           sum(n) OVER (PARTITION BY prompt_version, model) AS total
    FROM buckets
  ) AS running
  GROUP BY 1, 2
)
SELECT t.prompt_version, t.model, t.calls,
       t.output_tokens::float8 / nullif(t.calls, 0) AS avg_output_tokens,
       t.refusals::float8 / nullif(t.calls, 0) AS refusal_rate,
       t.errors::float8 / nullif(t.calls, 0) AS error_rate,
       t.cost_usd / nullif(t.calls, 0) AS avg_cost_usd,
       p.p95_ms
FROM totals t
LEFT JOIN p95 p
  ON p.prompt_version IS NOT DISTINCT FROM t.prompt_version
 AND p.model IS NOT DISTINCT FROM t.model
ORDER BY t.prompt_version, t.model
