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
WITH both_tiers AS (
  SELECT provider, model, count(*) AS calls, sum(cost_usd) AS cost_usd,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY cost_usd::float8) AS p95_cost_usd
  FROM llmlog_hot_calls(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s)
  GROUP BY provider, model
  UNION ALL
  SELECT provider, model, sum(calls), sum(cost_usd), NULL
  FROM llmlog_rolled(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s)
  GROUP BY provider, model
),
per_model AS (
  SELECT provider, model, sum(calls)::bigint AS calls, sum(cost_usd) AS cost_usd,
         max(p95_cost_usd) AS p95_cost_usd
  FROM both_tiers
  GROUP BY provider, model
)
SELECT provider, model, calls, cost_usd, cost_usd / nullif(calls, 0) AS avg_cost_usd,
       p95_cost_usd, cost_usd / nullif(sum(cost_usd) OVER (), 0) AS share
FROM per_model
ORDER BY cost_usd DESC NULLS LAST, calls DESC
