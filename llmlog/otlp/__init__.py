"""OpenTelemetry GenAI spans in and out: ``llmlog otlp`` (a receiver) and ``llmlog export
--otlp`` (a sender). Needs the ``otlp`` extra (opentelemetry-proto, protobuf, uvicorn);
``import llmlog`` never loads this package."""

from __future__ import annotations

EXTRA_HINT = "pip install 'llmlog[otlp]' (opentelemetry-proto, protobuf, uvicorn)"


def require(command: str) -> None:
    """UsageError unless the ``otlp`` extra is installed."""
    from llmlog.errors import UsageError

    try:
        import google.rpc.status_pb2  # noqa: F401
        import opentelemetry.proto.trace.v1.trace_pb2  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise UsageError(f"{command} needs the otlp extra", hint=EXTRA_HINT) from None
