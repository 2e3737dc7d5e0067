-- name: eval_exports
-- description: Past `llmlog sample-evals` exports, newest first: when, format, file, how
-- description: many calls, and the options (reasons, filters, seed) that chose them.
-- param limit: int = 50
SELECT id, created_at, format, calls, output, options
FROM llm_eval_exports
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
