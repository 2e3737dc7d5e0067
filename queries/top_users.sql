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
FROM llmlog_calls(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
  %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s)
WHERE user_id IS NOT NULL
GROUP BY user_id
ORDER BY cost_usd DESC NULLS LAST, calls DESC
LIMIT %(limit)s
