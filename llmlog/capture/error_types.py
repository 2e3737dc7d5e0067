"""What a failed call's ``error_type`` is: one word per cause, the same for every provider.

Providers word one cause differently (a rate limit is OpenAI's ``tokens`` or ``requests``
with code ``rate_limit_exceeded``, Anthropic's ``rate_limit_error``), and a call that got
no answer has only the HTTP client's exception. ``error_type`` holds one word of
``VOCABULARY``, decided here and nowhere else: from the exception that ended the call,
else the provider's error code or type when it names a cause, else the HTTP status, else
a generic type. The provider's own words are kept in ``metadata.provider_error``
(``type``, ``code``; ``exception`` for the client's exception class).

Capture (``build``, the parsers), the demo and migration 0003 use these rules; the
migration keeps a frozen copy of the tables, which tests/migrations checks against these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VOCABULARY: dict[str, str] = {
    "rate_limit": "too many requests or tokens for the account's limits (HTTP 429)",
    "quota": "out of credit or over a spend limit (HTTP 402, OpenAI insufficient_quota, "
    "Anthropic billing_error): waiting does not help",
    "overloaded": "the provider is shedding load (HTTP 503, Anthropic 529 overloaded_error)",
    "server_error": "the provider failed (HTTP 500, 502 and other 5xx; api_error, server_error)",
    "timeout": "the call ran out of time: the HTTP client's timeout, or the provider's "
    "(HTTP 408, 504, timeout_error)",
    "connection": "no answer: the connection was refused, reset or broken, a proxy or "
    "protocol failure",
    "authentication": "the API key was refused (HTTP 401)",
    "permission": "the key may not use this model, resource or region (HTTP 403)",
    "not_found": "no such model or resource (HTTP 404)",
    "bad_request": "the request was rejected as invalid: a bad parameter, too long a prompt, "
    "too large a body (HTTP 400, 409, 413, 422 and other 4xx)",
    "content_filter": "the provider's safety system refused the prompt or the output",
    "other": "anything else (see metadata.provider_error and error_message)",
}

# A provider's error code or type that names its cause (either provider; codes first).
TOKENS: dict[str, str] = {
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
# Types providers use for many causes: the HTTP status says more, when there is one (an
# OpenAI 401 or 404 has type invalid_request_error, a 503 type server_error).
GENERIC: dict[str, str] = {
    "bad_request": "invalid_request_error",
    "server_error": "api_error server_error",
}
BY_STATUS: dict[int, str] = {
    400: "bad_request",
    401: "authentication",
    402: "quota",
    403: "permission",
    404: "not_found",
    408: "timeout",
    429: "rate_limit",
    503: "overloaded",
    504: "timeout",
    529: "overloaded",
}
# The exception that ended a call with no (whole) answer: httpx2's (what the tee sees),
# Python's own, and the SDKs' names for the same two causes.
EXCEPTIONS: dict[str, str] = {
    "timeout": "TimeoutException ConnectTimeout ReadTimeout WriteTimeout PoolTimeout "
    "TimeoutError APITimeoutError",
    "connection": "TransportError NetworkError ConnectError ReadError WriteError CloseError "
    "ProxyError ProtocolError RemoteProtocolError LocalProtocolError UnsupportedProtocol SSEError "
    "ConnectionError ConnectionResetError ConnectionRefusedError ConnectionAbortedError "
    "BrokenPipeError APIConnectionError",
}


# The SDKs' exception classes for an HTTP error (OpenAI's and Anthropic's share these
# names): what OpenTelemetry instrumentations report as a failed call's ``error.type``.
SDK_ERRORS: dict[str, str] = {
    "rate_limit": "RateLimitError",
    "authentication": "AuthenticationError",
    "permission": "PermissionDeniedError",
    "not_found": "NotFoundError",
    "bad_request": "BadRequestError UnprocessableEntityError ConflictError RequestTooLargeError",
    "server_error": "InternalServerError",
    "overloaded": "OverloadedError ServiceUnavailableError",
    "content_filter": "ContentFilterFinishReasonError",
}


def _by_word(table: dict[str, str]) -> dict[str, str]:
    return {word: kind for kind, words in table.items() for word in words.split()}


BY_TOKEN, BY_GENERIC, BY_EXCEPTION = _by_word(TOKENS), _by_word(GENERIC), _by_word(EXCEPTIONS)
BY_SDK_ERROR = _by_word(SDK_ERRORS)


def classify(
    *, status: int | None, kind: str | None, code: str | None, exception: str | None
) -> str:
    """The ``VOCABULARY`` word for a failure: ``exception`` (its class name) when one ended
    the call, else the provider's ``code`` or ``kind`` (type), else the HTTP ``status``."""
    if exception is not None:
        return BY_EXCEPTION.get(exception, "other")
    for token in (code, kind):
        if token in BY_TOKEN:
            return BY_TOKEN[token]
    if status is not None and status >= 400:
        return BY_STATUS.get(status) or ("bad_request" if status < 500 else "server_error")
    for token in (code, kind):
        if token in BY_GENERIC:
            return BY_GENERIC[token]
    return "other"


@dataclass(frozen=True)
class Failure:
    """A failed call: its ``error_type``, message, and the words it was reported in."""

    error_type: str
    message: str | None
    provider_error: dict[str, str] = field(default_factory=dict)


def of_call(
    *,
    status: int | None,
    body: Any,
    exception: str | None,
    message: str | None,
    reported: Failure | None = None,
) -> Failure | None:
    """How a call failed, if it did: ended by ``exception`` (class name, ``message``),
    answered with an HTTP error ``status`` and ``body``, or with a body that ``reported``
    an error (a stream's error event, a failed response)."""
    if exception is not None:
        return from_exception(exception, message)
    if status is not None and status >= 400:
        return from_body(body, status)
    return reported


def from_exception(name: str, message: str | None) -> Failure:
    """A call the HTTP client's exception ended (``name``: its class name)."""
    kind = classify(status=None, kind=None, code=None, exception=name)
    return Failure(kind, message, {"exception": name})


def from_body(body: Any, status: int | None) -> Failure:
    """A failure the provider reported in a body: an HTTP error's, or an error a stream
    or a response object carries (``status`` then below 400). The error is the body's
    ``error`` (OpenAI, Anthropic), else the body itself."""
    error = body.get("error", body) if isinstance(body, dict) else None
    kind = code = message = None
    if isinstance(error, dict):
        kind, code = _token(error.get("type")), _token(error.get("code"))
        message = error.get("message")
    elif error is not None:
        message = error
    reported = {name: value for name, value in (("type", kind), ("code", code)) if value}
    return Failure(
        classify(status=status, kind=kind, code=code, exception=None),
        None if message is None else str(message),
        reported,
    )


def from_otel(error_type: str | None, status: int | None, message: str | None) -> Failure:
    """A failed call an OpenTelemetry span reports: its ``error.type`` (a word of
    ``VOCABULARY`` when llmlog exported it; else an exception's class, possibly qualified
    or as ``<class '...'>``, or an HTTP status code) and its HTTP ``status``."""
    word = (error_type or "").strip("<>' ").removeprefix("class '").rsplit(".", 1)[-1]
    if word in VOCABULARY:
        return Failure(word, message)
    if word in BY_SDK_ERROR:
        kind = BY_SDK_ERROR[word]
    elif word in BY_EXCEPTION or word in BY_TOKEN:
        kind = BY_EXCEPTION.get(word) or BY_TOKEN[word]
    else:
        code = int(word) if word.isdigit() and len(word) == 3 else status
        kind = classify(status=code, kind=None, code=None, exception=None)
    return Failure(kind, message, {"type": error_type} if error_type else {})


def _token(value: Any) -> str | None:
    """A type or code as text: strings and numbers (some servers send a numeric code)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value) or None


def mark(record: dict[str, Any], failure: Failure) -> None:
    """Make ``record`` the failed call ``failure`` describes."""
    record.update(
        status="error",
        error_type=failure.error_type,
        error_message=failure.message,
        finish_reason="error",
    )
    if failure.provider_error:
        metadata = record.get("metadata") or {}
        record["metadata"] = {**metadata, "provider_error": failure.provider_error}
