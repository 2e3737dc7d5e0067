"""Conversion details the end-to-end replays do not reach."""

from __future__ import annotations

from llmlog.replay.convert import convert


def test_empty_turns_are_left_out_for_anthropic_and_named() -> None:
    body = {
        "model": "gpt-4o-mini",
        "max_tokens": 10,
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": None},
            {"role": "user", "content": [{"type": "text", "text": ""}]},
            {"role": "user", "content": "again"},
        ],
    }
    endpoint, converted, warnings = convert(body, "chat.completions", "anthropic")
    assert endpoint == "messages"
    assert converted["messages"] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "again"}],
        },
    ]
    assert warnings == [
        "message 2: empty (Anthropic refuses empty turns), left out",
        "message 3: empty (Anthropic refuses empty turns), left out",
    ]


def test_the_same_provider_needs_no_conversion() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "seed": 1}
    assert convert(body, "chat.completions", "openai") == ("chat.completions", body, [])
    assert convert(body, "messages", "anthropic") == ("messages", body, [])
