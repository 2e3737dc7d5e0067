"""A local stand-in for the OpenAI and Anthropic HTTP APIs: JSON and SSE, on 127.0.0.1.

The scenario is chosen by a word in the last user message: ``tool``, ``refuse``,
``error429``, ``error500``, ``error401`` (echoes the API key in its message, like a real
"incorrect API key" error), ``flaky`` (500 on the first attempt, then fine), ``slow``
(streams with 20 ms pauses), ``stall`` (1 s pauses), ``poison`` (NUL and a lone
surrogate in the text), ``hostile`` (markup and terminal escapes), ``search``
(provider-run tools — web search, file search, MCP — then a client tool; responses and
messages); anything else gets a plain text answer. Streams are built from the very body
the non-streaming call returns, so a correct reassembly gives it back. A request with
header ``x-stub-reply: KEY`` gets ``server.replies[KEY]`` instead: (HTTP status, JSON
body, seconds to wait before answering). The model ``no-such-model`` is answered 404;
``delay`` makes every answer wait. With ``judge`` set, a request whose system prompt
holds ``JUDGE_MARK`` (llmlog judge's) is answered the text ``judge(body)`` returns. A
request with header ``x-stub-gzip: 1`` gets its JSON answer gzip-compressed
(``content-encoding: gzip``), as the providers send it.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TEXT = "Hello from the stub. It is sunny."
# The answer to a prompt that asks for an essay: the size of a realistic reply (~1.5 KB).
ESSAY = (
    "Our refund policy covers unopened items within 30 days of delivery; opened items "
    "can be exchanged for store credit. "
) * 13
POISON = "bad\u0000byte and \ud800 half"
# Text that would restyle a terminal if printed as markup or raw: for displays.
HOSTILE = "[bold red]boom[/] \x1b[2J gone\u202e [link=file:///etc/passwd]click[/link]"
TOOL_ARGS = '{"city":"Paris","unit":"c"}'
# A model the stub does not know: answered 404, as the providers answer an unknown model.
UNKNOWN_MODEL = "no-such-model"
# Where Langfuse exports its spans (the benchmark measures its drop-in beside ours): taken
# and thrown away.
TELEMETRY = "/api/public/"
# What marks a request of `llmlog judge` (its system prompt says it).
JUDGE_MARK = "You are llmlog's judge"


def scenario_of(body: dict[str, Any]) -> str:
    last: Any = body.get("input")
    if body.get("messages"):
        last = body["messages"][-1].get("content")
    text = json.dumps(last)
    words = (
        "tool",
        "refuse",
        "error429",
        "error500",
        "error401",
        "flaky",
        "slow",
        "stall",
        "poison",
        "essay",
        "search",
        "hostile",
    )
    for word in words:
        if word in text:
            return word
    return "text"


def answer(scenario: str) -> str:
    return {"poison": POISON, "essay": ESSAY, "hostile": HOSTILE}.get(scenario, TEXT)


# --- OpenAI chat completions -------------------------------------------------------


def chat_body(model: str, scenario: str, text: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
    finish = "stop"
    if scenario == "tool":
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": TOOL_ARGS},
            }
        ]
        finish = "tool_calls"
    elif scenario == "refuse":
        message["refusal"] = "I can't help with that."
    else:
        message["content"] = text if text is not None else answer(scenario)
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 1_760_000_000,
        "model": model,
        "system_fingerprint": "fp_stub",
        "service_tier": "default",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": 1200,
            "completion_tokens": 50,
            "total_tokens": 1250,
            "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 10, "audio_tokens": 0},
        },
    }


def chat_events(body: dict[str, Any], include_usage: bool) -> list[tuple[str | None, Any]]:
    head = {k: body[k] for k in ("id", "created", "model", "system_fingerprint", "service_tier")}
    chunk = {**head, "object": "chat.completion.chunk"}
    message = body["choices"][0]["message"]
    events: list[tuple[str | None, Any]] = []

    def delta(d: dict[str, Any], finish: str | None = None) -> None:
        choice = {"index": 0, "delta": d, "logprobs": None, "finish_reason": finish}
        events.append((None, {**chunk, "choices": [choice], "usage": None}))

    delta({"role": "assistant", "content": "", "refusal": None})
    for key in ("content", "refusal"):
        if message.get(key):
            for piece in _pieces(message[key]):
                delta({key: piece})
    for i, call in enumerate(message.get("tool_calls") or []):
        name = call["function"]["name"]
        first = {"index": i, "id": call["id"], "type": "function"}
        delta({"tool_calls": [{**first, "function": {"name": name, "arguments": ""}}]})
        for piece in _pieces(call["function"]["arguments"]):
            delta({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
    delta({}, body["choices"][0]["finish_reason"])
    if include_usage:
        events.append((None, {**chunk, "choices": [], "usage": body["usage"]}))
    events.append((None, "[DONE]"))
    return events


# --- OpenAI responses ----------------------------------------------------------------


def responses_body(model: str, scenario: str) -> dict[str, Any]:
    output: list[dict[str, Any]] = []
    if scenario == "search":
        output += [
            {"type": "web_search_call", "id": "ws_1", "status": "completed",
             "action": {"type": "search", "query": "weather in Paris"}},
            {"type": "file_search_call", "id": "fs_1", "status": "completed",
             "queries": ["refund policy"], "results": None},
            {"type": "mcp_call", "id": "mcp_1", "name": "lookup", "server_label": "docs",
             "arguments": '{"q":"refunds"}', "output": "30 days", "error": None},
        ]  # fmt: skip
    if scenario in ("tool", "search"):
        call = {"id": "fc_1", "call_id": "call_1", "name": "get_weather", "arguments": TOOL_ARGS}
        output.append({"type": "function_call", **call, "status": "completed"})
    else:
        part = (
            {"type": "refusal", "refusal": "I can't help with that."}
            if scenario == "refuse"
            else {"type": "output_text", "text": answer(scenario), "annotations": []}
        )
        output.append({"type": "message", "id": "msg_1", "role": "assistant",
                       "status": "completed", "content": [part]})  # fmt: skip
    return {
        "id": "resp_stub",
        "object": "response",
        "created_at": 1_760_000_000,
        "status": "completed",
        "model": model,
        "output": output,
        "usage": {
            "input_tokens": 1200,
            "input_tokens_details": {"cached_tokens": 1024},
            "output_tokens": 50,
            "output_tokens_details": {"reasoning_tokens": 10},
            "total_tokens": 1250,
        },
    }


def responses_events(body: dict[str, Any]) -> list[tuple[str | None, Any]]:
    start = {**body, "status": "in_progress", "output": [], "usage": None}
    events: list[tuple[str | None, Any]] = []
    seq = iter(range(1_000_000))

    def emit(kind: str, **data: Any) -> None:
        events.append((kind, {"type": kind, "sequence_number": next(seq), **data}))

    emit("response.created", response=start)
    for index, item in enumerate(body["output"]):
        if item["type"] == "function_call":
            emit("response.output_item.added", output_index=index, item={**item, "arguments": ""})
            for piece in _pieces(item["arguments"]):
                emit("response.function_call_arguments.delta", output_index=index,
                     item_id=item["id"], delta=piece)  # fmt: skip
        elif item["type"] != "message":  # a provider-run tool: announced, then done
            emit("response.output_item.added", output_index=index, item=item)
        else:
            emit("response.output_item.added", output_index=index, item={**item, "content": []})
            part = item["content"][0]
            key = "refusal" if part["type"] == "refusal" else "text"
            emit("response.content_part.added", output_index=index, content_index=0,
                 item_id=item["id"], part={**part, key: ""})  # fmt: skip
            kind = "response.refusal.delta" if key == "refusal" else "response.output_text.delta"
            for piece in _pieces(part[key]):
                emit(kind, output_index=index, content_index=0, item_id=item["id"], delta=piece)
        emit("response.output_item.done", output_index=index, item=item)
    emit("response.completed", response=body)
    return events


# --- Anthropic messages --------------------------------------------------------------


def messages_body(model: str, scenario: str, text: str | None = None) -> dict[str, Any]:
    content: list[dict[str, Any]]
    stop = "end_turn"
    if scenario == "search":
        content = [
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
             "input": {"query": "weather in Paris"}},
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
            {"type": "mcp_tool_use", "id": "mcptoolu_1", "name": "lookup",
             "server_name": "docs", "input": {"q": "refunds"}},
            {"type": "mcp_tool_result", "tool_use_id": "mcptoolu_1", "is_error": False,
             "content": [{"type": "text", "text": "30 days"}]},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather",
             "input": json.loads(TOOL_ARGS)},
        ]  # fmt: skip
        stop = "tool_use"
    elif scenario == "tool":
        content = [
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather",
             "input": json.loads(TOOL_ARGS)},
        ]  # fmt: skip
        stop = "tool_use"
    elif scenario == "refuse":
        content, stop = [], "refusal"
    else:
        content = [{"type": "text", "text": text if text is not None else answer(scenario)}]
    return {
        "id": "msg_stub",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 100,
            "cache_creation_input_tokens": 200,
            "cache_read_input_tokens": 1000,
            "output_tokens": 50,
        },
    }


def messages_events(body: dict[str, Any]) -> list[tuple[str | None, Any]]:
    usage = body["usage"]
    start = {**body, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
    events: list[tuple[str | None, Any]] = [
        ("message_start", {"type": "message_start", "message": start})
    ]
    for index, block in enumerate(body["content"]):
        if "input" in block:  # any *tool_use: its input streams as JSON pieces
            first = {**block, "input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": p}
                      for p in _pieces(json.dumps(block["input"]))]  # fmt: skip
        elif block["type"] == "text":
            first = {**block, "text": ""}
            deltas = [{"type": "text_delta", "text": p} for p in _pieces(block["text"])]
        else:  # a tool's result comes whole
            first, deltas = block, []
        start_event = {"type": "content_block_start", "index": index, "content_block": first}
        events.append(("content_block_start", start_event))
        events.append(("ping", {"type": "ping"}))
        for d in deltas:
            delta_event = {"type": "content_block_delta", "index": index, "delta": d}
            events.append(("content_block_delta", delta_event))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(("message_delta", {"type": "message_delta",
                   "delta": {"stop_reason": body["stop_reason"], "stop_sequence": None},
                   "usage": {"output_tokens": usage["output_tokens"]}}))  # fmt: skip
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def _pieces(text: str, size: int = 7) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


# --- the server ------------------------------------------------------------------------


def error_body(provider: str, status: int, message: str) -> dict[str, Any]:
    kind = {401: "authentication_error", 404: "not_found_error", 429: "rate_limit_error",
            500: "server_error"}[status]  # fmt: skip
    if provider == "anthropic":
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: StubServer

    def log_message(self, *args: object) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.path.startswith(TELEMETRY):
            self._json(200, {})
            return
        body = json.loads(raw or b"{}")
        self.server.requests.append((self.path, dict(self.headers), body))
        reply = self.server.replies.get(self.headers.get("x-stub-reply", ""))
        if reply is not None:
            status, data, wait = reply
            time.sleep(wait)
            self._json(status, data)
            return
        path = self.path.split("?")[0].rstrip("/")
        provider = "anthropic" if path.endswith("/messages") else "openai"
        judged = self.server.judge is not None and JUDGE_MARK in json.dumps(
            body.get("system") or body.get("messages", [{}])[0]
        )
        text = self.server.judge(body) if judged and self.server.judge else None
        scenario = "text" if judged else scenario_of(body)
        status = {"error429": 429, "error500": 500, "error401": 401}.get(scenario)
        if scenario == "flaky" and self.headers.get("x-stainless-retry-count", "0") == "0":
            status = 500
        if body.get("model") == UNKNOWN_MODEL:
            status = 404
        if self.server.delay:
            time.sleep(self.server.delay)
        if status:
            key = self.headers.get("authorization", "").removeprefix("Bearer ") or self.headers.get(
                "x-api-key", ""
            )
            text = {
                401: f"Incorrect API key provided: {key}",
                404: f"The model `{UNKNOWN_MODEL}` does not exist",
            }.get(status, f"stub {status}")
            self._json(status, error_body(provider, status, text), {"retry-after": "0"})
            return
        model = body.get("model", "gpt-4o-mini")
        if path.endswith("/chat/completions"):
            full = chat_body(model, scenario, text)
            events = chat_events(
                full, bool((body.get("stream_options") or {}).get("include_usage"))
            )
        elif path.endswith("/responses"):
            full = responses_body(model, scenario)
            events = responses_events(full)
        else:
            full = messages_body(model, scenario, text)
            events = messages_events(full)
        if body.get("stream"):
            self._sse(events, pause={"slow": 0.02, "stall": 1.0}.get(scenario, 0.0))
        else:
            self._json(200, full, pause=1.0 if scenario == "stall" else 0.0)

    def _json(
        self, status: int, body: Any, headers: dict[str, str] | None = None, pause: float = 0.0
    ) -> None:
        """The body as JSON; with ``pause``, half of it, then the rest that much later."""
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        if self.headers.get("x-stub-gzip"):
            data = gzip.compress(data)
            self.send_header("content-encoding", "gzip")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", "req_stub")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if pause:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            time.sleep(pause)
            data = data[len(data) // 2 :]
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            return

    def _sse(self, events: list[tuple[str | None, Any]], pause: float) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("x-request-id", "req_stub")
        self.end_headers()
        for name, data in events:
            text = data if isinstance(data, str) else json.dumps(data)
            frame = (f"event: {name}\n" if name else "") + f"data: {text}\n\n"
            payload = frame.encode()
            try:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return
            if pause:
                time.sleep(pause)
        self.wfile.write(b"0\r\n\r\n")


class StubServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the listen backlog: benches open many connections at once

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.replies: dict[str, tuple[int, Any, float]] = {}
        self.delay = 0.0  # seconds before each answer (a provider's thinking time)
        self.judge: Callable[[dict[str, Any]], str] | None = None
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-stream are part of the tests

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> StubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
