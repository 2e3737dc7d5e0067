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
WITH both_tiers AS (  -- hot calls summed per day here: cheaper than one row each
  SELECT (ts AT TIME ZONE 'UTC')::date AS day, feature, count(*) AS calls,
         count(*) FILTER (WHERE status = 'error') AS errors, sum(cost_usd) AS cost_usd,
         coalesce(sum(input_tokens), 0) AS input_tokens,
         coalesce(sum(output_tokens), 0) AS output_tokens
  FROM llmlog_hot_calls(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s)
  GROUP BY 1, 2
  UNION ALL
  SELECT day, feature, sum(calls), sum(errors), sum(cost_usd), sum(input_tokens),
         sum(output_tokens)
  FROM llmlog_rolled(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s)
  GROUP BY 1, 2
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
