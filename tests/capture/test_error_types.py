"""One error vocabulary across providers: each documented error to one word, words kept."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx2
import pytest

import llmlog
from llmlog.capture import error_types
from llmlog.capture.error_types import Failure, from_body, from_exception
from tests.capture.conftest import anthropic_client, openai_client
from tests.cli.run import llmlog as run_llmlog
from tests.stub_provider import StubServer


def openai(kind: str | None, code: str | None, message: str = "m") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def anthropic(kind: str, message: str = "m") -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_1"}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        # OpenAI's documented errors (developers.openai.com/docs/guides/error-codes)
        (429, openai("tokens", "rate_limit_exceeded"), "rate_limit"),
        (429, openai("requests", "rate_limit_exceeded"), "rate_limit"),
        (429, openai("insufficient_quota", "insufficient_quota"), "quota"),
        (401, openai("invalid_request_error", "invalid_api_key"), "authentication"),
        (401, openai("invalid_request_error", None), "authentication"),
        (
            403,
            openai("invalid_request_error", "unsupported_country_region_territory"),
            "permission",
        ),
        (404, openai("invalid_request_error", "model_not_found"), "not_found"),
        (400, openai("invalid_request_error", "context_length_exceeded"), "bad_request"),
        (400, openai("invalid_request_error", "content_policy_violation"), "content_filter"),
        (500, openai("server_error", None), "server_error"),
        (503, openai("server_error", None, "The engine is currently overloaded"), "overloaded"),
        # Anthropic's documented errors (docs.claude.com/en/api/errors)
        (400, anthropic("invalid_request_error"), "bad_request"),
        (401, anthropic("authentication_error"), "authentication"),
        (402, anthropic("billing_error"), "quota"),
        (403, anthropic("permission_error"), "permission"),
        (404, anthropic("not_found_error"), "not_found"),
        (413, anthropic("request_too_large"), "bad_request"),
        (429, anthropic("rate_limit_error"), "rate_limit"),
        (500, anthropic("api_error"), "server_error"),
        (504, anthropic("timeout_error"), "timeout"),
        (529, anthropic("overloaded_error"), "overloaded"),
        # a gateway's page, or a body that says nothing: the status decides
        (502, {"llmlog_raw": "<html>Bad Gateway</html>"}, "server_error"),
        (418, None, "bad_request"),
        (599, {}, "server_error"),
    ],
)
def test_each_documented_http_error_has_one_word(
    status: int, body: dict[str, Any] | None, expected: str
) -> None:
    assert from_body(body, status).error_type == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": {"type": "overloaded_error", "message": "busy"}}, "overloaded"),  # messages
        ({"error": {"type": "api_error", "message": "x"}}, "server_error"),
        ({"error": {"message": "x", "type": "server_error", "code": None}}, "server_error"),  # chat
        (
            {"status": "failed", "error": {"code": "rate_limit_exceeded", "message": "x"}},
            "rate_limit",
        ),  # responses
        (
            {"status": "failed", "error": {"code": "invalid_prompt", "message": "x"}},
            "content_filter",
        ),
        (
            {"status": "failed", "error": {"code": "image_too_large", "message": "x"}},
            "bad_request",
        ),
        ({"status": "failed", "error": None}, "other"),
        ({"error": "went wrong"}, "other"),
    ],
)
def test_an_error_reported_after_a_200_is_classified_by_its_words(
    body: dict[str, Any], expected: str
) -> None:
    assert from_body(body, None).error_type == expected
    assert from_body(body, 200).error_type == expected


def test_the_providers_own_words_and_message_are_kept() -> None:
    body = openai("tokens", "rate_limit_exceeded", "Rate limit reached for gpt-4o")
    assert from_body(body, 429) == Failure(
        "rate_limit",
        "Rate limit reached for gpt-4o",
        {"type": "tokens", "code": "rate_limit_exceeded"},
    )
    assert from_body(anthropic("overloaded_error", "Overloaded"), 529) == Failure(
        "overloaded", "Overloaded", {"type": "overloaded_error"}
    )
    assert from_body({"error": "Not Found"}, 404) == Failure("not_found", "Not Found", {})
    assert from_body({"error": {"code": 1234, "message": 5}}, 400) == Failure(
        "bad_request", "5", {"code": "1234"}
    )


def _subclasses(cls: type) -> list[type]:
    return [cls, *(s for sub in cls.__subclasses__() for s in _subclasses(sub))]


def test_every_transport_error_of_the_http_client_is_a_timeout_or_a_connection_failure() -> None:
    """What the tee sees when a call gets no answer: httpx2's exceptions, by class name."""
    timeouts = _subclasses(httpx2.TimeoutException)
    others = [c for c in _subclasses(httpx2.TransportError) if c not in timeouts]
    assert {from_exception(c.__name__, "x").error_type for c in timeouts} == {"timeout"}
    assert {from_exception(c.__name__, "x").error_type for c in others} == {"connection"}
    assert from_exception("ReadTimeout", "timed out") == Failure(
        "timeout", "timed out", {"exception": "ReadTimeout"}
    )
    assert from_exception("ValueError", "x").error_type == "other"


def test_an_exception_wins_over_the_status_of_a_body_it_cut_short() -> None:
    assert (
        error_types.classify(status=500, kind="api_error", code=None, exception="ReadError")
        == "connection"
    )


def test_every_word_used_is_documented_and_every_documented_word_is_reachable() -> None:
    tables = (
        error_types.BY_TOKEN,
        error_types.BY_GENERIC,
        error_types.BY_STATUS,
        error_types.BY_EXCEPTION,
    )
    used = {word for table in tables for word in table.values()} | {"other"}
    assert used == set(error_types.VOCABULARY)
    assert not set(error_types.BY_TOKEN) & set(error_types.BY_GENERIC)


def test_mark_makes_a_failed_row_and_keeps_the_applications_metadata() -> None:
    record: dict[str, Any] = {"status": "ok", "metadata": {"app": "x"}}
    error_types.mark(record, Failure("rate_limit", "slow down", {"type": "rate_limit_error"}))
    assert record == {
        "status": "error",
        "error_type": "rate_limit",
        "error_message": "slow down",
        "finish_reason": "error",
        "metadata": {"app": "x", "provider_error": {"type": "rate_limit_error"}},
    }


def test_the_vocabulary_is_the_one_documented() -> None:
    root = Path(__file__).resolve().parents[2]
    section = (root / "docs" / "capture.md").read_text().split("### Errors\n")[1]
    table = section.split("\n### ")[0]
    documented = re.findall(r"^\| `([a-z_]+)` \| [a-z]", table, flags=re.MULTILINE)
    assert documented == ["error_type", *error_types.VOCABULARY]  # the header, then the rows
    readme = (root / "README.md").read_text()
    assert all(f"`{word}`" in readme for word in error_types.VOCABULARY)


def test_llmlog_errors_groups_both_providers_rate_limits_under_one_word(
    capture: Path, store_url: str, stub: StubServer
) -> None:
    """The report that showed ``tokens`` beside ``rate_limit_error`` (issue 22, point 4):
    the real SDKs, each answered a 429 in its provider's own words."""
    import anthropic as anthropic_sdk
    import openai as openai_sdk

    text = "Rate limit reached for gpt-4o-mini on tokens per min (TPM)"
    stub.replies["openai429"] = (429, openai("tokens", "rate_limit_exceeded", text), 0.0)
    stub.replies["anthropic429"] = (429, anthropic("rate_limit_error", "Too many"), 0.0)
    user = [{"role": "user", "content": "hi"}]
    with llmlog.context(feature="chat"), pytest.raises(openai_sdk.RateLimitError):
        llmlog.wrap(openai_client(stub)).chat.completions.create(
            model="gpt-4o-mini", messages=user, extra_headers={"x-stub-reply": "openai429"}
        )
    with llmlog.context(feature="chat"), pytest.raises(anthropic_sdk.RateLimitError):
        llmlog.wrap(anthropic_client(stub)).messages.create(
            model="claude-haiku-4-5", max_tokens=5, messages=user,
            extra_headers={"x-stub-reply": "anthropic429"},
        )  # fmt: skip
    assert llmlog.flush(10)
    result = run_llmlog("--db", store_url, "errors", "--format", "json")
    assert result.code == 0, result.stderr
    grouped = {(r["error_type"], r["model"], r["errors"]) for r in json.loads(result.stdout)}
    assert grouped == {("rate_limit", "gpt-4o-mini", 1), ("rate_limit", "claude-haiku-4-5", 1)}
