-- name: check_usage
-- description: Calls, errors, refusals, output tokens and spend per feature, tenant_id or model
-- description: (key=none: all together), and per UTC day when by_day (`llmlog check`).
-- description: Rolled-up days come from llm_calls_daily.
-- param key: text = none
-- param by_day: bool = false
-- param since: timestamptz = 24h
-- param until: timestamptz = infinity
-- param feature: text = null
-- param tenant_id: text = null
-- param model: text = null
WITH both_tiers AS (  -- hot calls summed here: cheaper than one row each
  SELECT CASE WHEN %(by_day)s THEN (ts AT TIME ZONE 'UTC')::date END AS day,
         CASE %(key)s WHEN 'feature' THEN feature WHEN 'tenant_id' THEN tenant_id
           WHEN 'model' THEN model END AS key,
         count(*) AS calls, count(*) FILTER (WHERE status = 'error') AS errors,
         count(*) FILTER (WHERE finish_reason IN ('refusal', 'content_filter')) AS refusals,
         coalesce(sum(output_tokens), 0) AS output_tokens, sum(cost_usd) AS cost_usd
  FROM llmlog_hot_calls(%(since)s, %(until)s, feature => %(feature)s, model => %(model)s,
    tenant_id => %(tenant_id)s)
  GROUP BY 1, 2
  UNION ALL
  SELECT CASE WHEN %(by_day)s THEN day END,
         CASE %(key)s WHEN 'feature' THEN feature WHEN 'tenant_id' THEN tenant_id
           WHEN 'model' THEN model END,
         sum(calls), sum(errors), sum(refusals), sum(output_tokens), sum(cost_usd)
  FROM llmlog_rolled(%(since)s, %(until)s, feature => %(feature)s, model => %(model)s,
    tenant_id => %(tenant_id)s)
  GROUP BY 1, 2
)
SELECT day, key, sum(calls)::bigint AS calls, sum(errors)::bigint AS errors,
       sum(refusals)::bigint AS refusals, sum(output_tokens)::bigint AS output_tokens,
       sum(cost_usd) AS cost_usd
FROM both_tiers
GROUP BY day, key
ORDER BY day, key
