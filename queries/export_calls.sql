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
FROM llmlog_calls(greatest(%(since)s, coalesce(%(after_ts)s::timestamptz, %(since)s)), %(until)s,
  %(feature)s, %(model)s, %(provider)s, %(tenant_id)s, %(user_id)s, %(trace_id)s,
  %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s)
WHERE (%(after_ts)s::timestamptz IS NULL OR (ts, id) > (%(after_ts)s, %(after_id)s::uuid))
ORDER BY ts, id
LIMIT %(limit)s
