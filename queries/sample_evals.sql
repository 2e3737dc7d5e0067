-- name: sample_evals
-- description: Candidates for eval sets (`llmlog sample-evals`): every call of the window
-- description: that matched a reason (thumbs_down, slow, expensive, refusal, error,
-- description: low_score: a judge score below low_score, or not passed when that is null), with
-- description: them and a seeded draw, plus the random_limit calls of lowest draw (a random
-- description: slice). Reads no content but the head of each output (refusal phrases,
-- description: given lowercased in refusal_like).
-- description: new_only leaves out calls an earlier export wrote (llm_eval_exported).
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
-- param why: text[] = thumbs_down,slow,expensive,refusal,error
-- param slow_ms: float = 5000
-- param expensive_usd: numeric = 0.10
-- param refusal_like: text[] = null
-- param seed: int = 0
-- param random_limit: int = 0
-- param new_only: bool = false
-- param low_score: float = null
SELECT id, ts, feature, hashtextextended(id::text, %(seed)s) AS draw, reasons, false AS drawn
FROM (
  SELECT id, ts, feature,
         array_remove(ARRAY[
           CASE WHEN feedback < 0 THEN 'thumbs_down' END,
           CASE WHEN latency_ms >= %(slow_ms)s THEN 'slow' END,
           CASE WHEN cost_usd >= %(expensive_usd)s THEN 'expensive' END,
           CASE WHEN finish_reason IN ('refusal', 'content_filter')
                  OR (status = 'ok' AND 'refusal' = ANY (%(why)s::text[])
                      AND lower(left(output_text, 300)) LIKE ANY (%(refusal_like)s::text[]))
                THEN 'refusal' END,
           CASE WHEN status = 'error' THEN 'error' END,
           CASE WHEN 'low_score' = ANY (%(why)s::text[]) AND id IN (
                  SELECT s.call_id FROM llm_scores s
                  WHERE s.call_ts >= %(since)s AND s.call_ts < %(until)s
                    AND s.status = 'scored'
                    AND CASE WHEN %(low_score)s::float8 IS NULL THEN NOT s.passed
                             ELSE s.score < %(low_score)s::float8 END)
                THEN 'low_score' END
         ], NULL) AS reasons
  FROM llmlog_calls(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s) AS c
  WHERE NOT (%(new_only)s AND EXISTS (SELECT 1 FROM llm_eval_exported e
                                    WHERE e.call_id = c.id))
) AS scored
WHERE reasons && %(why)s::text[]
UNION ALL
(SELECT id, ts, feature, hashtextextended(id::text, %(seed)s) AS draw, '{}'::text[], true
 FROM llmlog_calls(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
    %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s) AS c
 WHERE %(random_limit)s > 0
  AND NOT (%(new_only)s AND EXISTS (SELECT 1 FROM llm_eval_exported e
                                    WHERE e.call_id = c.id))
 ORDER BY 4, 1
 LIMIT %(random_limit)s)
