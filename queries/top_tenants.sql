-- name: top_tenants
-- description: The tenants who spend most (calls, errors, tokens, cost), with an outlier flag: spend on the day of
-- description: `today` above the tenant's mean daily spend before it (zero days count) + 3σ.
-- param limit: int = 20
-- param today: timestamptz = now
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
WITH days AS (
  SELECT tenant_id, (ts AT TIME ZONE 'UTC')::date AS day, count(*) AS calls,
         count(*) FILTER (WHERE status = 'error') AS errors,
         coalesce(sum(input_tokens), 0) AS input_tokens,
         coalesce(sum(output_tokens), 0) AS output_tokens, sum(cost_usd) AS cost_usd
  FROM llmlog_hot_calls(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s)
  WHERE tenant_id IS NOT NULL
  GROUP BY tenant_id, day
  UNION ALL
  SELECT tenant_id, day, sum(calls), sum(errors), sum(input_tokens), sum(output_tokens),
         sum(cost_usd)
  FROM llmlog_rolled(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s)
  WHERE tenant_id IS NOT NULL
  GROUP BY tenant_id, day
),
per_tenant AS (
  SELECT tenant_id, sum(calls)::bigint AS calls, sum(errors)::bigint AS errors,
         sum(input_tokens)::bigint AS input_tokens, sum(output_tokens)::bigint AS output_tokens,
         sum(cost_usd) AS cost_usd,
         coalesce(sum(cost_usd) FILTER (WHERE day = today.d), 0) AS today_cost_usd,
         coalesce(sum(cost_usd) FILTER (WHERE day < today.d), 0) AS before,
         coalesce(sum(cost_usd ^ 2) FILTER (WHERE day < today.d), 0) AS before_sq,
         greatest(today.d - (%(since)s::timestamptz AT TIME ZONE 'UTC')::date, 0) AS n
  FROM days, (SELECT (%(today)s::timestamptz AT TIME ZONE 'UTC')::date AS d) AS today
  GROUP BY tenant_id, today.d
),
scored AS (
  SELECT *, before / nullif(n, 0) AS mean_daily_usd,
         sqrt(greatest(before_sq / nullif(n, 0) - (before / nullif(n, 0)) ^ 2, 0))
           AS sd_daily_usd
  FROM per_tenant
)
SELECT tenant_id, calls, errors, input_tokens, output_tokens, cost_usd, today_cost_usd, mean_daily_usd,
       coalesce(n >= 3 AND today_cost_usd > mean_daily_usd + 3 * sd_daily_usd, false) AS outlier
FROM scored
ORDER BY cost_usd DESC NULLS LAST, calls DESC
LIMIT %(limit)s
