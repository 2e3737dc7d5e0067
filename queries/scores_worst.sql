-- name: scores_worst
-- description: The lowest-scored calls of the window (`llmlog scores --worst N`), with the
-- description: judge's rationale.
-- param since: timestamptz = 30d
-- param until: timestamptz = infinity
-- param feature: text = null
-- param tenant_id: text = null
-- param model: text = null
-- param prompt_version: text = null
-- param judge_model: text = null
-- param rubric: text = null
-- param limit: int = 10
SELECT s.call_id AS id, c.ts, c.feature, c.tenant_id, c.model, c.prompt_version, s.score,
       s.passed, s.rubric, s.judge_model, s.rationale
FROM llm_scores s,
LATERAL (  -- each score's call by its key (a join would scan the window's calls)
  SELECT ts, feature, tenant_id, prompt_version, model FROM llm_calls
  WHERE id = s.call_id AND ts = s.call_ts AND ts >= %(since)s AND ts < %(until)s
  LIMIT 1
) AS c
WHERE s.status = 'scored'
  AND s.call_ts >= %(since)s AND s.call_ts < %(until)s
  AND (%(feature)s::text IS NULL OR c.feature = %(feature)s)
  AND (%(tenant_id)s::text IS NULL OR c.tenant_id = %(tenant_id)s)
  AND (%(model)s::text IS NULL OR c.model = %(model)s)
  AND (%(prompt_version)s::text IS NULL OR c.prompt_version = %(prompt_version)s)
  AND (%(judge_model)s::text IS NULL OR s.judge_model = %(judge_model)s)
  AND (%(rubric)s::text IS NULL OR s.rubric = %(rubric)s)
ORDER BY s.score, c.ts DESC, s.call_id
LIMIT %(limit)s
