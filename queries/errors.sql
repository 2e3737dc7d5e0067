-- name: errors
-- description: Errors grouped by (error_type, model, feature): count, first and last seen,
-- description: an example id. Rolled-up days count under error_type NULL.
-- param since: timestamptz = 7d
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
  SELECT error_type, model, feature, count(*) AS errors, min(ts) AS first_seen,
         max(ts) AS last_seen, (array_agg(id ORDER BY ts DESC))[1] AS example_id
  FROM llmlog_hot_ranges(%(since)s, %(until)s, (SELECT days FROM rolled)) AS r,
  LATERAL (
  SELECT id, ts, error_type, model, feature
  FROM llm_calls
  WHERE status = 'error'
    AND ts >= %(since)s AND ts < %(until)s  -- pruned at plan time to the window
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
  GROUP BY error_type, model, feature
),
cold AS (
  SELECT NULL::text AS error_type, d.model, d.feature, sum(d.errors)::bigint AS errors,
         min(d.day)::timestamp AT TIME ZONE 'UTC' AS first_seen,
         (max(d.day) + 1)::timestamp AT TIME ZONE 'UTC' AS last_seen, NULL::uuid AS example_id
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
    AND d.errors > 0
  GROUP BY d.model, d.feature
)
SELECT error_type, model, feature, sum(errors)::bigint AS errors, min(first_seen) AS first_seen,
       max(last_seen) AS last_seen, (array_agg(example_id ORDER BY last_seen DESC))[1] AS example_id
FROM (
  SELECT * FROM hot
  UNION ALL
  SELECT * FROM cold
) AS both_tiers
GROUP BY error_type, model, feature
ORDER BY errors DESC, last_seen DESC
