-- name: call_match
-- description: The calls (at most two) whose id starts with a prefix of lowercase hex digits
-- description: (dashes removed). A UUIDv7 prefix is a time range, so this prunes partitions
-- description: while planning (a call's ts is its id's millisecond; no stable `+ interval`).
-- param prefix: text
SELECT id, ts
FROM llm_calls
WHERE id >= rpad(%(prefix)s, 32, '0')::uuid
  AND id <= rpad(%(prefix)s, 32, 'f')::uuid
  AND ts >= llmlog_id_ts(rpad(%(prefix)s, 32, '0')::uuid)
  AND ts <= llmlog_id_ts(rpad(%(prefix)s, 32, 'f')::uuid)
ORDER BY id
LIMIT 2
