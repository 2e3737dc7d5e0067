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
WITH rolled AS (  -- days read from llm_calls_daily, not from rows (their rows gone, or not needed)
  SELECT llmlog_rolled_days(%(since)s, %(until)s,
    %(user_id)s::text IS NOT NULL OR %(trace_id)s::text IS NOT NULL
    OR %(status)s::text IS NOT NULL OR %(grep)s::text IS NOT NULL) AS days
),
hot AS (
  SELECT tenant_id, (ts AT TIME ZONE 'UTC')::date AS day, count(*) AS calls,
         count(*) FILTER (WHERE status = 'error') AS errors,
         coalesce(sum(input_tokens), 0) AS input_tokens,
         coalesce(sum(output_tokens), 0) AS output_tokens, sum(cost_usd) AS cost_usd
  FROM llmlog_hot_ranges(%(since)s, %(until)s, (SELECT days FROM rolled)) AS r,
  LATERAL (
  SELECT ts, tenant_id, status, input_tokens, output_tokens, cost_usd
  FROM llm_calls
  WHERE ts >= %(since)s AND ts < %(until)s  -- pruned at plan time to the window
    AND ts >= r.lo AND ts < r.hi  -- and at run time to the range
    AND tenant_id IS NOT NULL
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
  GROUP BY tenant_id, day
),
cold AS (
  SELECT d.tenant_id, d.day, sum(d.calls) AS calls, sum(d.errors) AS errors,
         sum(d.input_tokens) AS input_tokens, sum(d.output_tokens) AS output_tokens,
         sum(d.cost_usd) AS cost_usd
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
    AND d.tenant_id IS NOT NULL
  GROUP BY d.tenant_id, d.day
),
days AS (
  SELECT * FROM hot
  UNION ALL
  SELECT * FROM cold
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
