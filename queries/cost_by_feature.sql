-- name: cost_by_feature
-- description: Calls, errors, tokens and spend per feature, per day, week or month (by=total
-- description: for one row per feature). Rolled-up days come from llm_calls_daily.
-- param by: text = day
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
hot AS (  -- the rows of the other days, range by range (each scan prunes its partitions)
  SELECT (ts AT TIME ZONE 'UTC')::date AS day, feature, count(*) AS calls,
         count(*) FILTER (WHERE status = 'error') AS errors, sum(cost_usd) AS cost_usd,
         coalesce(sum(input_tokens), 0) AS input_tokens,
         coalesce(sum(output_tokens), 0) AS output_tokens
  FROM llmlog_hot_ranges(%(since)s, %(until)s, (SELECT days FROM rolled)) AS r,
  LATERAL (
  SELECT ts, feature, status, cost_usd, input_tokens, output_tokens
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
  GROUP BY day, feature
),
cold AS (
  SELECT d.day, d.feature, sum(d.calls) AS calls, sum(d.errors) AS errors,
         sum(d.cost_usd) AS cost_usd, sum(d.input_tokens) AS input_tokens,
         sum(d.output_tokens) AS output_tokens
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
  GROUP BY d.day, d.feature
),
both_tiers AS (
  SELECT * FROM hot
  UNION ALL
  SELECT * FROM cold
)
SELECT CASE WHEN %(by)s = 'day' THEN day END AS day,
       CASE WHEN %(by)s = 'week' THEN date_trunc('week', day::timestamp)::date END AS week,
       CASE WHEN %(by)s = 'month' THEN date_trunc('month', day::timestamp)::date END AS month,
       feature, sum(calls)::bigint AS calls, sum(errors)::bigint AS errors,
       sum(cost_usd) AS cost_usd, sum(input_tokens)::bigint AS input_tokens,
       sum(output_tokens)::bigint AS output_tokens
FROM both_tiers
GROUP BY 1, 2, 3, feature
ORDER BY 1, 2, 3, cost_usd DESC NULLS LAST, feature
