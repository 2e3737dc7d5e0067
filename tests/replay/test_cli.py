"""``llmlog replay`` as a person runs it: the diff on the terminal and as JSON, dry runs,
what is stored, and each failure with its exit code."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests.capture.conftest import CANARY, rows
from tests.cli.run import assert_one_line_error, llmlog
from tests.replay.conftest import Made
from tests.stub_provider import HOSTILE, TEXT, StubServer

HI = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def replay(store_url: str, *args: str) -> tuple[int, str, str]:
    result = llmlog("--db", store_url, "replay", *args, env={"COLUMNS": "200"})
    return result.code, result.stdout, result.stderr


def prompt(tmp_path: Path, text: str) -> str:
    path = tmp_path / "prompt.txt"
    path.write_text(text)
    return str(path)


def test_the_table_shows_both_answers_with_changed_words_marked_and_the_numbers(
    made: Made, store_url: str, tmp_path: Path
) -> None:
    original = made(**HI)
    essay = prompt(tmp_path, "write an essay")
    args = [str(original["id"]), "--prompt-file", essay, "--format", "table"]
    code, out, err = replay(store_url, *args, "--fail-on-change", "100")
    assert code == 0, err
    assert "[-Hello from the stub. It is sunny.-]" in out
    assert "{+Our refund policy covers" in out
    for metric in ("input_tokens", "output_tokens", "cost_usd", "latency_ms"):
        assert metric in out
    assert "changed: text: 100.0% of words changed" in out
    failing = replay(store_url, *args, "--no-save", "--fail-on-change", "50")
    assert failing[0] == 1, failing[2]


def test_an_identical_answer_says_so_and_marks_nothing(
    made: Made, store_url: str, tmp_path: Path
) -> None:
    original = made(**HI)
    code, out, err = replay(store_url, str(original["id"]), "-f", "table", "--fail-on-change", "0")
    assert code == 0, err
    assert "[-" not in out and "{+" not in out
    assert "unchanged (same words, tool calls, finish)" in out
    assert out.count(TEXT) == 2


def test_hostile_text_is_printed_literally_with_control_characters_escaped(
    made: Made, store_url: str, tmp_path: Path
) -> None:
    original = made(**HI)
    code, out, err = replay(
        store_url,
        str(original["id"]),
        "--prompt-file",
        prompt(tmp_path, "hostile"),
        "--format",
        "table",
    )
    assert code == 0, err
    assert "[bold" in out and "red]boom[/]" in out and "[link=file:///etc/passwd]click" in out
    assert "\\x1b[2J" in out and "\\u202e" in out
    assert "\x1b" not in out and "\u202e" not in out


def test_json_is_the_diff_as_data_and_a_saved_replay_links_back(
    made: Made, store_url: str, store: psycopg.Connection, tmp_path: Path
) -> None:
    original = made(**HI)
    code, out, err = replay(
        store_url,
        str(original["id"]),
        "--prompt-file",
        prompt(tmp_path, "hostile"),
        "--model",
        "gpt-4.1",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["saved"] and data["original_id"] == str(original["id"])
    assert data["replay"]["output_text"] == HOSTILE  # exact in JSON
    assert data["replay"]["model"] == "gpt-4.1"
    assert data["diff"]["text"]["deleted"][0] == {"index": 0, "word": "Hello"}
    assert data["verdict"]["changed"] and data["noise"] is None
    (new,) = data["replay_ids"]
    (row,) = rows(store, "replay_of = %s", original["id"])
    assert str(row["id"]) == new
    assert row["metadata"]["replay"]["overrides"] == {"model": "gpt-4.1", "prompt": "hostile"}
    shown = json.loads(llmlog("--db", store_url, "show", str(original["id"]), "-f", "json").stdout)
    assert [r["id"] for r in shown["replays"]] == [new]


def test_repeat_reports_the_noise_floor(made: Made, store_url: str) -> None:
    original = made(**HI)
    code, out, err = replay(store_url, str(original["id"]), "--repeat", "2", "--no-save")
    assert code == 0, err
    data = json.loads(out)
    assert data["noise"]["runs"] == 2 and data["noise"]["text_floor"] == 0
    assert len(data["runs"]) == len(data["baseline_runs"]) == 2
    assert not data["verdict"]["changed"]


def test_dry_run_prints_the_body_and_the_estimate_and_sends_nothing(
    made: Made, store_url: str, provider_env: StubServer, tmp_path: Path
) -> None:
    original = made(**HI)
    system = tmp_path / "system.txt"
    system.write_text("Answer in French.")
    args = ["--temperature", "0.2", "--param", "seed=5", "--system", f"@{system}"]
    code, out, err = replay(store_url, str(original["id"])[:18], "--dry-run", *args, "-f", "table")
    assert code == 0, err
    messages = [{"role": "system", "content": "Answer in French."}, *HI["messages"]]
    assert json.loads(out) == {**HI, "messages": messages, "temperature": 0.2, "seed": 5}
    assert "dry run, nothing sent" in err and "estimated cost $0.0" in err
    assert provider_env.requests == []


def test_no_save_stores_nothing(made: Made, store_url: str, store: psycopg.Connection) -> None:
    original = made(**HI)
    code, out, err = replay(store_url, str(original["id"]), "--no-save", "--model", "gpt-4.1")
    assert code == 0, err
    assert json.loads(out)["replay_ids"] == []
    assert [r["id"] for r in rows(store)] == [original["id"]]


def test_an_unknown_id_exits_1(made: Made, store_url: str) -> None:
    made(**HI)
    result = llmlog("--db", store_url, "replay", "0000000000007")
    assert_one_line_error(result, 1, "no call with id 0000000000007")


def test_a_call_whose_content_was_removed_exits_1_saying_so(
    made: Made, store_url: str, store: psycopg.Connection
) -> None:
    original = made(**HI)
    store.execute(
        'UPDATE llm_calls SET request = \'{"model": "m"}\' WHERE id = %s', (original["id"],)
    )
    result = llmlog("--db", store_url, "replay", str(original["id"]))
    assert_one_line_error(result, 1, "content was removed")


def test_a_missing_key_exits_2_naming_the_variable(
    made: Made, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = made(**HI)
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    result = llmlog(
        "--db",
        store_url,
        "replay",
        str(original["id"]),
        "--provider",
        "anthropic",
        "--model",
        "claude-haiku-4-5",
    )
    assert_one_line_error(result, 2, "ANTHROPIC_API_KEY is not set", "export ANTHROPIC_API_KEY")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--param", "seed"], ["--param 'seed' is not key=value"]),
        (["--system", "@/nonexistent/prompt.txt"], ["cannot read /nonexistent/prompt.txt"]),
        (["--provider", "anthropic"], ["needs the model"]),
    ],
)
def test_bad_options_exit_2(
    made: Made, store_url: str, args: list[str], fragments: list[str]
) -> None:
    original = made(**HI)
    result = llmlog("--db", store_url, "replay", str(original["id"]), *args)
    assert_one_line_error(result, 2, *fragments)


def test_a_dangling_tool_call_exits_2_with_what_to_do(made: Made, store_url: str) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": "{}"},
    }
    original = made(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": [call]}],
    )
    result = llmlog("--db", store_url, "replay", str(original["id"]))
    assert_one_line_error(
        result, 2, "tool call call_1 (get_weather) has no result", "llmlog trace ID"
    )


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ["--prompt-file", "error401"],
            ["openai refused the API key (HTTP 401)", "OPENAI_API_KEY"],
        ),
        (["--prompt-file", "error429"], ["rate limited (HTTP 429)"]),
        (["--model", "no-such-model"], ["does not know model 'no-such-model'"]),
        (["--base-url", "http://127.0.0.1:9/v1"], ["cannot reach openai at http://127.0.0.1:9"]),
    ],
)
def test_provider_failures_exit_4_in_one_line_without_the_key(
    made: Made, store_url: str, tmp_path: Path, args: list[str], fragments: list[str]
) -> None:
    original = made(**HI)
    if args[0] == "--prompt-file":
        args = [args[0], prompt(tmp_path, args[1])]
    result = llmlog("--db", store_url, "replay", str(original["id"]), "--no-save", *args)
    assert_one_line_error(result, 4, *fragments)
    assert CANARY not in result.stderr


def test_a_failed_replay_is_stored_as_a_failed_call_linked_back(
    made: Made, store_url: str, store: psycopg.Connection
) -> None:
    original = made(**HI)
    result = llmlog("--db", store_url, "replay", str(original["id"]), "--model", "no-such-model")
    assert result.code == 4
    (row,) = rows(store, "replay_of = %s", original["id"])
    assert (row["status"], row["http_status"]) == ("error", 404)
