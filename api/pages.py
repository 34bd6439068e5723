"""Server-rendered pages for people (viewer, gates, expired/revoked notices). Jinja2 with
autoescaping on: titles and recipient names are attacker-controlled. Every user-visible
string goes through `_` so the message catalogs can translate it."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from api.i18n import Translator

__all__ = ["message_page", "render_page"]

_ENV = Environment(
    loader=PackageLoader("api", "templates"),
    autoescape=select_autoescape(["html"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

_SECURITY_HEADERS = {
    # The viewer loads nothing from third parties; inline styles only for the page layout.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def render_page(
    template: str, translator: Translator, *, status: int = 200, **context: Any
) -> HTMLResponse:
    html = _ENV.get_template(template).render(
        _=translator.gettext, locale=translator.locale, **context
    )
    return HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)


def message_page(
    translator: Translator, *, status: int, title: str, message: str, code: str
) -> HTMLResponse:
    """A notice a person understands (expired, revoked, not found), with the machine code."""
    return render_page(
        "message.html", translator, status=status, title=title, message=message, code=code
    )
