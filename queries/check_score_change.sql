-- name: check_score_change
-- description: Mean judge score (`llmlog judge`) of the calls of the week before `now` and of
-- description: the week before that, per feature, tenant_id or model (key=none: all), with
-- description: how many scores each mean has (`llmlog check`'s score_drop_wow).
-- param now: timestamptz = now
-- param key: text = none
-- param feature: text = null
-- param tenant_id: text = null
-- param model: text = null
-- param week_ago: timestamptz
-- param two_weeks_ago: timestamptz
SELECT CASE %(key)s WHEN 'feature' THEN c.feature WHEN 'tenant_id' THEN c.tenant_id
         WHEN 'model' THEN c.model END AS key,
       avg(s.score) FILTER (WHERE s.call_ts >= %(week_ago)s) AS this_week,
       count(s.score) FILTER (WHERE s.call_ts >= %(week_ago)s) AS this_week_scores,
       avg(s.score) FILTER (WHERE s.call_ts < %(week_ago)s) AS last_week,
       count(s.score) FILTER (WHERE s.call_ts < %(week_ago)s) AS last_week_scores
FROM llm_scores s,
LATERAL (  -- each score's call by its key (a join would scan the window's calls: 7x slower)
  SELECT feature, tenant_id, model FROM llm_calls
  WHERE id = s.call_id AND ts = s.call_ts AND ts >= %(two_weeks_ago)s AND ts < %(now)s
  LIMIT 1
) AS c
WHERE s.status = 'scored'
  AND s.call_ts >= %(two_weeks_ago)s AND s.call_ts < %(now)s
  AND (%(feature)s::text IS NULL OR c.feature = %(feature)s)
  AND (%(tenant_id)s::text IS NULL OR c.tenant_id = %(tenant_id)s)
  AND (%(model)s::text IS NULL OR c.model = %(model)s)
GROUP BY 1
