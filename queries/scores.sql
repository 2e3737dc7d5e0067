-- name: scores
-- description: LLM-as-judge scores (`llmlog judge`) per day or week (by=total: the whole
-- description: window), per feature, tenant_id, prompt_version or model of the judged calls
-- description: (key=none: all together): calls scored, verdicts that failed to parse, mean
-- description: score, share passed, and the mean of the 7 days ending on the row's last day
-- description: with scores. Days are the judged calls' (UTC).
-- param by: text = day
-- param key: text = feature
-- param since: timestamptz = 30d
-- param until: timestamptz = infinity
-- param feature: text = null
-- param tenant_id: text = null
-- param model: text = null
-- param prompt_version: text = null
-- param judge_model: text = null
-- param rubric: text = null
WITH judged AS (  -- from 6 days before the window: its first days' moving average
  SELECT (c.ts AT TIME ZONE 'UTC')::date AS day,
         CASE %(key)s WHEN 'feature' THEN c.feature WHEN 'tenant_id' THEN c.tenant_id
           WHEN 'prompt_version' THEN c.prompt_version WHEN 'model' THEN c.model END AS key,
         s.status, s.score, s.passed
  FROM llm_scores s,
  LATERAL (  -- each score's call by its key (a join would scan the window's calls)
    SELECT ts, feature, tenant_id, prompt_version, model FROM llm_calls
    WHERE id = s.call_id AND ts = s.call_ts
      AND ts >= %(since)s::timestamptz - interval '6 days' AND ts < %(until)s
    LIMIT 1
  ) AS c
  WHERE s.call_ts >= %(since)s::timestamptz - interval '6 days' AND s.call_ts < %(until)s
    AND (%(feature)s::text IS NULL OR c.feature = %(feature)s)
    AND (%(tenant_id)s::text IS NULL OR c.tenant_id = %(tenant_id)s)
    AND (%(model)s::text IS NULL OR c.model = %(model)s)
    AND (%(prompt_version)s::text IS NULL OR c.prompt_version = %(prompt_version)s)
    AND (%(judge_model)s::text IS NULL OR s.judge_model = %(judge_model)s)
    AND (%(rubric)s::text IS NULL OR s.rubric = %(rubric)s)
),
daily AS (
  SELECT day, key, count(*) FILTER (WHERE status = 'scored') AS scored,
         count(*) FILTER (WHERE status = 'failed') AS failed,
         sum(score) AS score_sum, count(*) FILTER (WHERE passed) AS passed
  FROM judged
  GROUP BY day, key
),
moving AS (
  SELECT *, sum(score_sum) OVER w / nullif(sum(scored) OVER w, 0) AS moving_avg_7d
  FROM daily
  WINDOW w AS (PARTITION BY key ORDER BY day RANGE BETWEEN '6 days' PRECEDING AND CURRENT ROW)
)
SELECT CASE WHEN %(by)s = 'day' THEN day END AS day,
       CASE WHEN %(by)s = 'week' THEN date_trunc('week', day::timestamp)::date END AS week,
       key, sum(scored)::bigint AS scored, sum(failed)::bigint AS failed,
       sum(score_sum) / nullif(sum(scored), 0) AS mean_score,
       sum(passed)::float8 / nullif(sum(scored), 0) AS pass_rate,
       (array_agg(moving_avg_7d ORDER BY day DESC))[1] AS moving_avg_7d
FROM moving
WHERE day >= (%(since)s::timestamptz AT TIME ZONE 'UTC')::date
GROUP BY 1, 2, key
ORDER BY 1, 2, mean_score NULLS LAST, key
