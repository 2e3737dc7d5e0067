-- name: tail
-- description: Calls newest first: who, which model, tokens, cost, TTFT, latency, status
-- description: and output. `status=error` lists errors (the partial index serves it).
-- param limit: int = 50
-- param since: timestamptz = 24h
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
ORDER BY ts DESC
LIMIT %(limit)s
