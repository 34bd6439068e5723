"""What a recipient's browser is shown when something is wrong (404 / 410 pages in their
language), how it is remembered (the first-party viewer id cookie), and the link lookup every
viewer route starts with."""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import Response

from api.i18n import Translator, negotiate, translator_for
from api.pages import message_page
from api.recipient.link_context import resolve_link
from api.services import Services
from ingest import RequestMeta
from tracker.errors import DealsignalError, Gone, NotFound
from tracker.ids import new_id
from tracker.links import Link

__all__ = [
    "VIEWER_COOKIE",
    "ShowPage",
    "problem_page",
    "request_meta",
    "set_viewer_cookie",
    "translator_for_request",
    "usable_link",
    "viewer_id_of",
]

VIEWER_COOKIE = "ds_vid"
_YEAR = 365 * 24 * 3600


def request_meta(request: Request) -> RequestMeta:
    client = request.client.host if request.client else None
    return RequestMeta.from_headers(request.method, request.headers, client)


def translator_for_request(
    request: Request, services: Services, link: Link | None = None
) -> Translator:
    locale = negotiate(
        link.locale if link else "",
        request.headers.get("accept-language"),
        services.settings.default_locale,
    )
    return translator_for(locale)


def problem_page(
    request: Request, services: Services, exc: DealsignalError, link: Link | None = None
) -> Response:
    translator = translator_for_request(request, services, link)
    _ = translator.gettext
    if isinstance(exc, Gone):
        expired = exc.code == "link_expired"
        title = _("This link has expired") if expired else _("This link is no longer active")
        message = (
            _("The sender set this link to stop working after a date.")
            if expired
            else _("The sender has withdrawn this document.")
        )
        return message_page(translator, status=410, title=title, message=message, code=exc.code)
    return message_page(
        translator,
        status=404,
        title=_("Link not found"),
        message=_("This address is not a valid document link. Check that it was copied whole."),
        code=exc.code,
    )


def viewer_id_of(request: Request) -> tuple[str, bool]:
    existing = request.cookies.get(VIEWER_COOKIE, "")
    if re.fullmatch(r"vwr_[0-9A-Z]{26}", existing):
        return existing, False
    return new_id("viewer"), True


def set_viewer_cookie(response: Response, viewer_id: str, request: Request) -> None:
    response.set_cookie(
        VIEWER_COOKIE,
        viewer_id,
        max_age=_YEAR,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


class ShowPage(Exception):
    """Ends a viewer route early with a page for the person."""

    def __init__(self, response: Response) -> None:
        self.response = response


async def usable_link(services: Services, request: Request, token: str) -> Link:
    try:
        link = await resolve_link(services, token)
    except NotFound as exc:
        raise ShowPage(problem_page(request, services, exc)) from exc
    try:
        link.ensure_usable()
    except Gone as exc:
        raise ShowPage(problem_page(request, services, exc, link)) from exc
    return link
