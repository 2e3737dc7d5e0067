-- name: export_calls
-- description: Calls in full, oldest first, one page at a time: the calls after
-- description: (after_ts, after_id), the last one of the page before (`llmlog export`).
-- param limit: int = 500
-- param since: timestamptz = 24h
-- param until: timestamptz = infinity
-- param after_ts: timestamptz = null
-- param after_id: uuid = null
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
SELECT *
FROM llm_calls
WHERE ts >= greatest(%(since)s, coalesce(%(after_ts)s::timestamptz, %(since)s)) AND ts < %(until)s
  AND (%(after_ts)s::timestamptz IS NULL OR (ts, id) > (%(after_ts)s, %(after_id)s::uuid))
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
ORDER BY ts, id
LIMIT %(limit)s
