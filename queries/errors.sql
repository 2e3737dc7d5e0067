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
WITH hot AS (
  SELECT error_type, model, feature, count(*) AS errors, min(ts) AS first_seen,
         max(ts) AS last_seen, (array_agg(id ORDER BY ts DESC))[1] AS example_id
  FROM llmlog_hot_calls(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s)
  WHERE status = 'error'  -- reaches each range's scan (the partial index on errors)
  GROUP BY error_type, model, feature
),
cold AS (
  SELECT NULL::text AS error_type, d.model, d.feature, sum(d.errors)::bigint AS errors,
         min(d.day)::timestamp AT TIME ZONE 'UTC' AS first_seen,
         (max(d.day) + 1)::timestamp AT TIME ZONE 'UTC' AS last_seen, NULL::uuid AS example_id
  FROM llmlog_rolled(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s) AS d
  WHERE d.errors > 0
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
