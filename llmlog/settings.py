"""Capture settings: ``llmlog.configure(...)`` over environment variables over defaults.

=========================  =============================  =======================================
``configure()`` keyword    environment variable           default
=========================  =============================  =======================================
``database_url``           ``LLMLOG_DATABASE_URL``        config.toml, else the embedded store
``queue_size``             ``LLMLOG_QUEUE_SIZE``          10000 calls
``batch_size``             ``LLMLOG_BATCH_SIZE``          500 calls
``flush_interval``         ``LLMLOG_FLUSH_INTERVAL``      1.0 s (a batch's maximum age)
``exit_timeout``           ``LLMLOG_EXIT_TIMEOUT``        2.0 s (flush wait at interpreter exit)
``spool_dir``              ``LLMLOG_SPOOL_DIR``           ``$LLMLOG_HOME/spool``
``redact_pii``             ``LLMLOG_REDACT_PII``          off (``1`` switches it on)
``redact``                 —                              None (a callable over the record)
``content_mode``           ``LLMLOG_CONTENT_MODE``        ``full`` (``metadata`` drops text)
``feature_content_modes``  ``LLMLOG_CONTENT_MODES``       {} (``summarise=metadata,chat=full``)
``user_id_key``            ``LLMLOG_USER_ID_KEY``         None (set: user_id is HMAC-SHA256'd)
``max_payload_bytes``      ``LLMLOG_MAX_PAYLOAD``         4 MiB per request/response/text
``enabled``                ``LLMLOG_DISABLED``            on (``1`` turns capture off)
``flush_on_sigterm``       ``LLMLOG_FLUSH_ON_SIGTERM``    off (``1``: flush, then the old handler)
=========================  =============================  =======================================
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmlog import config
from llmlog.errors import ConfigError

log = logging.getLogger("llmlog")

CONTENT_MODES = ("full", "metadata")
RedactHook = Callable[[dict[str, Any]], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    queue_size: int = 10_000
    batch_size: int = 500
    flush_interval: float = 1.0
    exit_timeout: float = 2.0
    spool_dir: Path | None = None
    redact_pii: bool = False
    redact: RedactHook | None = None
    content_mode: str = "full"
    feature_content_modes: Mapping[str, str] = field(default_factory=dict)
    user_id_key: str | None = None
    max_payload_bytes: int = 4 * 1024 * 1024
    enabled: bool = True
    flush_on_sigterm: bool = False

    def spool_path(self) -> Path:
        return self.spool_dir or config.home() / "spool"

    def content_mode_for(self, feature: str | None) -> str:
        return self.feature_content_modes.get(feature or "", self.content_mode)


_ENV: dict[str, tuple[str, Callable[[str], Any]]] = {
    "database_url": ("LLMLOG_DATABASE_URL", str),
    "queue_size": ("LLMLOG_QUEUE_SIZE", int),
    "batch_size": ("LLMLOG_BATCH_SIZE", int),
    "flush_interval": ("LLMLOG_FLUSH_INTERVAL", float),
    "exit_timeout": ("LLMLOG_EXIT_TIMEOUT", float),
    "spool_dir": ("LLMLOG_SPOOL_DIR", Path),
    "redact_pii": ("LLMLOG_REDACT_PII", lambda v: _flag(v)),
    "content_mode": ("LLMLOG_CONTENT_MODE", str),
    "feature_content_modes": ("LLMLOG_CONTENT_MODES", lambda v: _parse_modes(v)),
    "user_id_key": ("LLMLOG_USER_ID_KEY", str),
    "max_payload_bytes": ("LLMLOG_MAX_PAYLOAD", int),
    "enabled": ("LLMLOG_DISABLED", lambda v: not _flag(v)),
    "flush_on_sigterm": ("LLMLOG_FLUSH_ON_SIGTERM", lambda v: _flag(v)),
}

_lock = threading.Lock()
_overrides: dict[str, Any] = {}
loaded: Settings | None = None  # the settings in force once read; current() reads them
# Why the settings could not be read (capture is off until they can), and how many calls
# went uncaptured for it: said once at WARNING, shown by stats() and ``llmlog status``.
invalid: str | None = None
uncaptured = 0


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes")


def _parse_modes(value: str) -> dict[str, str]:
    modes: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        feature, sep, mode = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r} is not FEATURE=MODE")
        modes[feature.strip()] = mode.strip()
    return modes


def _from_env() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, (name, parse) in _ENV.items():
        raw = os.environ.get(name)
        if raw is None or raw == "":
            continue
        try:
            values[key] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{name}={raw!r} is not valid: {exc}") from exc
    return values


def _validate(settings: Settings) -> Settings:
    modes = [settings.content_mode, *settings.feature_content_modes.values()]
    bad = [m for m in modes if m not in CONTENT_MODES]
    if bad:
        raise ConfigError(f"content mode {bad[0]!r} is not one of {', '.join(CONTENT_MODES)}")
    if settings.queue_size < 1 or settings.batch_size < 1:
        raise ConfigError("queue_size and batch_size must be at least 1")
    if settings.flush_interval <= 0 or settings.exit_timeout < 0:
        raise ConfigError("flush_interval must be positive and exit_timeout not negative")
    return settings


def configure(**options: Any) -> Settings:
    """Set capture options for this process (keywords win over ``LLMLOG_*`` variables)."""
    global loaded
    unknown = sorted(set(options) - {f.name for f in dataclasses.fields(Settings)})
    if unknown:
        raise ConfigError(f"unknown capture option(s): {', '.join(unknown)}")
    with _lock:
        merged = {**_overrides, **options}
        if merged.get("spool_dir") is not None:
            merged["spool_dir"] = Path(merged["spool_dir"])
        settings = _validate(Settings(**{**_from_env(), **merged}))
        _overrides.clear()
        _overrides.update(merged)
        loaded = settings
    return settings


def current() -> Settings:
    """The settings in force (read from the environment on first use)."""
    global loaded
    settings = loaded
    if settings is None:
        with _lock:
            if loaded is None:
                try:
                    loaded = _validate(Settings(**{**_from_env(), **_overrides}))
                except ConfigError as exc:
                    _said_invalid(exc)
                    raise
            settings = loaded
    return settings


def _said_invalid(exc: ConfigError) -> None:
    global invalid
    if invalid is None:
        invalid = f"{exc.message}; calls are not captured until it is fixed"
        log.warning("llmlog: %s", invalid)


def count_uncaptured() -> None:
    """One more call went uncaptured for an invalid setting."""
    global uncaptured
    with _lock:
        uncaptured += 1


def reset() -> None:
    """Forget ``configure()`` calls and re-read the environment on next use (for tests)."""
    global loaded, invalid, uncaptured
    with _lock:
        _overrides.clear()
        loaded = invalid = None
        uncaptured = 0
