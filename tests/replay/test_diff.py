"""The diff of a call and its replay: words, tool calls, numbers, noise floor."""

from __future__ import annotations

from decimal import Decimal

from llmlog.replay.check import problems
from llmlog.replay.diff import Side, compare, judge, noise, text_diff, tool_calls_diff


def test_word_diff_marks_deleted_and_inserted_words_by_position() -> None:
    diff = text_diff("the cat sat on the mat", "the dog sat on a mat today")
    assert diff.as_dict() == {
        "changed": round(5 / 13, 4),
        "deleted": [{"index": 1, "word": "cat"}, {"index": 4, "word": "the"}],
        "inserted": [
            {"index": 1, "word": "dog"},
            {"index": 4, "word": "a"},
            {"index": 6, "word": "today"},
        ],
    }


def test_an_inserted_word_does_not_mark_every_later_word_changed() -> None:
    diff = text_diff("a b c d e f", "x a b c d e f")
    assert (diff.deleted, diff.inserted) == (frozenset(), frozenset({0}))


def test_identical_outputs_make_an_identical_diff() -> None:
    side = Side(output_text="Same words.", tool_calls=[{"id": "1", "name": "f", "arguments": "{}"}],
                finish_reason="stop")  # fmt: skip
    other = [{"id": "2", "name": "f", "arguments": "{ }"}]
    diff = compare(side, Side(output_text="Same words.", finish_reason="stop", tool_calls=other))
    assert diff.identical and diff.text.changed == 0 and diff.tool_calls == []


def test_hostile_text_is_compared_as_plain_words() -> None:
    hostile = "[bold red]x[/] \x1b[2J \u202e [link=file:///etc]y"
    diff = text_diff(hostile, hostile + " more")
    assert diff.as_dict()["inserted"] == [{"index": 5, "word": "more"}]
    assert diff.original == hostile


def test_tool_calls_are_compared_by_name_arguments_and_order_as_paths() -> None:
    original = [{"id": "a", "name": "get_weather", "arguments": '{"city":"Paris","unit":"c"}'}]
    replay = [
        {"id": "b", "name": "get_weather", "arguments": '{"city":"Rome","unit":"c"}'},
        {"id": "c", "name": "get_time", "arguments": "{}"},
    ]
    assert tool_calls_diff(original, replay) == [
        {"path": "[0]['arguments']['city']", "change": "changed",
         "original": "Paris", "replay": "Rome"},
        {"path": "[1]", "change": "added", "original": None,
         "replay": {"name": "get_time", "arguments": {}}},
    ]  # fmt: skip


def test_metrics_carry_deltas() -> None:
    a = Side(input_tokens=100, output_tokens=50, cost_usd=Decimal("0.002"), latency_ms=1000.0)
    b = Side(input_tokens=100, output_tokens=75, cost_usd=Decimal("0.001"), latency_ms=500.0)
    rows = {r["metric"]: r for r in compare(a, b).metrics}
    assert rows["output_tokens"]["delta"] == 25 and rows["output_tokens"]["delta_pct"] == 50
    assert rows["cost_usd"]["delta"] == Decimal("-0.001")
    assert rows["latency_ms"]["delta_pct"] == -50
    assert rows["ttft_ms"]["delta"] is None


def test_a_change_within_the_noise_floor_is_not_a_change() -> None:
    original = Side(output_text="one two three four", output_tokens=10)
    baseline = [Side(output_text="one two three five", output_tokens=12)]
    floor = noise(original, baseline)
    assert floor.text_floor == 0.25 and floor.ranges["output_tokens"] == (10, 12)
    within = judge(original, [Side(output_text="one two six four", output_tokens=11)], floor)
    assert not within.changed and within.beyond_noise == []
    beyond = judge(original, [Side(output_text="seven eight", output_tokens=30)], floor)
    assert beyond.changed and beyond.beyond_noise == ["output_tokens"]
    assert judge(original, [Side(output_text="one two six four")]).changed  # no floor: any


def test_the_check_finds_unanswered_and_unasked_tool_results_on_each_endpoint() -> None:
    chat = [{"role": "assistant", "tool_calls": [{"id": "c1", "function": {"name": "f"}}]},
            {"role": "user", "content": "hi"},
            {"role": "tool", "tool_call_id": "c9", "content": "x"}]  # fmt: skip
    assert problems("chat.completions", {"messages": chat}) == [
        "tool call c1 (f) has no result before message 2",
        "message 3 is the result of tool call c9, which no assistant message just made",
    ]
    use = {"type": "tool_use", "id": "t1", "name": "f"}
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": [use]}]
    assert problems("messages", {"messages": messages}) == [
        "tool call t1 (f) has no result before the end of the messages"
    ]
    answered = [*messages, {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]}]  # fmt: skip
    assert problems("messages", {"messages": answered}) == []
    responses = {"input": [{"type": "function_call", "call_id": "c", "name": "f"}]}
    assert problems("responses", responses) == [
        "tool call c (f) has no result before the end of the input"
    ]
    assert problems("responses", {**responses, "previous_response_id": "r"}) == []
