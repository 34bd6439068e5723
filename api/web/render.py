"""Rendering for the web app, and the route class that turns errors into pages.

Errors in the web app are for people: a missing session redirects to the sign-in form, any
other domain error renders a page in the person's language with the machine code, never
the REST API's JSON. Foreign or invisible ids are 404 (their existence is not revealed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from api.i18n import Translator
from api.pages import render_page
from api.web.auth import LoginRequired, Viewer, translator_of
from api.web.formatting import Formatter
from tracker.errors import BadRequest, DealsignalError

__all__ = ["WebRoute", "page", "safe_next"]

log = logging.getLogger("dealsignal.web")


def safe_next(target: str | None, default: str = "/app/documents") -> str:
    """Only same-site paths: `//evil.example` and `https://…` fall back to the default."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def _nav(viewer: Viewer) -> list[tuple[str, str]]:
    _ = viewer.translator.gettext
    items = [
        ("/app/documents", _("Documents")),
        ("/app/deals", _("Deals")),
        ("/app/accounts", _("Accounts")),
        ("/app/tags", _("Page tags")),
    ]
    if viewer.owners is None or len(viewer.owners) > 1 or viewer.user.role.value != "rep":
        items.append(("/app/team", _("Team")))
    if viewer.user.role.value == "admin":
        items += [("/app/settings/privacy", _("Privacy & retention")), ("/app/audit", _("Audit"))]
    return items


def page(
    request: Request, viewer: Viewer, template: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """A signed-in page: layout, navigation, the CSRF token for its forms."""
    return render_page(
        template,
        viewer.translator,
        status=status,
        viewer=viewer,
        csrf=viewer.csrf,
        nav=_nav(viewer),
        path=request.url.path,
        fmt=Formatter(viewer.translator),
        **context,
    )


def _error_page(request: Request, translator: Translator, exc: DealsignalError) -> Response:
    _ = translator.gettext
    titles = {
        400: _("Please check the form"),
        403: _("Not allowed"),
        404: _("Not found"),
        409: _("Already exists"),
        410: _("No longer available"),
        413: _("File too large"),
        422: _("Please check the form"),
        429: _("Too many attempts"),
    }
    title = titles.get(exc.status, _("Something went wrong"))
    if exc.status == 404:
        message = _("This page does not exist, or you do not have access to it.")
    elif exc.code == "csrf_failed":
        message = _("The form expired or was not sent from this site. Reload the page and retry.")
    elif exc.status == 403:
        message = _("You do not have access to this page.")
    elif 400 <= exc.status < 500:
        message = _("The request could not be completed:") + " " + exc.message
    else:
        message = _("The service could not complete the request. Try again in a moment.")
    return render_page(
        "web/error.html",
        translator,
        status=exc.status,
        title=title,
        message=message,
        code=exc.code,
    )


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def web_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                if request.method != "GET":
                    target = "/app/documents"
                return RedirectResponse(f"/app/login?next={quote(target, safe='')}", 303)
            except DealsignalError as exc:
                if exc.status >= 500:
                    log.warning(
                        "%s %s -> %s: %s", request.method, request.url.path, exc.code, exc.message
                    )
                services = request.app.state.services
                return _error_page(request, translator_of(request, services), exc)
            except RequestValidationError as exc:
                services = request.app.state.services
                detail = "; ".join(str(e.get("msg", "")) for e in exc.errors())
                problem = BadRequest(detail, code="validation_error")
                return _error_page(request, translator_of(request, services), problem)

        return web_handler
