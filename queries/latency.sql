-- name: latency
-- description: Latency percentiles (metric=total: latency_ms, metric=ttft: ttft_ms) grouped by
-- description: any of feature, model, provider, prompt_version, tenant_id. Exact
-- description: percentile_cont on hot rows; a group that spans rolled-up days is estimated
-- description: from the daily log-bucket histograms (approximate=true).
-- param by: text[] = feature,model
-- param metric: text = total
-- param since: timestamptz = 24h
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
WITH hot AS NOT MATERIALIZED (  -- read by exact, and by hot_buckets only when days are rolled up
  SELECT
         CASE WHEN 'feature' = ANY(%(by)s::text[]) THEN feature END AS feature,
         CASE WHEN 'model' = ANY(%(by)s::text[]) THEN model END AS model,
         CASE WHEN 'provider' = ANY(%(by)s::text[]) THEN provider END AS provider,
         CASE WHEN 'prompt_version' = ANY(%(by)s::text[]) THEN prompt_version END
           AS prompt_version,
         CASE WHEN 'tenant_id' = ANY(%(by)s::text[]) THEN tenant_id END AS tenant_id,
         CASE WHEN %(metric)s = 'ttft' THEN ttft_ms ELSE latency_ms END AS ms
  FROM llmlog_hot_calls(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s, true)
),
cold AS (
  SELECT
         CASE WHEN 'feature' = ANY(%(by)s::text[]) THEN d.feature END AS feature,
         CASE WHEN 'model' = ANY(%(by)s::text[]) THEN d.model END AS model,
         CASE WHEN 'provider' = ANY(%(by)s::text[]) THEN d.provider END AS provider,
         CASE WHEN 'prompt_version' = ANY(%(by)s::text[]) THEN d.prompt_version END
           AS prompt_version,
         CASE WHEN 'tenant_id' = ANY(%(by)s::text[]) THEN d.tenant_id END AS tenant_id,
         CASE WHEN %(metric)s = 'ttft' THEN d.ttft_hist ELSE d.latency_hist END AS hist
  FROM llmlog_rolled(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s, true) AS d
),
cold_hist AS (  -- histograms summed per group (60 sums beat unnesting every day's array)
  SELECT feature, model, provider, prompt_version, tenant_id, ARRAY[
    sum(hist[1]), sum(hist[2]), sum(hist[3]), sum(hist[4]), sum(hist[5]),
    sum(hist[6]), sum(hist[7]), sum(hist[8]), sum(hist[9]), sum(hist[10]),
    sum(hist[11]), sum(hist[12]), sum(hist[13]), sum(hist[14]), sum(hist[15]),
    sum(hist[16]), sum(hist[17]), sum(hist[18]), sum(hist[19]), sum(hist[20]),
    sum(hist[21]), sum(hist[22]), sum(hist[23]), sum(hist[24]), sum(hist[25]),
    sum(hist[26]), sum(hist[27]), sum(hist[28]), sum(hist[29]), sum(hist[30]),
    sum(hist[31]), sum(hist[32]), sum(hist[33]), sum(hist[34]), sum(hist[35]),
    sum(hist[36]), sum(hist[37]), sum(hist[38]), sum(hist[39]), sum(hist[40]),
    sum(hist[41]), sum(hist[42]), sum(hist[43]), sum(hist[44]), sum(hist[45]),
    sum(hist[46]), sum(hist[47]), sum(hist[48]), sum(hist[49]), sum(hist[50]),
    sum(hist[51]), sum(hist[52]), sum(hist[53]), sum(hist[54]), sum(hist[55]),
    sum(hist[56]), sum(hist[57]), sum(hist[58]), sum(hist[59]), sum(hist[60])
  ] AS hist
  FROM cold
  GROUP BY feature, model, provider, prompt_version, tenant_id
),
exact AS (
  SELECT feature, model, provider, prompt_version, tenant_id, count(*) AS calls,
         percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY ms) AS p
  FROM hot
  WHERE ms IS NOT NULL
  GROUP BY feature, model, provider, prompt_version, tenant_id
),
hot_buckets AS (  -- only when some day is rolled up: hot rows bucketed like the histograms
  SELECT feature, model, provider, prompt_version, tenant_id,
         llmlog_latency_bucket(ms) AS k, count(*) AS n
  FROM hot
  WHERE ms IS NOT NULL AND EXISTS (SELECT 1 FROM cold)
  GROUP BY feature, model, provider, prompt_version, tenant_id, k
),
buckets AS (  -- groups with rolled-up days: hot and cold buckets together
  SELECT feature, model, provider, prompt_version, tenant_id, k, sum(n) AS n
  FROM (
    SELECT * FROM hot_buckets h
    WHERE EXISTS (
      SELECT 1 FROM cold_hist c
      WHERE c.feature IS NOT DISTINCT FROM h.feature AND c.model IS NOT DISTINCT FROM h.model
        AND c.provider IS NOT DISTINCT FROM h.provider
        AND c.prompt_version IS NOT DISTINCT FROM h.prompt_version
        AND c.tenant_id IS NOT DISTINCT FROM h.tenant_id
    )
    UNION ALL
    SELECT c.feature, c.model, c.provider, c.prompt_version, c.tenant_id, b.k::integer, b.n
    FROM cold_hist c, unnest(c.hist) WITH ORDINALITY AS b(n, k)
    WHERE b.n > 0
  ) AS counted
  GROUP BY feature, model, provider, prompt_version, tenant_id, k
),
cumulative AS (
  SELECT *, sum(n) OVER w AS upto,
         sum(n) OVER (PARTITION BY feature, model, provider, prompt_version, tenant_id) AS total
  FROM buckets
  WINDOW w AS (PARTITION BY feature, model, provider, prompt_version, tenant_id ORDER BY k)
),
approx AS (  -- the bucket holding each percentile, interpolated geometrically inside it
  SELECT feature, model, provider, prompt_version, tenant_id, max(total)::bigint AS calls,
         ARRAY[min(llmlog_bucket_at(k, (0.5 * total - (upto - n)) / nullif(n, 0)))
                 FILTER (WHERE upto >= 0.5 * total),
               min(llmlog_bucket_at(k, (0.95 * total - (upto - n)) / nullif(n, 0)))
                 FILTER (WHERE upto >= 0.95 * total),
               min(llmlog_bucket_at(k, (0.99 * total - (upto - n)) / nullif(n, 0)))
                 FILTER (WHERE upto >= 0.99 * total)] AS p
  FROM cumulative
  GROUP BY feature, model, provider, prompt_version, tenant_id
  HAVING max(total) > 0
),
both_tiers AS (
  SELECT *, true AS approximate FROM approx
  UNION ALL
  SELECT *, false FROM exact e
  WHERE NOT EXISTS (
    SELECT 1 FROM approx a
    WHERE a.feature IS NOT DISTINCT FROM e.feature AND a.model IS NOT DISTINCT FROM e.model
    AND a.provider IS NOT DISTINCT FROM e.provider
    AND a.prompt_version IS NOT DISTINCT FROM e.prompt_version
    AND a.tenant_id IS NOT DISTINCT FROM e.tenant_id
  )
)
SELECT feature, model, provider, prompt_version, tenant_id, calls, p[1] AS p50_ms,
       p[2] AS p95_ms, p[3] AS p99_ms, approximate
FROM both_tiers
ORDER BY p95_ms DESC NULLS LAST, calls DESC
