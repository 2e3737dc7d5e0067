-- name: call_scores
-- description: The judge's scores of one call (`llmlog show`), oldest first.
-- param id: uuid
-- param ts: timestamptz
SELECT judge_model, rubric, status, score, passed, rationale, error, judge_response_model,
       judge_call_id, judge_cost_usd, scored_at
FROM llm_scores
WHERE call_id = %(id)s AND call_ts = %(ts)s
ORDER BY scored_at, judge_model, rubric
