"""The ``llmlog`` command: a thin shell over the library.

Its packages are the ``cli`` extra: an application that only captures installs ``llmlog``
alone, and this entry point says what to install when they are missing.
"""

import gc
import importlib.util
import sys

# A command's start allocates ~1M objects while Typer, Rich and psycopg load; the default
# thresholds run ~10 ms of full collections over them, finding nothing to free.
gc.set_threshold(100_000, 50, 100)

# The modules of the `cli` extra (pyproject.toml), as imported.
CLI_MODULES = ("typer", "rich", "sqlalchemy", "alembic", "deepdiff", "openai", "anthropic")
EXIT_USAGE = 2  # llmlog.errors.EXIT_USAGE, without importing what may be missing


def main() -> None:
    """Run the command, or say in one line which extra to install."""
    missing = [name for name in CLI_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        print(
            f"llmlog: the llmlog command needs the `cli` extra (missing: {', '.join(missing)})"
            " — pip install 'llmlog[cli]' (or 'llmlog[embedded]' for a local store too)",
            file=sys.stderr,
        )
        sys.exit(EXIT_USAGE)
    from llmlog.cli.app import main as run

    run()
