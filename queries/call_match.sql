-- name: call_match
-- description: The calls (at most two) whose id lies in [lo, hi]: an id prefix padded with 0s
-- description: and with fs. A UUIDv7 prefix is also a time range [lo_ts, hi_ts], bound by
-- description: the client, so the lookup prunes partitions while planning.
-- param lo: uuid
-- param hi: uuid
-- param lo_ts: timestamptz
-- param hi_ts: timestamptz
SELECT id, ts
FROM llm_calls
WHERE id >= %(lo)s AND id <= %(hi)s
  AND ts >= %(lo_ts)s AND ts <= %(hi_ts)s
ORDER BY id
LIMIT 2
