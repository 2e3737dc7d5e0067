-- name: bottom_calls
-- description: The window's worst calls, worst first: thumbs down, then refusals, then
-- description: errors, newest first within each; with the head of their output. Hot rows
-- description: only. (The quality dashboard.)
-- param limit: int = 20
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
SELECT id, ts, feature, tenant_id, model, prompt_version, feedback, feedback_note, status,
       finish_reason, error_type, left(output_text, 200) AS output_head
FROM llmlog_calls(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
  %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s)
WHERE (feedback = -1 OR finish_reason IN ('refusal', 'content_filter') OR status = 'error')
ORDER BY feedback IS NOT DISTINCT FROM -1 DESC,
         coalesce(finish_reason IN ('refusal', 'content_filter'), false) DESC, ts DESC
LIMIT %(limit)s
