-- name: judge_sample
-- description: The calls `llmlog judge` draws: ok calls of the window with an output, not the
-- description: judge's own (feature llmlog.judge) nor replays, each with a draw seeded by
-- description: seed; the share `fraction` of lowest draw, or the first sample_size by draw
-- description: (both: the first sample_size of that share). chars: the size of what the
-- description: judge reads (the dry run's cost estimate).
-- param since: timestamptz = 24h
-- param until: timestamptz = infinity
-- param feature: text = null
-- param seed: int = 0
-- param fraction: float = null
-- param sample_size: int = null
SELECT id, ts, feature, draw,
       coalesce(octet_length(request::text), 0) + coalesce(octet_length(output_text), 0)
         AS chars
FROM (
  SELECT id, ts, feature, request, output_text, hashtextextended(id::text, %(seed)s) AS draw
  FROM llm_calls
  WHERE ts >= %(since)s AND ts < %(until)s
    AND (%(feature)s::text IS NULL OR feature = %(feature)s)
    AND feature IS DISTINCT FROM 'llmlog.judge' AND replay_of IS NULL
    AND status = 'ok' AND (output_text IS NOT NULL OR tool_calls IS NOT NULL)
) AS c
WHERE %(fraction)s::float8 IS NULL
   OR draw::float8 / 18446744073709551616.0 + 0.5 < %(fraction)s::float8
ORDER BY draw, id
LIMIT %(sample_size)s
