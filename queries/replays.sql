-- name: replays
-- description: The replays of a call (rows whose replay_of is its id), oldest first.
-- param id: uuid
SELECT id, ts, provider, model, input_tokens, output_tokens, cost_usd, latency_ms, status,
       finish_reason
FROM llm_calls
WHERE replay_of = %(id)s
  AND ts >= llmlog_id_ts(%(id)s)
ORDER BY ts
