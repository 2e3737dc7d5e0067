"""`llmlog demo` refuses sizes it cannot sensibly make, at once and with one line."""

from __future__ import annotations

import time

import psycopg
import pytest

from llmlog.cli.app import main


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--days", "99999999", "--calls", "5"), "--days"),
        (("--days", "nan"), "--days"),
        (("--days", "inf"), "--days"),
        (("--days", "0"), "--days"),
        (("--calls", "0"), "--calls"),
        (("--calls", "10000001"), "--calls"),
    ],
)
def test_demo_refuses_out_of_range_days_and_calls(
    store_url: str,
    store: psycopg.Connection,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    fragment: str,
) -> None:
    monkeypatch.setattr("sys.argv", ["llmlog", "--db", store_url, "demo", *args])
    started = time.monotonic()
    with pytest.raises(SystemExit) as exited:
        main()
    assert time.monotonic() - started < 10
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("llmlog: ") and fragment in err[0], err
    assert store.execute("SELECT count(*) FROM llm_calls").fetchone() == (0,)
