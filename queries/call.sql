-- name: call
-- description: One call, every column, by its full id and its ts. A UUIDv7's ts is its
-- description: millisecond, so ts may be left out for one; an id made by another tool
-- description: needs it (call_match finds both).
-- param id: uuid
-- param ts: timestamptz = null
SELECT *
FROM llm_calls
WHERE id = %(id)s
  AND ts = coalesce(%(ts)s::timestamptz, llmlog_id_ts(%(id)s))
