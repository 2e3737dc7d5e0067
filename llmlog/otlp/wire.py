"""OTLP/HTTP bodies: requests decoded and responses encoded with opentelemetry-proto's
messages, in either of OTLP's encodings (binary protobuf, or JSON through protobuf's
``json_format``), gzip or not.

OTLP/JSON differs from protobuf's JSON mapping in one way only: trace and span ids are hex,
not base64 (OTLP specification, "JSON Protobuf Encoding"); they are turned into base64
before ``json_format`` reads a body, and back when one is written.
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from google.rpc import status_pb2

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_IDS = ("traceId", "spanId", "parentSpanId")
_HOLDERS = ("resourceSpans", "scopeSpans", "spans", "links", "resourceLogs", "scopeLogs",
            "logRecords")  # fmt: skip
MAX_BODY = 64 * 1024 * 1024  # bytes of a decompressed body

M = TypeVar("M", bound=Message)


class Malformed(ValueError):
    """A body that is not an OTLP request: answered 400, nothing stored."""


class Unsupported(ValueError):
    """A content type or encoding OTLP/HTTP does not use: answered 415."""


def encoding_of(content_type: str | None) -> str:
    """``PROTOBUF`` or ``JSON`` for a request's Content-Type; Unsupported otherwise."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in (PROTOBUF, JSON):
        return kind
    raise Unsupported(f"content type {kind or '(none)'} is not {PROTOBUF} or {JSON}")


def inflate(body: bytes, content_encoding: str | None) -> bytes:
    """The body without its Content-Encoding (gzip, deflate or none)."""
    coding = (content_encoding or "identity").strip().lower()
    try:
        if coding == "gzip":
            return _bounded(zlib.decompressobj(16 + zlib.MAX_WBITS), body)
        if coding == "deflate":
            return _bounded(zlib.decompressobj(), body)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise Malformed(f"the body is not valid {coding}: {exc}") from None
    if coding != "identity":
        raise Unsupported(f"content encoding {coding} is not gzip, deflate or identity")
    return body


def _bounded(inflater: Any, body: bytes) -> bytes:
    out = inflater.decompress(body, MAX_BODY)
    if inflater.unconsumed_tail:
        raise Malformed(f"the body inflates past {MAX_BODY} bytes")
    return out


def decode(message: M, body: bytes, encoding: str) -> M:
    """``message`` filled from ``body`` (an Export*ServiceRequest); Malformed if it is not one."""
    try:
        if encoding == PROTOBUF:
            message.ParseFromString(body)
        else:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise Malformed("the JSON body is not an object")
            # (OTLP/JSON receivers must ignore fields they do not know: newer senders')
            json_format.ParseDict(
                _ids_as(data, _hex_to_base64), message, ignore_unknown_fields=True
            )
    except (DecodeError, json_format.ParseError, ValueError, RecursionError) as exc:
        if isinstance(exc, Malformed):
            raise
        raise Malformed(f"not an OTLP {type(message).__name__}: {exc}".strip()) from None
    return message


def encode(message: Message, encoding: str) -> bytes:
    """``message`` in the encoding a request came in."""
    if encoding == PROTOBUF:
        return message.SerializeToString()
    data = json_format.MessageToDict(message)
    return json.dumps(_ids_as(data, _base64_to_hex), separators=(",", ":")).encode()


def status(code: int, text: str, encoding: str) -> bytes:
    """A ``google.rpc.Status`` body, which OTLP/HTTP sends with every error status."""
    return encode(status_pb2.Status(code=code, message=text), encoding)


def _ids_as(data: Any, convert: Any) -> Any:
    """``data`` (OTLP JSON) with its trace and span ids converted by ``convert``."""
    if isinstance(data, list):
        return [_ids_as(item, convert) for item in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        if key in _IDS and isinstance(value, str):
            out[key] = convert(key, value)
        elif key in _HOLDERS:
            out[key] = _ids_as(value, convert)
        else:
            out[key] = value
    return out


def _hex_to_base64(key: str, value: str) -> str:
    try:
        return base64.b64encode(bytes.fromhex(value)).decode()
    except ValueError:
        raise Malformed(f"{key} {value[:40]!r} is not hex") from None


def _base64_to_hex(key: str, value: str) -> str:
    return base64.b64decode(value).hex()


def values(attributes: Any) -> dict[str, Any]:
    """Attributes (``KeyValue``s) as a dict of Python values (the first of a repeated key)."""
    out: dict[str, Any] = {}
    for pair in attributes:
        if pair.key not in out:
            out[pair.key] = value_of(pair.value)
    return out


def value_of(value: Any) -> Any:
    """An ``AnyValue`` as the Python value it holds (None when unset)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value_of(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return values(value.kvlist_value.values)
    return getattr(value, kind)


def any_value(python: Any, holder: Any) -> None:
    """Set the ``AnyValue`` ``holder`` to ``python`` (str, bool, int, float, list, dict)."""
    if isinstance(python, bool):
        holder.bool_value = python
    elif isinstance(python, int):
        holder.int_value = python
    elif isinstance(python, float):
        holder.double_value = python
    elif isinstance(python, str):
        holder.string_value = python
    elif isinstance(python, bytes):
        holder.bytes_value = python
    elif isinstance(python, list | tuple):
        array = holder.array_value
        array.SetInParent()
        for item in python:
            any_value(item, array.values.add())
    elif isinstance(python, dict):
        kvlist = holder.kvlist_value
        kvlist.SetInParent()
        for key, item in python.items():
            pair = kvlist.values.add(key=str(key))
            any_value(item, pair.value)
    else:
        holder.string_value = str(python)
