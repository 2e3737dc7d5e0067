"""OpenTelemetry GenAI spans in and out: ``llmlog otlp`` (a receiver) and ``llmlog export
--otlp`` (a sender). Needs the ``otlp`` extra (opentelemetry-proto, protobuf, uvicorn);
``import llmlog`` never loads this package."""
