-- name: top_users
-- description: The users who spend most: calls, errors, tokens, spend and last call.
-- description: Hot rows only (rolled-up days keep no user_id).
-- param limit: int = 20
-- param since: timestamptz = 30d
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
SELECT user_id, count(*) AS calls, count(*) FILTER (WHERE status = 'error') AS errors,
       sum(input_tokens)::bigint AS input_tokens, sum(output_tokens)::bigint AS output_tokens,
       sum(cost_usd) AS cost_usd, max(ts) AS last_seen
FROM llm_calls
WHERE ts >= %(since)s AND ts < %(until)s AND user_id IS NOT NULL
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
GROUP BY user_id
ORDER BY cost_usd DESC NULLS LAST, calls DESC
LIMIT %(limit)s
