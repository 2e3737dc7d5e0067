-- name: sample_evals_calls
-- description: What `llmlog sample-evals` exports of the calls it chose: by id, between
-- description: lo_ts and hi_ts (the chosen calls' first and last ts, so partitions prune).
-- param ids: text[]
-- param lo_ts: timestamptz
-- param hi_ts: timestamptz
SELECT id, ts, trace_id, parent_id, session_id, tenant_id, user_id, feature, prompt_version,
       provider, endpoint, model, response_model, request, system_prompt, output_text,
       tool_calls, finish_reason, input_tokens, output_tokens, cost_usd, latency_ms, ttft_ms,
       status, http_status, error_type, error_message, feedback, feedback_note, metadata,
       replay_of
FROM llm_calls
WHERE id = ANY (%(ids)s::uuid[]) AND ts >= %(lo_ts)s AND ts <= %(hi_ts)s
