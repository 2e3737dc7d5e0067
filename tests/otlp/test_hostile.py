"""Hostile text in ``llmlog export``'s ``--otlp`` and ``--header``: one ``llmlog:`` line and
exit 2 (or nothing to send), never a traceback, nothing sent."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from tests.cli.test_hostile_input import HOSTILE
from tests.reports.conftest import Result, llmlog

__all__ = ["llmlog"]
NO_STORE = "postgresql://nobody@127.0.0.1:1/none"  # (a URL is checked before any store)


@pytest.fixture
def storeless(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    from llmlog.cli.app import main

    def run(*args: str) -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["llmlog", "--db", NO_STORE, *args])
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


URLS = [*HOSTILE, "ftp://x", "http://", "http://exa mple", "http://x:99999", "http://[::1",
        "http://x/\u202e", "http://x/\udcff", "https://x\r\nHost: y"]  # fmt: skip


def assert_usage_error(result: Any) -> None:
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert result.code == 2 and len(lines) == 1 and lines[0].startswith("llmlog: "), result.err


@pytest.mark.parametrize("url", [u.replace("\x00", "") for u in URLS])
def test_hostile_otlp_urls_are_one_line(storeless: Any, url: str) -> None:
    assert_usage_error(storeless("export", f"--otlp={url}"))


HEADER_VALUES = ["'; DROP TABLE llm_calls; --", "%s", "\x1b[31mred\x1b[0m\x07", "\r\n\t\x08",
                 "\u202eevil\u2066", "\udcff\udcfe", "x" * 100_000, "line1\nline2", "a=b=c",
                 "é"]  # fmt: skip


@pytest.mark.parametrize("value", HEADER_VALUES)
def test_hostile_headers_are_one_line_or_sent_as_given(llmlog: Any, value: str) -> None:
    result = llmlog("export", "--otlp=http://127.0.0.1:9", f"--header=x-key={value}", "--feature=x")
    assert "Traceback" not in result.err
    if result.code == 0:  # (a value a header may hold: nothing matched, nothing sent)
        assert "no call matched" in result.err
    else:
        assert_usage_error(result)


@pytest.mark.parametrize("item", ["", "=", "=v", "no-equals", "bad name=v", "x\ny=v", "é=v"])
def test_a_header_that_is_not_name_equals_value_is_one_line(storeless: Any, item: str) -> None:
    assert_usage_error(storeless("export", "--otlp=http://127.0.0.1:9", f"--header={item}"))


@pytest.mark.parametrize(
    "host", ["x" * 100_000, "'; DROP TABLE llm_calls; --", "[bold]", "::1::", "300.1.1.1", "-",
             "a\x1b[2J", "\u202eevil"],
)  # fmt: skip
def test_a_host_it_cannot_listen_on_is_one_line(
    llmlog: Any, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    monkeypatch.setenv("LLMLOG_OTLP_TOKEN", "t")  # (so the host is tried, not refused)
    assert_usage_error(llmlog("otlp", f"--host={host}", "--port=0"))
