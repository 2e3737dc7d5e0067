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
WITH rolled AS (  -- days read from llm_calls_daily, not from rows (their rows gone, or not needed)
  SELECT llmlog_rolled_days(%(since)s, %(until)s,
    %(user_id)s::text IS NOT NULL OR %(trace_id)s::text IS NOT NULL
    OR %(status)s::text IS NOT NULL OR %(grep)s::text IS NOT NULL) AS days
),
hot AS (  -- the rows of the other days, range by range (each scan prunes its partitions)
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
  FROM llmlog_hot_ranges(%(since)s, %(until)s, (SELECT days FROM rolled)) AS r,
  LATERAL (
  SELECT ts, feature, tenant_id, provider, model, prompt_version, status, finish_reason,
         feedback, output_tokens, cost_usd
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
  GROUP BY 1, 2, 3, 4, 5, 6
),
cold AS (
  SELECT d.day,
         CASE WHEN 'feature' = ANY(%(by)s::text[]) THEN d.feature END AS feature,
         CASE WHEN 'tenant_id' = ANY(%(by)s::text[]) THEN d.tenant_id END AS tenant_id,
         CASE WHEN 'provider' = ANY(%(by)s::text[]) THEN d.provider END AS provider,
         CASE WHEN 'model' = ANY(%(by)s::text[]) THEN d.model END AS model,
         CASE WHEN 'prompt_version' = ANY(%(by)s::text[]) THEN d.prompt_version END
           AS prompt_version,
         sum(d.calls) AS calls, sum(d.errors) AS errors, sum(d.refusals) AS refusals,
         sum(d.feedback_down) AS feedback_down, sum(d.feedback_up) AS feedback_up,
         sum(d.output_tokens) AS output_tokens, sum(d.cost_usd) AS cost_usd
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
  GROUP BY 1, 2, 3, 4, 5, 6
),
both_tiers AS (
  SELECT * FROM hot
  UNION ALL
  SELECT * FROM cold
)
SELECT day, feature, tenant_id, provider, model, prompt_version, sum(calls)::bigint AS calls,
       sum(errors)::bigint AS errors, sum(refusals)::bigint AS refusals,
       sum(feedback_down)::bigint AS feedback_down, sum(feedback_up)::bigint AS feedback_up,
       sum(output_tokens)::bigint AS output_tokens, sum(cost_usd) AS cost_usd
FROM both_tiers
GROUP BY day, feature, tenant_id, provider, model, prompt_version
ORDER BY day, cost_usd DESC NULLS LAST, feature, tenant_id, provider, model, prompt_version
