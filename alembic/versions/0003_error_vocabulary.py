"""error_type: one word per cause across providers; the provider's words in metadata

Failed calls stored before this revision hold the provider's own word in ``error_type``
(OpenAI's ``tokens`` beside Anthropic's ``rate_limit_error``), an exception class
(``ReadTimeout``), or ``http_<status>``. This rewrites each to the vocabulary of
``llmlog.capture.error_types`` and keeps the provider's words as capture now does:
``metadata.provider_error`` = ``{type, code}`` read from the stored error body, or
``{exception}``. The tables below are that module's as of this revision, frozen (a
migration must keep doing what it did); tests/migrations checks that they agree.

Revision ID: 0003
Revises: 0002
"""

import json

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TOKENS = {
    "rate_limit": "rate_limit_error rate_limit_exceeded tokens requests slow_down",
    "quota": "insufficient_quota billing_error billing_hard_limit_reached credit_balance_exhausted",
    "overloaded": "overloaded_error server_is_overloaded",
    "timeout": "timeout_error vector_store_timeout",
    "authentication": "authentication_error invalid_api_key",
    "permission": "permission_error unsupported_country_region_territory data_residency_mismatch",
    "not_found": "not_found_error model_not_found",
    "bad_request": "request_too_large context_length_exceeded conflict_error invalid_image "
    "invalid_image_format invalid_base64_image invalid_image_url image_too_large "
    "image_too_small image_parse_error invalid_image_mode image_file_too_large "
    "unsupported_image_media_type empty_image_file failed_to_download_image "
    "image_file_not_found",
    "content_filter": "content_policy_violation content_filter invalid_prompt "
    "image_content_policy_violation bio_policy misalignment_policy_violation",
}
GENERIC = {"bad_request": "invalid_request_error", "server_error": "api_error server_error"}
BY_STATUS = {400: "bad_request", 401: "authentication", 402: "quota", 403: "permission",
             404: "not_found", 408: "timeout", 429: "rate_limit", 503: "overloaded",
             504: "timeout", 529: "overloaded"}  # fmt: skip
EXCEPTIONS = {
    "timeout": "TimeoutException ConnectTimeout ReadTimeout WriteTimeout PoolTimeout "
    "TimeoutError APITimeoutError",
    "connection": "TransportError NetworkError ConnectError ReadError WriteError CloseError "
    "ProxyError ProtocolError RemoteProtocolError LocalProtocolError UnsupportedProtocol SSEError "
    "ConnectionError ConnectionResetError ConnectionRefusedError ConnectionAbortedError "
    "BrokenPipeError APIConnectionError",
}
VOCABULARY = (*TOKENS, "server_error", "connection", "other")
# What capture wrote when the body named no error: llmlog's words, not the provider's.
SYNTHETIC = ("stream_error", "response.failed")


def _jsonb(table: dict[str, str]) -> str:
    by_word = {word: kind for kind, words in table.items() for word in words.split()}
    return "'" + json.dumps(by_word, separators=(",", ":")) + "'::jsonb"


def _token(error: str, key: str) -> str:
    """A type or code as capture reads it: a string or number, never empty."""
    return (
        f"CASE WHEN jsonb_typeof({error} -> '{key}') IN ('string', 'number') "
        f"THEN nullif({error} ->> '{key}', '') END"
    )


def upgrade() -> None:
    statuses = "'" + json.dumps({str(k): v for k, v in BY_STATUS.items()}) + "'::jsonb"
    known = ", ".join(f"'{name}'" for words in EXCEPTIONS.values() for name in words.split())
    vocabulary = ", ".join(f"'{word}'" for word in VOCABULARY)
    synthetic = ", ".join(f"'{word}'" for word in SYNTHETIC)
    error = "(CASE WHEN jsonb_typeof(response) = 'object' THEN coalesce(response -> 'error', response) END)"
    op.execute(f"""
WITH stored AS (
  SELECT id, ts, http_status, error_type AS old,
         {_token(error, "type")} AS kind, {_token(error, "code")} AS code
  FROM llm_calls
  WHERE status = 'error' AND metadata -> 'provider_error' IS NULL
), told AS (  -- what the call was told: an exception, the body's words, or only a status
  SELECT *,
    CASE WHEN old IN ({known}) THEN old
         WHEN old IS NULL OR old IN (kind, code) OR old IN ({synthetic})
              OR old = 'http_' || http_status THEN NULL
         WHEN old IN ({vocabulary}) THEN NULL
         ELSE old END AS exception,
    old IN ({vocabulary}) AND old NOT IN (coalesce(kind, ''), coalesce(code, '')) AS kept
  FROM stored
)
UPDATE llm_calls AS c SET
  error_type = CASE
    WHEN t.kept THEN t.old
    WHEN t.exception IS NOT NULL THEN coalesce({_jsonb(EXCEPTIONS)} ->> t.exception, 'other')
    ELSE coalesce(
      {_jsonb(TOKENS)} ->> t.code, {_jsonb(TOKENS)} ->> t.kind,
      CASE WHEN t.http_status >= 400 THEN coalesce({statuses} ->> t.http_status::text,
        CASE WHEN t.http_status < 500 THEN 'bad_request' ELSE 'server_error' END) END,
      {_jsonb(GENERIC)} ->> t.code, {_jsonb(GENERIC)} ->> t.kind, 'other')
    END,
  metadata = CASE
    WHEN t.kept THEN c.metadata
    WHEN t.exception IS NOT NULL THEN coalesce(c.metadata, '{{}}'::jsonb)
      || jsonb_build_object('provider_error', jsonb_build_object('exception', t.exception))
    WHEN t.kind IS NULL AND t.code IS NULL THEN c.metadata
    ELSE coalesce(c.metadata, '{{}}'::jsonb) || jsonb_build_object('provider_error',
      jsonb_strip_nulls(jsonb_build_object('type', t.kind, 'code', t.code)))
    END
FROM told AS t
WHERE c.id = t.id AND c.ts = t.ts
""")


def downgrade() -> None:
    """Back to the provider's words: the exception, the body's type, else its code, else
    ``http_<status>`` (rows that had llmlog's own stream words get the status or keep
    their vocabulary word)."""
    op.execute("""
UPDATE llm_calls SET
  error_type = coalesce(metadata #>> '{provider_error,exception}',
    metadata #>> '{provider_error,type}', metadata #>> '{provider_error,code}',
    CASE WHEN http_status >= 400 THEN 'http_' || http_status END, error_type),
  metadata = metadata - 'provider_error'
WHERE status = 'error'
""")
