-- name: cost_by_model
-- description: Spend per provider and model: calls, total, average and p95 cost per call
-- description: (p95 from hot rows only), and share of all spend in the window.
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
WITH rolled AS (  -- days read from llm_calls_daily, not from rows (their rows gone, or not needed)
  SELECT llmlog_rolled_days(%(since)s, %(until)s,
    %(user_id)s::text IS NOT NULL OR %(trace_id)s::text IS NOT NULL
    OR %(status)s::text IS NOT NULL OR %(grep)s::text IS NOT NULL) AS days
),
hot AS (
  SELECT provider, model, count(*) AS calls, sum(cost_usd) AS cost_usd,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY cost_usd::float8) AS p95_cost_usd
  FROM llmlog_hot_ranges(%(since)s, %(until)s, (SELECT days FROM rolled)) AS r,
  LATERAL (
  SELECT provider, model, cost_usd
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
  GROUP BY provider, model
),
cold AS (
  SELECT d.provider, d.model, sum(d.calls) AS calls, sum(d.cost_usd) AS cost_usd,
         NULL::float8 AS p95_cost_usd
  FROM llm_calls_daily d
  WHERE d.day = ANY ((SELECT days FROM rolled)::date[])
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
  GROUP BY d.provider, d.model
),
per_model AS (
  SELECT provider, model, sum(calls)::bigint AS calls, sum(cost_usd) AS cost_usd,
         max(p95_cost_usd) AS p95_cost_usd
  FROM (SELECT * FROM hot UNION ALL SELECT * FROM cold) AS both_tiers
  GROUP BY provider, model
)
SELECT provider, model, calls, cost_usd, cost_usd / nullif(calls, 0) AS avg_cost_usd,
       p95_cost_usd, cost_usd / nullif(sum(cost_usd) OVER (), 0) AS share
FROM per_model
ORDER BY cost_usd DESC NULLS LAST, calls DESC
