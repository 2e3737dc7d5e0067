-- name: trace
-- description: Every call of a trace in time order, with parent_id to build the tree.
-- param trace_id: text
-- param since: timestamptz = -infinity
-- param until: timestamptz = infinity
SELECT id, parent_id, trace_id, ts, feature, provider, model, input_tokens, output_tokens, cost_usd,
       ttft_ms, latency_ms, status, finish_reason, error_type, replay_of
FROM llm_calls
WHERE trace_id = %(trace_id)s
  AND ts >= %(since)s AND ts < %(until)s
ORDER BY ts, id
