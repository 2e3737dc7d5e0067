"""The Starlette application: routes, templates, static files, and failures as one page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import psycopg
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from llmlog.cli.output import human, jsonable, printable
from llmlog.errors import (
    ConfigError,
    LlmlogError,
    NotFoundError,
    ProviderError,
    QueryTimeoutError,
    SchemaBehindError,
    StoreUnavailableError,
    UsageError,
)
from llmlog.replay.diff import WORD
from llmlog.ui import pages
from llmlog.ui.guard import Access, Guard
from llmlog.ui.store import Store

HERE = Path(__file__).parent
_STATUS = [  # most specific first
    (SchemaBehindError, 503, "The store's schema is behind"),
    (StoreUnavailableError, 503, "The store is not reachable"),
    (QueryTimeoutError, 503, "The query took too long"),
    (NotFoundError, 404, "Not found"),
    (ProviderError, 502, "The provider failed"),
    (UsageError, 400, "That request is not valid"),
    (ConfigError, 400, "Something is not configured"),
]


def create_app(store: Store, access: Access) -> Starlette:
    """The UI over ``store``, guarded by ``access``."""
    templates = _templates()
    templates.globals["csrf"] = access.csrf

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = templates.get_template(name).render(request=request, **context)
        return HTMLResponse(html, status_code=status)

    async def failed(request: Request, exc: Exception) -> Response:
        status, title = next(
            ((code, text) for kind, code, text in _STATUS if isinstance(exc, kind)),
            (500, "llmlog failed"),
        )
        if not isinstance(exc, LlmlogError):  # the store refused something: say what
            exc = LlmlogError(_first_line(exc), hint="check the store and this role's rights")
        return render(request, "message.html", status, title=title, error=exc)

    app = Starlette(
        routes=[
            *pages.routes(),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(Guard, access=access)],  # type: ignore[arg-type]
        exception_handlers={LlmlogError: failed, psycopg.Error: failed},
    )
    app.state.store, app.state.access, app.state.render = store, access, render
    return app


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return f"the store failed: {text.splitlines()[0] if text else type(exc).__name__}"


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every value is text, whatever it holds
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["shown"] = shown
    env.filters["human"] = lambda value, kind="text": shown(human(value, kind))
    env.filters["pretty"] = pretty
    env.filters["tojson"] = _script_json
    env.globals["pieces"] = pieces
    return env


def shown(value: Any) -> str:
    """A stored value as text: control characters as escapes (\\x1b); None as empty."""
    return "" if value is None else printable(str(value))


def pieces(text: str, marked: frozenset[int]) -> list[tuple[str, bool]]:
    """``text`` as its words (marked when their index, as ``replay.diff.words`` counts
    them, is in ``marked``) and the whitespace between them, kept as it was."""
    found, n, at = [], 0, 0
    for match in WORD.finditer(text):
        if match.start() > at:
            found.append((text[at : match.start()], False))
        found.append((match.group(), n in marked))
        n, at = n + 1, match.end()
    if at < len(text):
        found.append((text[at:], False))
    return found


def pretty(value: Any) -> str:
    """JSON indented for a person (control characters escaped by json itself)."""
    return json.dumps(jsonable(value), indent=2, ensure_ascii=False, default=str)


def _script_json(value: Any) -> Any:
    """JSON safe inside a <script type="application/json"> element (no ``<``, ``>``, ``&``)."""
    text = json.dumps(jsonable(value), default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return jinja2.utils.markupsafe.Markup(text)
