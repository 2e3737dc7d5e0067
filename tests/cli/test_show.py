"""`llmlog show` lets a person read the whole call: wrapped, tools readable, long texts
bounded with the way to the rest."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record
from tests.reports.conftest import NOW, call

AT = NOW - timedelta(hours=1)
HEAD_CHARS = 8_000  # README: a longer text shows its head


def stored(store: psycopg.Connection, record: Record) -> str:
    BatchWriter(store, max_payload_bytes=64 * 1024 * 1024).write([record])
    return str(record["id"])


def words(count: int, stem: str) -> list[str]:
    return [f"{stem}{n:04d}" for n in range(count)]


def test_every_word_of_a_long_prompt_and_output_shows_at_80_columns(
    store: psycopg.Connection, llmlog: Any, columns: Any
) -> None:
    prompt = words(230, "rule")  # 2 KB
    answer = words(120, "said")
    call_id = stored(
        store,
        call(AT, system_prompt=" ".join(prompt), question="Why?", output_text=" ".join(answer)),
    )
    columns(80)
    result = llmlog("show", call_id, "--format", "table")
    assert result.code == 0, result.err
    assert max(len(line) for line in result.out.splitlines()) <= 80
    shown = set(result.out.replace("│", " ").split())
    assert [w for w in prompt + answer if w not in shown] == []


def test_tool_calls_and_results_show_name_then_indented_json(
    store: psycopg.Connection, llmlog: Any, columns: Any
) -> None:
    request = {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "user", "content": "Weather in Zurich?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "weather", "arguments": '{"city":"Zurich"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": '{"temp_c":21,"sky":"clear"}'},
        ],
    }
    call_id = stored(
        store,
        call(
            AT, request=request, output_text="21 °C and clear.",
            tool_calls=[{"id": "call_2", "name": "book", "arguments": '{"when":"now","n":2}'}],
        ),
    )  # fmt: skip
    columns(80)
    out = llmlog("show", call_id, "--format", "table").out
    lines = [line.strip("│ ") for line in out.splitlines()]
    assert any(line.startswith("╭─ tool call weather ") for line in out.splitlines())
    assert '"city": "Zurich"' in lines
    assert any(line.startswith("╭─ tool result call_1 ") for line in out.splitlines())
    assert '"temp_c": 21,' in lines and '"sky": "clear"' in lines
    assert any(line.startswith("╭─ tool call book ") for line in out.splitlines())
    assert '"when": "now",' in lines and '"n": 2' in lines
    assert "╭─ assistant " not in out  # no empty panel for a message that only calls tools


def test_anthropic_tool_use_and_tool_result_blocks(
    store: psycopg.Connection, llmlog: Any, columns: Any
) -> None:
    request = {
        "model": "claude-haiku",
        "messages": [
            {"role": "user", "content": "Find order 7"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Looking it up."},
                    {"type": "tool_use", "id": "tu_1", "name": "order", "input": {"id": 7}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "tu_1",
                        "content": [{"type": "text", "text": "shipped"}],
                    }
                ],
            },
        ],
    }
    call_id = stored(store, call(AT, provider="anthropic", endpoint="messages", request=request))
    columns(80)
    out = llmlog("show", call_id, "--format", "table").out
    lines = [line.strip("│ ") for line in out.splitlines()]
    assert "Looking it up." in lines and '"id": 7' in lines and "shipped" in lines
    titles = [line for line in out.splitlines() if line.startswith("╭─")]
    assert [t.split()[1] for t in titles] == ["call", "user", "assistant", "tool", "tool"]
    assert any(t.startswith("╭─ tool call order ") for t in titles)
    assert any(t.startswith("╭─ tool result tu_1 ") for t in titles)


def test_an_empty_ttft_says_why(store: psycopg.Connection, llmlog: Any, columns: Any) -> None:
    whole = stored(store, call(AT, output_text="hi", streamed=False))
    cut = stored(store, call(AT, status="error", streamed=True, finish_reason="error"))
    columns(100)
    assert "ttft            none (not streamed" in llmlog("show", whole, "-f", "table").out
    assert "none (no content arrived)" in llmlog("show", cut, "-f", "table").out


def test_a_huge_output_shows_its_head_and_how_to_see_the_rest(
    store: psycopg.Connection, llmlog: Any, columns: Any
) -> None:
    text = "".join(f"line {n:07d} of the answer\n" for n in range(160_000))  # 4 MiB
    call_id = stored(store, call(AT, output_text=text))
    columns(100)
    result = llmlog("show", call_id, "--format", "table")
    assert result.code == 0, result.err
    assert len(result.out) < 8 * HEAD_CHARS
    assert "line 0000000 of the answer" in result.out
    assert "line 0159999" not in result.out
    joined = " ".join(line.strip("│ ") for line in result.out.splitlines())
    assert f"see them all with `llmlog show {call_id} --full` (or `--format json`)" in joined
    assert json.loads(llmlog("show", call_id, "--format", "json").out)["output_text"] == text


def test_full_shows_a_long_text_whole(store: psycopg.Connection, llmlog: Any, columns: Any) -> None:
    answer = words(3_000, "word")  # 27 KB, past the head
    call_id = stored(store, call(AT, output_text=" ".join(answer)))
    columns(120)
    shown = set(llmlog("show", call_id, "--full", "--format", "table").out.split())
    assert [w for w in answer if w not in shown] == []
    headed = llmlog("show", call_id, "--format", "table").out
    assert answer[-1] not in headed and "more characters" in headed


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_full_changes_nothing_in_data_formats(
    store: psycopg.Connection, llmlog: Any, fmt: str
) -> None:
    call_id = stored(store, call(AT, output_text="x" * (HEAD_CHARS + 10)))
    plain = llmlog("show", call_id, "--format", fmt).out
    assert plain == llmlog("show", call_id, "--full", "--format", fmt).out
    assert "x" * (HEAD_CHARS + 10) in plain


def test_responses_function_calls_and_outputs(
    store: psycopg.Connection, llmlog: Any, columns: Any
) -> None:
    request = {
        "model": "gpt-5-mini",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "Rate for EUR?"}]},
            {
                "type": "function_call",
                "call_id": "fc_1",
                "name": "rate",
                "arguments": '{"c":"EUR"}',
            },
            {"type": "function_call_output", "call_id": "fc_1", "output": '{"usd":1.08}'},
        ],
    }
    call_id = stored(store, call(AT, endpoint="responses", request=request))
    columns(80)
    out = llmlog("show", call_id, "--format", "table").out
    titles = [line.split("─ ")[1].split(" ─")[0] for line in out.splitlines() if "╭─" in line]
    assert titles[1:] == ["user", "tool call rate", "tool result fc_1"]
    lines = [line.strip("│ ") for line in out.splitlines()]
    assert "Rate for EUR?" in lines and '"c": "EUR"' in lines and '"usd": 1.08' in lines


def test_odd_json_in_request_and_tool_calls_still_shows(
    store: psycopg.Connection, llmlog: Any
) -> None:
    odd = {
        "model": "m",
        "messages": [
            {"role": "user", "content": {"nested": True}},
            {"role": "assistant", "tool_calls": [{"function": "f"}, "g"]},
            "loose",
            7,
        ],
        "tools": [{"function": "h"}, "i"],
    }
    call_id = stored(store, call(AT, request=odd, tool_calls=["not an object", 3]))
    result = llmlog("show", call_id, "--format", "table")
    assert result.code == 0, result.err
    assert '{"nested": true}' in result.out


def test_a_huge_error_message_is_cut_unless_full(
    store: psycopg.Connection, llmlog: Any, columns: Any
) -> None:
    message = " ".join(words(2_000, "err"))  # 15 KB
    call_id = stored(store, call(AT, status="error", finish_reason="error", error_message=message))
    columns(120)
    assert "err1999" not in llmlog("show", call_id, "-f", "table").out
    assert "err1999" in llmlog("show", call_id, "--full", "-f", "table").out


def test_a_call_without_a_model_says_dash_not_none(
    store: psycopg.Connection, llmlog: Any, columns: Any
) -> None:
    call_id = stored(store, call(AT, model=None, output_text="hi"))
    columns(100)
    shown = llmlog("show", call_id, "-f", "table").out
    assert "model: openai - (" in shown and "None" not in shown
