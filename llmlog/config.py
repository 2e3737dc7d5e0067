"""Where llmlog keeps its things and which database it talks to.

Database URL precedence: ``--db`` > ``LLMLOG_DATABASE_URL`` > ``$LLMLOG_HOME/config.toml``
(key ``database_url``) > the embedded default (``embedded`` or no value at all).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from llmlog.errors import ConfigError

EMBEDDED = "embedded"


def home() -> Path:
    """``$LLMLOG_HOME``, or the user data directory."""
    value = os.environ.get("LLMLOG_HOME")
    if value:
        return Path(value).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("llmlog", appauthor=False))


def config_file() -> Path:
    return home() / "config.toml"


def file_settings() -> dict[str, object]:
    """The contents of ``$LLMLOG_HOME/config.toml`` (empty when there is none)."""
    path = config_file()
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", hint="fix or remove the file") from exc


def database_url(cli_value: str | None = None) -> str:
    """The configured database URL, or ``embedded`` for the embedded default."""
    if cli_value:
        return cli_value
    env = os.environ.get("LLMLOG_DATABASE_URL")
    if env:
        return env
    value = file_settings().get("database_url")
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"database_url in {config_file()} must be a string")
    return value or EMBEDDED
