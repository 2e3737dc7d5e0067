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
FROM llmlog_calls(%(since)s, %(until)s, %(feature)s, %(model)s, %(provider)s, %(tenant_id)s,
  %(user_id)s, %(trace_id)s, %(prompt_version)s, %(status)s, %(grep)s, %(grep_like)s)
ORDER BY random()
LIMIT %(limit)s
