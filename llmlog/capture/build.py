"""An ``Exchange`` (raw wire facts) to a call record: runs on the writer thread.

Order matters for privacy: keys are scrubbed from the raw bytes before anything is
parsed; then PII redaction, the content mode and the ``redact=`` hook run on the record
before it is queued for the store or written to the spool.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Any

import orjson

from llmlog import pricing, redact
from llmlog.capture import error_types
from llmlog.capture.context import CallContext
from llmlog.capture.exchange import Exchange
from llmlog.capture.parsers import Parsed, module_for
from llmlog.ids import ts_of
from llmlog.settings import Settings
from llmlog.store.records import JsonText, Record, fit_labels

log = logging.getLogger("llmlog")

CONTENT_COLUMNS = ("request", "response", "system_prompt", "output_text", "tool_calls")
# Request keys that carry prompt text; dropped in ``metadata`` content mode.
PROMPT_KEYS = (
    "messages", "input", "instructions", "system", "prompt", "tools", "tool_choice", "llmlog_raw",
)  # fmt: skip
TOOL_CALL_OUTLINE = ("id", "name", "run_by", "server")  # what metadata mode keeps of one
RESPONSE_CONTENT_KEYS = ("choices", "output", "content", "output_text", "llmlog_raw")
# The context metadata key ``llmlog.replay`` sets: stored as the ``replay_of`` column.
REPLAY_OF = "llmlog_replay_of"


def _json_or_raw(raw: bytes, text: str) -> tuple[Any, bool]:
    """The JSON value of a body (``text`` is ``raw`` decoded, bad bytes replaced), and
    whether ``text`` may be stored as is (see ``JsonText``).

    orjson reads integers beyond 64 bits as floats; that only shows where a body is
    re-encoded (streams, privacy changes): a body kept as is is stored as received."""
    try:
        return orjson.loads(raw), True  # the common case, and fast: valid UTF-8 JSON
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(text), False  # what orjson refuses: NaN, lone surrogates, bad bytes
    except ValueError:
        return ({"llmlog_raw": text} if text else None), False


def _response_body(exchange: Exchange) -> bytes:
    raw = b"".join(exchange.chunks)
    encoding = exchange.content_encoding
    if encoding and encoding != "identity":
        import httpx2

        try:
            raw = httpx2.Response(200, headers={"content-encoding": encoding}, content=raw).read()
        except Exception:
            log.debug("llmlog: cannot decode %s body", encoding)
    return redact.scrub_keys_bytes(raw, exchange.secrets)


def build(exchange: Exchange, settings: Settings) -> Record:
    """The record for one exchange, ready for the store."""
    request_raw = redact.scrub_keys_bytes(exchange.request_body, exchange.secrets)
    request_text = request_raw.decode("utf-8", "replace")
    request, request_exact = _json_or_raw(request_raw, request_text)
    if not isinstance(request, dict):
        request, request_exact = {"llmlog_raw": request}, False
    parser = module_for(exchange.endpoint)
    raw = _response_body(exchange)
    text = raw.decode("utf-8", "replace")
    ok_http = exchange.status_code is not None and exchange.status_code < 400
    streamed = exchange.streamed and ok_http
    if streamed:
        response, response_exact = parser.reassemble(text), False
    else:
        response, response_exact = _json_or_raw(raw, text)
    if response is not None and not isinstance(response, dict):
        response, response_exact = {"llmlog_raw": response}, False
    # (the SDK stops reading at the end marker: a stream that got there is complete)
    abandoned = exchange.abandoned and not parser.finished(text)
    parsed = parser.normalise(request, response if ok_http else None)
    record = _columns(exchange, request, response, parsed, abandoned=abandoned)
    record["streamed"] = requested_stream(request)
    _mark_error(record, exchange, response, parsed.failure)
    if record["status"] == "ok":
        record["cost_usd"] = cost_of(record, response, parsed)
    record = apply_privacy(record, settings)
    fit_labels(record)
    if settings.redact is None:  # a hook may change the bodies in place: re-encode then
        if request_exact:
            _keep_text(record, "request", request, request_text)
        if response_exact:
            _keep_text(record, "response", response, text)
    return record


def _keep_text(record: Record, column: str, parsed: Any, text: str) -> None:
    """Store the body's own (scrubbed) text, which orjson read, when privacy left the
    parsed body as it was."""
    if record[column] is parsed and type(parsed) is dict:
        record[column] = JsonText(parsed, text)


def cost_of(record: Record, response: Any, parsed: Parsed) -> Decimal | None:
    """The ``cost_usd`` of a successful call (``record``'s provider, endpoint, model and
    ``ts`` set): its parsed usage priced at its time."""
    return pricing.cost_usd(
        provider=record["provider"],
        endpoint=record["endpoint"],
        model=record["model"],
        response=response,
        tokens=pricing.Tokens(
            input=parsed.input_tokens or 0,
            output=parsed.output_tokens or 0,
            cache_read=parsed.cache_read_tokens or 0,
            cache_write=parsed.cache_write_tokens or 0,
        ),
        at=record["ts"],
    )


def requested_stream(request: Any) -> bool:
    """The ``streamed`` column: whether the request asked for a stream (its ``stream``
    flag), whatever came back — an HTTP error, a timeout, or no answer at all."""
    return isinstance(request, dict) and request.get("stream") is True


def fallback(exchange: Exchange) -> Record:
    """The outline stored for a call whose body could not be parsed (never lose a call)."""
    call_id, call = exchange.identity()
    try:  # (only the flag is read: nothing of the body is stored)
        streamed = requested_stream(orjson.loads(exchange.request_body))
    except orjson.JSONDecodeError:
        streamed = exchange.streamed  # the answer's content type, for want of better
    record = {
        **_outline(exchange, call_id, call),
        "streamed": streamed,
        "status": "ok",
        "metadata": {**_own(call.metadata), "llmlog_parse_failed": True},
    }
    _mark_error(record, exchange, None, None)
    return record


def _outline(exchange: Exchange, call_id: uuid.UUID, call: CallContext) -> Record:
    """What every record holds whatever its body: who, which call, and its timings."""
    return {
        "id": call_id,
        "ts": ts_of(call_id),
        "trace_id": call.trace_id,
        "parent_id": call.parent_id,
        **call.fields,
        "provider": exchange.provider,
        "endpoint": exchange.endpoint,
        "http_status": exchange.status_code,
        "ttft_ms": exchange.ttft_ms,
        "latency_ms": exchange.latency_ms,
        "replay_of": call.metadata.get(REPLAY_OF),
    }


def _own(metadata: dict[str, Any]) -> dict[str, Any]:
    """A call's metadata without the key that becomes its ``replay_of`` column."""
    return {k: v for k, v in metadata.items() if k != REPLAY_OF}


def _columns(
    exchange: Exchange, request: dict[str, Any], response: Any, parsed: Parsed, *, abandoned: bool
) -> Record:
    call_id, call = exchange.identity()
    metadata: dict[str, Any] = _own(call.metadata)
    if (attempt := exchange.attempt) is not None:
        metadata["attempt"] = attempt
    if idempotency_key := exchange.idempotency_key:
        metadata["idempotency_key"] = idempotency_key
    kept_headers = exchange.kept_headers
    if kept_headers:
        metadata["headers"] = kept_headers
    if abandoned:
        metadata["abandoned"] = True
    return {
        **_outline(exchange, call_id, call),
        "model": request.get("model") if isinstance(request.get("model"), str) else None,
        "request": request,
        "response": response,
        **parsed.columns(),
        "status": "ok",
        "metadata": metadata,
    }


def _mark_error(
    record: Record, exchange: Exchange, response: Any, reported: error_types.Failure | None
) -> None:
    failure = error_types.of_call(
        status=exchange.status_code,
        body=response,
        exception=exchange.error_type,
        message=exchange.error_message,
        reported=reported,
    )
    if failure is not None:
        message = failure.message
        scrubbed = redact.scrub_keys(message, exchange.secrets) if message else None
        error_types.mark(record, replace(failure, message=scrubbed))


def hash_user_id(user_id: str, key: str) -> str:
    """The keyed hash stored instead of ``user_id``: HMAC-SHA256, first 32 hex digits."""
    return hmac.new(key.encode(), user_id.encode(), hashlib.sha256).hexdigest()[:32]


def apply_privacy(record: Record, settings: Settings) -> Record:
    # A replay's user_id is the stored call's, already as capture stores it: never rehashed.
    if settings.user_id_key and record.get("user_id") and not record.get("replay_of"):
        record["user_id"] = hash_user_id(str(record["user_id"]), settings.user_id_key)
    if settings.content_mode_for(record.get("feature")) == "metadata":
        strip_content(record)
    elif settings.redact_pii:
        for name in (*CONTENT_COLUMNS, "error_message"):
            record[name] = redact.redact_pii(record.get(name))
    if settings.redact is not None:
        try:
            changed = settings.redact(record)
            record = changed if isinstance(changed, dict) else record
        except Exception as exc:
            # Fail closed: a broken hook must not let content through.
            log.warning(
                "llmlog: redact hook failed (%s); storing metadata only", type(exc).__name__
            )
            strip_content(record)
    return record


def strip_content(record: Record) -> None:
    """``metadata`` content mode: keep parameters, usage and shape, drop all text."""
    request = record.get("request") or {}
    response = record.get("response") or {}
    record["request"] = {k: v for k, v in request.items() if k not in PROMPT_KEYS}
    record["response"] = (
        {k: v for k, v in response.items() if k not in RESPONSE_CONTENT_KEYS}
        if isinstance(response, dict)
        else None
    )
    record["system_prompt"] = record["output_text"] = None
    if record.get("tool_calls"):
        record["tool_calls"] = [
            {k: c[k] for k in TOOL_CALL_OUTLINE if k in c} for c in record["tool_calls"]
        ]
    record["metadata"] = {**(record.get("metadata") or {}), "content_mode": "metadata"}
