"""Keys never stored; PII redaction; metadata content mode; HMAC user ids; redact hook."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

import llmlog
from llmlog import redact
from llmlog.capture.build import hash_user_id
from tests.capture.conftest import CANARY, anthropic_client, openai_client, rows
from tests.stub_provider import StubServer


def everything_stored(conn: psycopg.Connection) -> str:
    return "\n".join(r[0] for r in conn.execute("SELECT row_to_json(c)::text FROM llm_calls c"))


def spool_text(spool: Path) -> str:
    return "\n".join(p.read_text() for p in spool.rglob("*") if p.is_file())


def planted_calls(stub: StubServer) -> None:
    import anthropic
    import openai

    options: dict[str, Any] = {
        "default_headers": {"x-custom-key": CANARY},
        "default_query": {"key": CANARY},
    }
    oa = llmlog.wrap(openai_client(stub, **options))
    oa.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.AuthenticationError):
        oa.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "error401"}]
        )
    an = llmlog.wrap(anthropic_client(stub, **options))
    with pytest.raises(anthropic.AuthenticationError) as caught:
        an.messages.create(
            model="claude-haiku-4-5",
            max_tokens=5,
            messages=[{"role": "user", "content": "error401"}],
        )
    assert CANARY in str(caught.value)  # the stub really echoes the key, like the real APIs


def test_canary_key_is_nowhere(
    capture: Path,
    store: psycopg.Connection,
    stub: StubServer,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG, logger="llmlog")
    planted_calls(stub)
    found = rows(store)
    assert len(found) == 3
    auth_errors = [r for r in found if r["http_status"] == 401]
    assert [r["error_message"] for r in auth_errors] == ["Incorrect API key provided: [KEY]"] * 2
    assert CANARY not in everything_stored(store)
    assert "canary" not in everything_stored(store).lower()
    assert CANARY not in caplog.text
    out, err = capfd.readouterr()
    assert CANARY not in out + err


def test_canary_key_is_not_in_the_spool(
    tmp_path: Path, stub: StubServer, caplog: pytest.LogCaptureFixture
) -> None:
    from llmlog import settings
    from llmlog.capture import writer

    caplog.set_level(logging.DEBUG, logger="llmlog")
    spool = tmp_path / "spool"
    settings.reset()
    llmlog.configure(database_url="postgresql://nobody@127.0.0.1:9/none", spool_dir=spool)
    try:
        planted_calls(stub)
        assert llmlog.flush(10)
        assert llmlog.stats()["spooled"] == 3
    finally:
        writer.shutdown()
        settings.reset()
    text = spool_text(spool)
    assert "Incorrect API key provided: [KEY]" in text
    assert CANARY not in text and CANARY not in caplog.text


def test_key_looking_strings_in_prompts_are_scrubbed(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    llmlog.wrap(openai_client(stub)).chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "my key is sk-proj-abcdefghijklmnopqrstuvwx ok"}],
    )
    (row,) = rows(store)
    assert row["request"]["messages"][0]["content"] == "my key is [KEY] ok"


KEYS = [
    "sk-proj-abcdefghijklmnopqrstuvwx",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_" + "a1" * 18,
    "gho_" + "b2" * 18,
    "xoxb-1234567890-abcdef",
    "AIza" + "c" * 35,
]


@pytest.mark.parametrize("key", KEYS)
def test_every_key_kind_is_scrubbed_from_raw_bodies(key: str) -> None:
    body = f'{{"messages":[{{"content":"use {key} here"}}],"h":"Bearer {"z" * 20}"}}'.encode()
    assert redact.scrub_keys_bytes(body) == (
        b'{"messages":[{"content":"use [KEY] here"}],"h":"Bearer [KEY]"}'
    )


@pytest.mark.parametrize(
    "secret",
    ["sk-proj-abcdefghijklmnopqrstuvwx", "sk-short", "azure0123456789abcdef0123456789ab"],
)
@pytest.mark.parametrize("before", ["use ", "token_", "x"])
def test_the_clients_own_key_is_scrubbed_wherever_it_stands(secret: str, before: str) -> None:
    """Also where no key pattern would match it: after a word character (no word
    boundary), too short for the pattern, or with no known prefix at all."""
    body = f'{{"messages":[{{"content":"{before}{secret} and {secret}"}}]}}'.encode()
    scrubbed = redact.scrub_keys_bytes(body, (secret,))
    assert secret.encode() not in scrubbed
    assert scrubbed.startswith(f'{{"messages":[{{"content":"{before}[KEY]'.encode())


@pytest.mark.parametrize("hyperscan", [True, False], ids=["hyperscan", "re"])
def test_both_key_prefilters_find_every_key_kind(
    hyperscan: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not hyperscan:
        monkeypatch.setitem(sys.modules, "hyperscan", None)  # as where it is not installed
    else:
        pytest.importorskip("hyperscan")
    found = redact.key_start_finder()
    filler = "Our refund policy covers unopened items within 30 days. " * 40
    for key in [*KEYS, "Bearer abc"]:
        assert found(f'{{"a":"{filler}","b":"{key}"}}'.encode()), key
    assert not found(f'{{"a":"{filler}","model":"gpt-4o-mini"}}'.encode())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111 1111 1111 1111 ok", "card [CARD] ok"),
        ("card 4111-1111-1111-1112", "card 4111-1111-1111-1112"),  # fails Luhn
        ("iban GB82 WEST 1234 5698 7654 32.", "iban [IBAN]."),
        ("iban GB82 WEST 1234 5698 7654 33", "iban GB82 WEST 1234 5698 7654 33"),  # mod-97
        ("write to bob.smith+x@example.co.uk", "write to [EMAIL]"),
        ("call +1 (415) 555-0100 now", "call [PHONE] now"),
        ("or 415-555-0100", "or [PHONE]"),
        ("from 192.168.1.20, not 999.1.1.1", "from [IP], not 999.1.1.1"),
        ("v6 2001:db8::1 at 10:30:00", "v6 [IP] at 10:30:00"),
        ("AKIAIOSFODNN7EXAMPLE and sk-ant-api03-abcdefghijklmnop", "[KEY] and [KEY]"),
        (
            "on 2026-11-23 10:30:00, v1.2.3, order 12345678",
            "on 2026-11-23 10:30:00, v1.2.3, order 12345678",
        ),
    ],
)
def test_pii_patterns(text: str, expected: str) -> None:
    assert redact.redact_text(text) == expected


def test_pii_redaction_applies_to_request_response_and_derived_text(
    store_url: str, tmp_path: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    from llmlog import settings
    from llmlog.capture import writer

    settings.reset()
    llmlog.configure(database_url=store_url, spool_dir=tmp_path, redact_pii=True)
    try:
        llmlog.wrap(openai_client(stub)).chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "system", "content": "Agent for bob@example.com"},
                {"role": "user", "content": "card 4111 1111 1111 1111, ip 10.0.0.7"},
            ],
        )
        (row,) = rows(store)
    finally:
        writer.shutdown()
        settings.reset()
    assert row["system_prompt"] == "Agent for [EMAIL]"
    assert row["request"]["messages"][1]["content"] == "card [CARD], ip [IP]"
    assert row["request"]["model"] == "gpt-4o-mini"


def test_metadata_content_mode_per_feature_and_hmac_user_id(
    store_url: str, tmp_path: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    from llmlog import settings
    from llmlog.capture import writer

    settings.reset()
    llmlog.configure(
        database_url=store_url,
        spool_dir=tmp_path,
        feature_content_modes={"private": "metadata"},
        user_id_key="k1",
    )
    try:
        client = llmlog.wrap(openai_client(stub), user_id="alice")
        with llmlog.context(feature="private"):
            client.chat.completions.create(
                model="gpt-4o-mini",
                temperature=0.5,
                messages=[
                    {"role": "system", "content": "secret"},
                    {"role": "user", "content": "tool"},
                ],
            )
        with llmlog.context(feature="public"):
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
        private, public = rows(store)
    finally:
        writer.shutdown()
        settings.reset()
    assert private["request"] == {"model": "gpt-4o-mini", "temperature": 0.5}
    assert "choices" not in private["response"] and private["response"]["usage"]["prompt_tokens"]
    assert private["system_prompt"] is None and private["output_text"] is None
    assert private["tool_calls"] == [{"id": "call_1", "name": "get_weather", "run_by": "client"}]
    assert private["metadata"]["content_mode"] == "metadata"
    assert private["input_tokens"] == 1200 and private["cost_usd"] > 0
    assert public["output_text"] and public["request"]["messages"]
    expected = hash_user_id("alice", "k1")
    assert private["user_id"] == public["user_id"] == expected and len(expected) == 32


def test_redact_hook_and_failing_hook_fails_closed(
    store_url: str, tmp_path: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    from llmlog import settings
    from llmlog.capture import writer

    def hook(record: dict[str, Any]) -> dict[str, Any]:
        if record["feature"] == "boom":
            raise RuntimeError("hook bug")
        record["output_text"] = record["output_text"].upper()
        return record

    settings.reset()
    llmlog.configure(database_url=store_url, spool_dir=tmp_path, redact=hook)
    try:
        client = llmlog.wrap(openai_client(stub))
        for feature in ("ok", "boom"):
            with llmlog.context(feature=feature):
                client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
                )
        ok, boom = rows(store)
    finally:
        writer.shutdown()
        settings.reset()
    assert ok["output_text"] == "HELLO FROM THE STUB. IT IS SUNNY."
    assert boom["output_text"] is None and boom["metadata"]["content_mode"] == "metadata"
