"""Bad usage is one line in the house format (`llmlog: what — what to do`), exit 2, and no
message carries a password, whatever the library under it says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmlog.errors import EXIT_STORE, EXIT_USAGE
from tests.cli.run import Result, assert_one_line_error, llmlog


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("tail", "--bogus"), ["no such option: --bogus", "`llmlog tail --help`"]),
        # (Typer words a bad value its own way, by version: the option is what is asserted.)
        (("tail", "-n", "many"), ["invalid value for '--limit'", "`llmlog tail --help`"]),
        (("tail", "-n", "0"), ["invalid value for '--limit'", "`llmlog tail --help`"]),
        (("show",), ["missing argument 'ID'", "`llmlog show --help`"]),
        (("cost-by-feature", "--by", "year"), ["'year' is not one of", "cost-by-feature --help"]),
        (("tail", "--format", "xml"), ["'xml' is not one of"]),
        (("nosuch",), ["no such command 'nosuch'", "`llmlog --help`"]),
        (("tail", "--since"), ["'--since' requires an argument"]),
        (("feedback", "a", "up", "extra"), ["unexpected extra argument"]),
        (("--db",), ["'--db' requires an argument"]),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: tuple[str, ...], fragments: list[str]) -> None:
    result = llmlog(*args)
    assert_one_line_error(result, EXIT_USAGE, *fragments)
    assert " — " in result.stderr
    assert result.stdout == ""


def test_no_command_prints_the_help() -> None:
    result = llmlog()
    assert result.code == EXIT_USAGE and "Reports:" in result.stdout


def raw_llmlog(*args: bytes) -> Result:
    """Run llmlog with arguments as raw bytes, as a shell passes $'\\xff'."""
    proc = subprocess.run(
        [sys.executable.encode(), b"-m", b"llmlog", *args],
        capture_output=True,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


@pytest.mark.parametrize(
    "args",
    [
        [b"tail", b"--feature", b"\xff"],
        [b"errors", b"--grep", b"caf\xe9"],
        [b"trace", b"\xfe\xff"],
        [b"recost", b"--model", b"m\x80"],
        [b"feedback", b"0193", b"down", b"--note", b"\xc3("],
        [b"--db", b"postgresql://u:pw\xff@h/x", b"status"],
    ],
)
def test_arguments_that_are_not_utf8_are_a_usage_error(args: list[bytes]) -> None:
    result = raw_llmlog(*args)
    assert_one_line_error(result, EXIT_USAGE, "is not valid UTF-8")
    assert "u:pw" not in result.stderr  # the argument itself is not echoed


SECRET = "s3cr3tPW"
MALFORMED = [
    f"postgresql://u:{SECRET}%ZZ@127.0.0.1:1/x",  # psycopg quotes the bad token
    f"postgresql://u:{SECRET}@127.0.0.1:port/x",
    f"postgresql://u:{SECRET}@[::1/x",
    f"postgresql://u:{SECRET}@127.0.0.1:99999/x",
    f"postgresql://u:{SECRET[:4]}@{SECRET[4:]}@127.0.0.1:1/x",  # a raw @ in the password
    f"postgresql://u:{SECRET[:4]}?{SECRET[4:]}@127.0.0.1:1/x",
    f"postgresql://u:{SECRET}\n@127.0.0.1:1/x",
    f"postgresql://u@127.0.0.1:1/x?password={SECRET}%ZZ",
    f"postgresql://u@127.0.0.1:1/x?password={SECRET}&sslmode=%ZZ",
    f"postgres://u:{SECRET}@127.0.0.1:1/x?bogus_option=1",
    f"mysql://u:{SECRET}@127.0.0.1/x",
    f"postgresql://u:{SECRET}@127.0.0.1:1/x?sslmode=bogus",
    f"postgresql://u:{SECRET}@127.0.0.1:1/x",
]


@pytest.mark.parametrize("url", MALFORMED)
def test_no_message_carries_a_password(url: str) -> None:
    for result in (
        llmlog("--db", url, "status"),
        llmlog("tail", env={"LLMLOG_DATABASE_URL": url}),
    ):
        assert result.code in (EXIT_USAGE, EXIT_STORE), result.stderr
        assert_one_line_error(result, result.code)
        for fragment in (SECRET, SECRET[:4], SECRET[4:]):
            assert fragment not in result.stderr, result.stderr
    debug = llmlog("--db", url, "status", env={"LLMLOG_DEBUG": "1"})
    assert "Traceback" in debug.stderr and SECRET not in debug.stderr, debug.stderr


def test_no_message_carries_a_password_from_the_config_file(isolated_env: Path) -> None:
    # Only a file can hold a NUL (argv and the environment cannot).
    for url in (f"postgresql://u:{SECRET}\\u0000x@127.0.0.1:1/x", MALFORMED[0]):
        (isolated_env / "config.toml").write_text(f'database_url = "{url}"\n')
        result = llmlog("status")
        assert_one_line_error(result, EXIT_USAGE)
        assert SECRET[:4] not in result.stderr and SECRET[4:] not in result.stderr


def test_scrub_hides_a_password_however_it_was_quoted() -> None:
    from llmlog.store.connect import mask, scrub

    url = "postgresql://app:p%40ss%2Fw0rd@db/x?password=other%21"
    said = "bad 'p%40ss%2Fw0rd' (p@ss/w0rd), then other! and other%21"
    assert scrub(said, url) == "bad '***' (***), then *** and ***"
    assert mask(url) == "postgresql://app:***@db/x?password=***"
