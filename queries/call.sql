-- name: call
-- description: One call, every column, by its full id.
-- param id: uuid
SELECT *
FROM llm_calls
WHERE id = %(id)s
  AND ts = llmlog_id_ts(%(id)s)  -- a call's ts is its id's millisecond
