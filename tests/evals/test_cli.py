"""`llmlog sample-evals`: JSONL out, a summary on stderr, friendly empty results, exit 2 on
bad options, the same file for the same seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmlog.store.records import Record
from tests.evals.conftest import names


def rows(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_writes_jsonl_and_a_summary_per_reason_and_feature(
    evals: dict[str, Record], llmlog: Any
) -> None:
    result = llmlog("sample-evals", "--why", "error", "--seed", "3")
    assert result.code == 0 and result.out, result.err
    found = names(evals, rows(result.out))
    assert set(found) == {"error", "slow_error", *(f"noisy{n}" for n in range(1, 6))}
    assert found["slow_error"] == ["error"]  # reasons among those asked for
    assert "7 calls of 7 candidates (seed 3); error 7" in result.err
    assert "by feature: noisy 5, chat 2" in result.err


def test_the_same_seed_gives_the_same_file_byte_for_byte(
    evals: dict[str, Record], llmlog: Any, tmp_path: Path
) -> None:
    args = ("sample-evals", "--why", "thumbs_down,error,random", "-n", "9", "--seed", "11")
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert llmlog(*args, "-o", str(first)).code == 0
    assert llmlog(*args, "-o", str(second)).code == 0
    assert first.read_bytes() == second.read_bytes() and first.read_bytes()
    assert llmlog(*args).out.encode() == first.read_bytes()


def test_without_a_seed_the_summary_names_the_one_used(
    evals: dict[str, Record], llmlog: Any
) -> None:
    result = llmlog("sample-evals", "--why", "random", "-n", "3")
    seed = result.err.split("(seed ")[1].split(")")[0]
    again = llmlog("sample-evals", "--why", "random", "-n", "3", "--seed", seed)
    assert again.out == result.out


def test_an_empty_result_is_a_friendly_line_and_exit_0(
    evals: dict[str, Record], llmlog: Any, tmp_path: Path
) -> None:
    target = tmp_path / "none.jsonl"
    result = llmlog("sample-evals", "--feature", "nope", "-o", str(target))
    assert (result.code, result.out) == (0, "")
    assert result.err.startswith("no calls matched") and not target.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--why", "often"],
        ["--limit", "0"],
        ["--per-feature", "0"],
        ["--slow-ms", "-5"],
        ["--format", "yaml"],
        ["--since", "yesterday-ish"],
        ["--seed", "many"],
    ],
)
def test_bad_options_exit_2_with_one_line(
    evals: dict[str, Record], llmlog: Any, args: list[str]
) -> None:
    result = llmlog("sample-evals", *args)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("llmlog: ") and result.err.count("\n") == 1


def test_an_unwritable_output_is_exit_2_and_leaves_nothing(
    evals: dict[str, Record], llmlog: Any, tmp_path: Path
) -> None:
    result = llmlog("sample-evals", "-o", str(tmp_path / "missing" / "x.jsonl"))
    assert result.code == 2 and "cannot write" in result.err
    assert not (tmp_path / "missing").exists()


def test_stored_text_is_exported_exactly(evals: dict[str, Record], llmlog: Any) -> None:
    result = llmlog("sample-evals", "--why", "refusal", "--seed", "1")
    texts = {row["output"]["text"] for row in rows(result.out)}
    assert "I’m unable to share that." in texts


@pytest.mark.parametrize(
    "fmt", ["llmlog", "openai-chat", "inspect", "langfuse", "braintrust", "promptfoo"]
)
def test_every_format_writes_one_json_object_per_chosen_call(
    evals: dict[str, Record], llmlog: Any, fmt: str
) -> None:
    result = llmlog("sample-evals", "--why", "error", "--seed", "1", "-f", fmt)
    assert result.code == 0, result.err
    assert len(rows(result.out)) == 7


def test_preference_without_pairs_is_a_friendly_line(evals: dict[str, Record], llmlog: Any) -> None:
    result = llmlog("sample-evals", "-f", "openai-preference")
    assert (result.code, result.out) == (0, "")
    assert "no preference pairs" in result.err


def test_redact_and_capture_s_redaction_setting_redact_the_export(
    store: Any, llmlog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmlog.store.batch import BatchWriter
    from tests.reports.conftest import NOW, call

    text = "Write to ann@example.com"
    BatchWriter(store).write([call(NOW, question=text, output_text=text, feedback=-1)])
    plain = rows(llmlog("sample-evals", "--seed", "1").out)[0]
    assert plain["output"]["text"] == text
    redacted = rows(llmlog("sample-evals", "--seed", "1", "--redact").out)[0]
    assert redacted["output"]["text"] == "Write to [EMAIL]"
    assert redacted["input"]["messages"][1]["content"] == "Write to [EMAIL]"
    from llmlog import settings

    monkeypatch.setenv("LLMLOG_REDACT_PII", "1")
    settings.reset()  # read once per process, as a capturing application does
    try:
        exported = rows(llmlog("sample-evals", "--seed", "1").out)[0]
    finally:
        monkeypatch.delenv("LLMLOG_REDACT_PII")
        settings.reset()
    assert exported["output"]["text"] == "Write to [EMAIL]"


def test_refusal_phrases_come_from_config_toml(
    evals: dict[str, Record], llmlog: Any, isolated_env: Path
) -> None:
    config = isolated_env / "config.toml"
    config.write_text('refusal_phrases = ["here is the long"]\n')
    found = names(evals, rows(llmlog("sample-evals", "--why", "refusal", "--seed", "1").out))
    assert set(found) == {"refused", "late_phrase"}
    config.write_text('refusal_phrases = "nope"\n')
    result = llmlog("sample-evals", "--why", "refusal")
    assert result.code == 2 and "refusal_phrases" in result.err


def test_a_stdout_that_cannot_take_the_export_is_one_line_and_records_nothing(
    evals: dict[str, Record], store_url: str, store: Any
) -> None:
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "llmlog", "--db", store_url, "sample-evals", "--seed", "1"],
            stdout=full, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("llmlog: cannot write the export to stdout")
    assert store.execute("SELECT count(*) FROM llm_eval_exports").fetchone() == (0,)
