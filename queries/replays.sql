-- name: replays
-- description: The replays of a call (rows whose replay_of is its id), oldest first. They
-- description: come after the call: give its ts (a UUIDv7's own millisecond by default).
-- param id: uuid
-- param ts: timestamptz = null
SELECT id, ts, provider, model, input_tokens, output_tokens, cost_usd, latency_ms, status,
       finish_reason
FROM llm_calls
WHERE replay_of = %(id)s
  AND ts >= coalesce(%(ts)s::timestamptz, llmlog_id_ts(%(id)s))
ORDER BY ts
