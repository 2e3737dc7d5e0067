-- name: sample_calls
-- description: A random sample of the window's calls (default: 20 from the last hour) with
-- description: tail's columns, for spot checks.
-- param limit: int = 20
-- param since: timestamptz = 1h
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
SELECT id, ts, trace_id, feature, tenant_id, user_id, provider, model, input_tokens,
       output_tokens, cost_usd, ttft_ms, latency_ms, status, finish_reason, http_status,
       error_type, error_message, output_text
FROM llm_calls
WHERE ts >= %(since)s AND ts < %(until)s
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
ORDER BY random()
LIMIT %(limit)s
