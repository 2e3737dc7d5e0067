-- name: call_match
-- description: The calls (at most two) whose id lies in [lo, hi]: an id prefix padded with 0s
-- description: and with fs. A UUIDv7 prefix is also a time range [lo_ts, hi_ts], bound by
-- description: the client, so the lookup prunes partitions while planning; ids made by
-- description: other tools carry no time and are looked up without one.
-- param lo: uuid
-- param hi: uuid
-- param lo_ts: timestamptz = -infinity
-- param hi_ts: timestamptz = infinity
SELECT id, ts
FROM llm_calls
WHERE id >= %(lo)s AND id <= %(hi)s
  AND ts >= %(lo_ts)s AND ts <= %(hi_ts)s
ORDER BY id
LIMIT 2
