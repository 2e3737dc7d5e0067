-- name: usage_by_day
-- description: Per day and per any of feature, tenant_id, provider, model, prompt_version
-- description: (by): calls, errors, refusals, thumbs down and up, output tokens and spend.
-- description: Rolled-up days come from llm_calls_daily. (The cost and quality dashboards.)
-- param by: text[] = feature
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
  SELECT (ts AT TIME ZONE 'UTC')::date AS day,
         CASE WHEN 'feature' = ANY(%(by)s::text[]) THEN feature END AS feature,
         CASE WHEN 'tenant_id' = ANY(%(by)s::text[]) THEN tenant_id END AS tenant_id,
         CASE WHEN 'provider' = ANY(%(by)s::text[]) THEN provider END AS provider,
         CASE WHEN 'model' = ANY(%(by)s::text[]) THEN model END AS model,
         CASE WHEN 'prompt_version' = ANY(%(by)s::text[]) THEN prompt_version END
           AS prompt_version,
         count(*) AS calls, count(*) FILTER (WHERE status = 'error') AS errors,
         count(*) FILTER (WHERE finish_reason IN ('refusal', 'content_filter')) AS refusals,
         count(*) FILTER (WHERE feedback = -1) AS feedback_down,
         count(*) FILTER (WHERE feedback = 1) AS feedback_up,
         coalesce(sum(output_tokens), 0) AS output_tokens, sum(cost_usd) AS cost_usd
  FROM llmlog_hot_calls(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s)
  GROUP BY 1, 2, 3, 4, 5, 6
  UNION ALL
  SELECT day,
         CASE WHEN 'feature' = ANY(%(by)s::text[]) THEN feature END AS feature,
         CASE WHEN 'tenant_id' = ANY(%(by)s::text[]) THEN tenant_id END AS tenant_id,
         CASE WHEN 'provider' = ANY(%(by)s::text[]) THEN provider END AS provider,
         CASE WHEN 'model' = ANY(%(by)s::text[]) THEN model END AS model,
         CASE WHEN 'prompt_version' = ANY(%(by)s::text[]) THEN prompt_version END
           AS prompt_version,
         sum(calls), sum(errors), sum(refusals), sum(feedback_down), sum(feedback_up),
         sum(output_tokens), sum(cost_usd)
  FROM llmlog_rolled(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s)
  GROUP BY 1, 2, 3, 4, 5, 6
)
SELECT day, feature, tenant_id, provider, model, prompt_version, sum(calls)::bigint AS calls,
       sum(errors)::bigint AS errors, sum(refusals)::bigint AS refusals,
       sum(feedback_down)::bigint AS feedback_down, sum(feedback_up)::bigint AS feedback_up,
       sum(output_tokens)::bigint AS output_tokens, sum(cost_usd) AS cost_usd
FROM both_tiers
GROUP BY day, feature, tenant_id, provider, model, prompt_version
ORDER BY day, cost_usd DESC NULLS LAST, feature, tenant_id, provider, model, prompt_version
