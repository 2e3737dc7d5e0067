"""Eval-set formats: one JSON object per chosen call, in the shape each eval tool reads.

Expected outputs stay empty for the reviewer unless the call had positive feedback (then
the logged answer is the expectation). Stored text is carried exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from llmlog.evals import chat
from llmlog.evals.select import request_messages

Record = dict[str, Any]
_NOT_PARAMS = {"messages", "input", "system", "instructions", "tools"}


def metadata(call: Record) -> Record:
    """Who and what caused the call, what it cost and why it was chosen."""
    cost = call.get("cost_usd")
    return {
        "feature": call.get("feature"),
        "tenant_id": call.get("tenant_id"),
        "user_id": call.get("user_id"),
        "model": call.get("model"),
        "provider": call.get("provider"),
        "prompt_version": call.get("prompt_version"),
        "cost_usd": float(cost) if cost is not None else None,
        "latency_ms": call.get("latency_ms"),
        "ts": call["ts"].isoformat(),
        "trace_id": call.get("trace_id"),
    }


def _request(call: Record) -> Record:
    request = call.get("request")
    return request if isinstance(request, dict) else {}


def _expected(call: Record) -> str | None:
    """The logged answer when feedback approved it; None leaves it to the reviewer."""
    return call.get("output_text") if call.get("feedback") == 1 else None


def _feedback(call: Record) -> Record | None:
    if call.get("feedback") is None and call.get("feedback_note") is None:
        return None
    return {"score": call.get("feedback"), "note": call.get("feedback_note")}


def to_llmlog(call: Record) -> Record:
    request = _request(call)
    return {
        "id": str(call["id"]),
        "input": {
            "system": call.get("system_prompt"),
            "messages": request_messages(request),
            "tools": request.get("tools") or [],
            "params": {k: v for k, v in request.items() if k not in _NOT_PARAMS},
        },
        "output": {
            "text": call.get("output_text"),
            "tool_calls": call.get("tool_calls") or [],
            "finish_reason": call.get("finish_reason"),
        },
        "reasons": call["reasons"],
        "feedback": _feedback(call),
        "metadata": metadata(call),
    }


def to_openai_chat(call: Record) -> Record:
    """A chat fine-tuning line: the conversation, the logged assistant turn last."""
    line: Record = {"messages": [*chat.messages(call), chat.assistant(call)]}
    tools = chat.tools(call)
    if tools:
        line["tools"] = tools
    parallel = _request(call).get("parallel_tool_calls")
    if isinstance(parallel, bool):
        line["parallel_tool_calls"] = parallel
    return line


def _tagged_metadata(call: Record) -> Record:
    return {**metadata(call), "call_id": str(call["id"]), "reasons": call["reasons"]}


def to_inspect(call: Record) -> Record:
    """An Inspect AI sample (``inspect_ai.dataset.json_dataset`` reads these)."""
    return {
        "id": str(call["id"]),
        "input": _inspect_messages(chat.messages(call)),
        "target": _expected(call) or "",
        "metadata": _tagged_metadata(call),
    }


def _inspect_messages(messages: list[Record]) -> list[Record]:
    names: dict[Any, Any] = {}
    out = []
    for message in messages:
        role = "system" if message.get("role") == "developer" else message.get("role")
        turn: Record = {"role": role, "content": _inspect_content(message.get("content"))}
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            names[call.get("id")] = function.get("name")
            turn.setdefault("tool_calls", []).append(
                {
                    "id": call.get("id"),
                    "function": function.get("name"),
                    "arguments": _parsed(function.get("arguments")),
                    "type": "function",
                }
            )
        if role == "tool":
            turn["tool_call_id"] = message.get("tool_call_id")
            turn["function"] = names.get(message.get("tool_call_id"))
        out.append(turn)
    return out


def _inspect_content(content: Any) -> Any:
    if content is None:
        return ""
    if not isinstance(content, list):
        return content
    parts = []
    for part in content:
        if not isinstance(part, dict):
            continue
        if part.get("type") == "text":
            parts.append({"type": "text", "text": part.get("text") or ""})
        elif part.get("type") == "image_url":
            parts.append({"type": "image", "image": (part.get("image_url") or {}).get("url")})
    return parts


def _parsed(arguments: Any) -> Any:
    if not isinstance(arguments, str):
        return arguments or {}
    try:
        value = json.loads(arguments)
    except ValueError:
        return {"_raw": arguments}
    return value if isinstance(value, dict) else {"_value": value}


def _chat_input(call: Record) -> Record:
    return {"messages": chat.messages(call), "tools": chat.tools(call)}


def to_langfuse(call: Record) -> Record:
    """A Langfuse dataset item, linked to the call as its source trace and observation."""
    return {
        "id": str(call["id"]),
        "input": _chat_input(call),
        "expected_output": _expected(call),
        "metadata": _tagged_metadata(call),
        "source_trace_id": call.get("trace_id"),
        "source_observation_id": str(call["id"]),
    }


def to_braintrust(call: Record) -> Record:
    """A Braintrust dataset record; the reasons are its tags."""
    return {
        "id": str(call["id"]),
        "input": _chat_input(call),
        "expected": _expected(call),
        "metadata": _tagged_metadata(call),
        "tags": call["reasons"],
    }


def to_promptfoo(call: Record) -> Record:
    """A promptfoo test case: the conversation as vars (``{{ messages | dump }}`` in a
    prompt), an ``equals`` assertion only when feedback approved the answer."""
    messages = chat.messages(call)
    users = [m for m in messages if m.get("role") == "user"]
    expected = _expected(call)
    return {
        "description": f"{call.get('feature') or '-'} {'+'.join(call['reasons'])} {call['id']}",
        "vars": {
            "system": call.get("system_prompt") or "",
            "messages": messages,
            "input": chat.text_of(users[-1].get("content")) if users else "",
        },
        "assert": [] if expected is None else [{"type": "equals", "value": expected}],
        "metadata": _tagged_metadata(call),
    }


def to_openai_preference(original: Record, better: Record, worse: Record) -> Record:
    """A preference fine-tuning line: the original request, the preferred answer and the
    other one."""
    line = to_openai_chat(original)
    request: Record = {"messages": line["messages"][:-1]}
    for key in ("tools", "parallel_tool_calls"):
        if key in line:
            request[key] = line[key]
    return {
        "input": request,
        "preferred_output": [chat.assistant(better)],
        "non_preferred_output": [chat.assistant(worse)],
    }


FORMATS: dict[str, Callable[[Record], Record]] = {
    "llmlog": to_llmlog,
    "openai-chat": to_openai_chat,
    "inspect": to_inspect,
    "langfuse": to_langfuse,
    "braintrust": to_braintrust,
    "promptfoo": to_promptfoo,
}


_CONTENT = (
    "request", "system_prompt", "output_text", "tool_calls", "error_message", "feedback_note",
)  # fmt: skip


def redacted(call: Record) -> Record:
    """``call`` with the built-in PII redaction applied to its text (llmlog.redact)."""
    from llmlog.redact import redact_pii

    return {k: redact_pii(v) if k in _CONTENT else v for k, v in call.items()}


def lines(calls: list[Record], fmt: str, *, redact: bool = False) -> list[str]:
    """The JSONL lines of ``calls`` in format ``fmt``, each ending in a newline."""
    convert = FORMATS[fmt]
    return [dumps(convert(redacted(call) if redact else call)) + "\n" for call in calls]


def preference_lines(
    pairs: list[tuple[Record, Record, Record]], *, redact: bool = False
) -> list[str]:
    """The openai-preference lines of (original, preferred, non-preferred) pairs."""
    clean = (lambda call: redacted(call)) if redact else (lambda call: call)
    return [dumps(to_openai_preference(*(clean(c) for c in pair))) + "\n" for pair in pairs]


def dumps(record: Record) -> str:
    """One JSON line: UTF-8 text as is; control characters, and the line and paragraph
    separators some JSONL readers split on, escaped."""
    text = json.dumps(record, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
