-- name: drift
-- description: Did a new prompt version (by=prompt_version) or model (by=model) change
-- description: behaviour? Per value: calls, mean output tokens, refusal and error rates,
-- description: cost per call and p95 latency (from histograms when rolled-up days are in).
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
WITH rolled AS (  -- days already rolled up into llm_calls_daily: read there, not from hot rows
  SELECT DISTINCT day FROM llm_calls_daily
  WHERE day >= (%(since)s::timestamptz AT TIME ZONE 'UTC')::date
    AND (day::timestamp AT TIME ZONE 'UTC') < %(until)s
),
hot AS (
  SELECT CASE WHEN %(by)s = 'prompt_version' THEN prompt_version END AS prompt_version,
         CASE WHEN %(by)s = 'model' THEN model END AS model,
         count(*) AS calls, sum(output_tokens) AS output_tokens,
         count(*) FILTER (WHERE finish_reason IN ('refusal', 'content_filter')) AS refusals,
         count(*) FILTER (WHERE status = 'error') AS errors, sum(cost_usd) AS cost_usd,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95_ms,
         NULL::integer[] AS hist
  FROM llm_calls
  WHERE ts >= %(since)s AND ts < %(until)s
    AND (ts AT TIME ZONE 'UTC')::date NOT IN (SELECT day FROM rolled)
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
  GROUP BY 1, 2
),
cold AS (
  SELECT CASE WHEN %(by)s = 'prompt_version' THEN d.prompt_version END AS prompt_version,
         CASE WHEN %(by)s = 'model' THEN d.model END AS model,
         d.calls, d.output_tokens, d.refusals, d.errors, d.cost_usd, d.latency_hist AS hist
  FROM llm_calls_daily d
  WHERE d.day >= (%(since)s::timestamptz AT TIME ZONE 'UTC')::date
    AND (d.day::timestamp AT TIME ZONE 'UTC') < %(until)s
    AND (%(feature)s::text IS NULL OR d.feature = %(feature)s)
    AND (%(model)s::text IS NULL OR d.model = %(model)s)
    AND (%(provider)s::text IS NULL OR d.provider = %(provider)s)
    AND (%(tenant_id)s::text IS NULL OR d.tenant_id = %(tenant_id)s)
    AND (%(prompt_version)s::text IS NULL OR d.prompt_version = %(prompt_version)s)
    -- rolled-up days keep no users, traces or text: those filters see hot rows only
    AND %(user_id)s::text IS NULL AND %(trace_id)s::text IS NULL
    AND %(status)s::text IS NULL AND %(grep)s::text IS NULL
),
cold_buckets AS (
  SELECT c.prompt_version, c.model, b.k::integer AS k, sum(b.n) AS n
  FROM cold c, unnest(c.hist) WITH ORDINALITY AS b(n, k)
  GROUP BY 1, 2, 3
),
hot_buckets AS (  -- only when some day is rolled up: hot rows bucketed like the histograms
  SELECT CASE WHEN %(by)s = 'prompt_version' THEN prompt_version END AS prompt_version,
         CASE WHEN %(by)s = 'model' THEN model END AS model,
         llmlog_latency_bucket(latency_ms) AS k, count(*) AS n
  FROM llm_calls
  WHERE EXISTS (SELECT 1 FROM cold)
    AND latency_ms IS NOT NULL AND ts >= %(since)s AND ts < %(until)s
    AND (ts AT TIME ZONE 'UTC')::date NOT IN (SELECT day FROM rolled)
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
  GROUP BY 1, 2, 3
),
cumulative AS (
  SELECT prompt_version, model, k, sum(n) AS n
  FROM (SELECT * FROM cold_buckets UNION ALL SELECT * FROM hot_buckets) AS counted
  GROUP BY 1, 2, 3
),
approx_p95 AS (  -- groups with rolled-up days: p95 from the merged histogram
  SELECT prompt_version, model,
         llmlog_bucket_ms(min(k) FILTER (WHERE upto >= 0.95 * total)) AS p95_ms
  FROM (
    SELECT *, sum(n) OVER (PARTITION BY prompt_version, model ORDER BY k) AS upto,
           sum(n) OVER (PARTITION BY prompt_version, model) AS total
    FROM cumulative
  ) AS running
  WHERE total > 0 AND EXISTS (
    SELECT 1 FROM cold c
    WHERE c.prompt_version IS NOT DISTINCT FROM running.prompt_version
      AND c.model IS NOT DISTINCT FROM running.model
  )
  GROUP BY 1, 2
),
totals AS (
  SELECT prompt_version, model, sum(calls)::bigint AS calls,
         sum(output_tokens) AS output_tokens, sum(refusals) AS refusals,
         sum(errors) AS errors, sum(cost_usd) AS cost_usd, max(p95_ms) AS exact_p95_ms
  FROM (
    SELECT prompt_version, model, calls, output_tokens, refusals, errors, cost_usd, p95_ms
    FROM hot
    UNION ALL
    SELECT prompt_version, model, calls, output_tokens, refusals, errors, cost_usd, NULL
    FROM cold
  ) AS both_tiers
  GROUP BY 1, 2
)
SELECT t.prompt_version, t.model, t.calls,
       t.output_tokens::float8 / nullif(t.calls, 0) AS avg_output_tokens,
       t.refusals::float8 / nullif(t.calls, 0) AS refusal_rate,
       t.errors::float8 / nullif(t.calls, 0) AS error_rate,
       t.cost_usd / nullif(t.calls, 0) AS avg_cost_usd,
       coalesce(a.p95_ms, t.exact_p95_ms) AS p95_ms
FROM totals t
LEFT JOIN approx_p95 a
  ON a.prompt_version IS NOT DISTINCT FROM t.prompt_version
 AND a.model IS NOT DISTINCT FROM t.model
ORDER BY t.prompt_version, t.model
