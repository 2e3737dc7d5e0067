-- name: sample_evals_partners
-- description: The calls paired with chosen ones for preference data: their replays
-- description: (replay_of one of ids, at or after lo_ts) and the originals they replay
-- description: (id one of originals, at or before hi_ts).
-- param ids: text[]
-- param lo_ts: timestamptz
-- param originals: text[]
-- param hi_ts: timestamptz
SELECT id, ts, replay_of
FROM llm_calls
WHERE replay_of = ANY (%(ids)s::uuid[]) AND ts >= %(lo_ts)s
UNION ALL
SELECT id, ts, replay_of
FROM llm_calls
WHERE id = ANY (%(originals)s::uuid[]) AND ts <= %(hi_ts)s
