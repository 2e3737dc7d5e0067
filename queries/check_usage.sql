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
WITH rolled AS (  -- days read from llm_calls_daily, not from rows (their rows gone, or not needed)
  SELECT llmlog_rolled_days(%(since)s, %(until)s, false) AS days
),
hot AS (  -- the rows of the other days, range by range (each scan prunes its partitions)
  SELECT CASE WHEN %(by_day)s THEN (ts AT TIME ZONE 'UTC')::date END AS day,
         CASE %(key)s WHEN 'feature' THEN feature WHEN 'tenant_id' THEN tenant_id
           WHEN 'model' THEN model END AS key,
         count(*) AS calls, count(*) FILTER (WHERE status = 'error') AS errors,
         count(*) FILTER (WHERE finish_reason IN ('refusal', 'content_filter')) AS refusals,
         coalesce(sum(output_tokens), 0) AS output_tokens, sum(cost_usd) AS cost_usd
  FROM llmlog_hot_ranges(%(since)s, %(until)s, (SELECT days FROM rolled)) AS r,
  LATERAL (
  SELECT ts, feature, tenant_id, model, status, finish_reason, output_tokens, cost_usd
  FROM llm_calls
  WHERE ts >= %(since)s AND ts < %(until)s  -- pruned at plan time to the window
    AND ts >= r.lo AND ts < r.hi  -- and at run time to the range
  AND (%(feature)s::text IS NULL OR feature = %(feature)s)
  AND (%(tenant_id)s::text IS NULL OR tenant_id = %(tenant_id)s)
  AND (%(model)s::text IS NULL OR model = %(model)s)
  OFFSET 0  -- kept a subquery: one parameterised scan per range
  ) AS c
  GROUP BY 1, 2
),
cold AS (
  SELECT CASE WHEN %(by_day)s THEN d.day END AS day,
         CASE %(key)s WHEN 'feature' THEN d.feature WHEN 'tenant_id' THEN d.tenant_id
           WHEN 'model' THEN d.model END AS key,
         sum(d.calls) AS calls, sum(d.errors) AS errors, sum(d.refusals) AS refusals,
         sum(d.output_tokens) AS output_tokens, sum(d.cost_usd) AS cost_usd
  FROM llm_calls_daily d
  WHERE d.day = ANY ((SELECT days FROM rolled)::date[])
    AND d.day >= (%(since)s::timestamptz AT TIME ZONE 'UTC')::date
    AND (d.day::timestamp AT TIME ZONE 'UTC') < %(until)s
    AND (%(feature)s::text IS NULL OR d.feature = %(feature)s)
    AND (%(tenant_id)s::text IS NULL OR d.tenant_id = %(tenant_id)s)
    AND (%(model)s::text IS NULL OR d.model = %(model)s)
  GROUP BY 1, 2
)
SELECT day, key, sum(calls)::bigint AS calls, sum(errors)::bigint AS errors,
       sum(refusals)::bigint AS refusals, sum(output_tokens)::bigint AS output_tokens,
       sum(cost_usd) AS cost_usd
FROM (SELECT * FROM hot UNION ALL SELECT * FROM cold) AS both_tiers
GROUP BY day, key
ORDER BY day, key
