-- name: judge_scored
-- description: Which of these calls (ids, their ts between lo_ts and hi_ts) judge_model has
-- description: already scored, and under which rubric versions (failed answers included).
-- param ids: text[]
-- param lo_ts: timestamptz
-- param hi_ts: timestamptz
-- param judge_model: text
SELECT call_id, rubric_sha256
FROM llm_scores
WHERE call_id = ANY (%(ids)s::uuid[]) AND call_ts >= %(lo_ts)s AND call_ts <= %(hi_ts)s
  AND judge_model = %(judge_model)s
