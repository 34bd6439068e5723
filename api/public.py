"""Public routes for recipients' browsers and mail clients. The signed token is the
credential; no API key. Pages are for people: errors render as pages they understand.

    GET|HEAD /l/{token}            tracked link → link_click → viewer (sets the viewer cookie)
    GET      /o/{token}.gif        email-open pixel → pixel_open
    GET|POST /v/{token}            viewer (email gate / passcode first when the link asks)
    GET      /v/{token}/download   the recipient's watermarked PDF → download
    GET      /s/{session}/page/{n}.png   page images of the recipient's stamped copy
"""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.delivery import page_image, watermarked_copy
from api.i18n import Translator, negotiate, translator_for
from api.link_context import cached_context, context_of, resolve_link
from api.pages import message_page, render_page
from api.responses import pdf_response
from api.services import Services, ServicesDep
from ingest import RequestMeta
from tracker.documents import get_document, get_version
from tracker.errors import DealsignalError, Gone, NotFound, RedisUnavailable
from tracker.ids import new_id
from tracker.links import Link, check_passcode
from tracker.tokens import LinkClaims, TokenPurpose, ViewerSessionClaims
from tracker.types import EventType

__all__ = ["PIXEL_GIF", "VIEWER_COOKIE", "router"]

log = logging.getLogger("dealsignal.public")
router = APIRouter(include_in_schema=False)

VIEWER_COOKIE = "ds_vid"
_YEAR = 365 * 24 * 3600
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
_PASSCODE_ATTEMPTS = 10  # per link and viewer per 15 minutes
# The 43-byte transparent GIF every mail client understands.
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def _meta(request: Request) -> RequestMeta:
    client = request.client.host if request.client else None
    return RequestMeta.from_headers(request.method, request.headers, client)


def _translator(request: Request, services: Services, link: Link | None = None) -> Translator:
    locale = negotiate(
        link.locale if link else "",
        request.headers.get("accept-language"),
        services.settings.default_locale,
    )
    return translator_for(locale)


def _problem_page(
    request: Request, services: Services, exc: DealsignalError, link: Link | None = None
) -> Response:
    translator = _translator(request, services, link)
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


def _viewer_id(request: Request) -> tuple[str, bool]:
    existing = request.cookies.get(VIEWER_COOKIE, "")
    if re.fullmatch(r"vwr_[0-9A-Z]{26}", existing):
        return existing, False
    return new_id("viewer"), True


def _set_viewer_cookie(response: Response, viewer_id: str, request: Request) -> None:
    response.set_cookie(
        VIEWER_COOKIE,
        viewer_id,
        max_age=_YEAR,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


async def _record(
    services: Services,
    event_type: EventType,
    request: Request,
    token: str,
    purpose: TokenPurpose,
    viewer_id: str,
) -> None:
    """Server-side events are best effort toward the person: if Redis is down the click
    is not accepted (and not counted), but the person still reaches the document."""
    try:
        context = await cached_context(services, token, purpose, viewer_id)
        await services.ingestor.accept_server_event(event_type, context, request=_meta(request))
    except RedisUnavailable as exc:
        log.warning("%s not recorded: %s", event_type.value, exc.message)


@router.api_route("/l/{token}", methods=["GET", "HEAD"])
async def tracked_link(token: str, request: Request, services: ServicesDep) -> Response:
    try:
        services.signer.read_link_token(token)
        viewer_id, fresh = _viewer_id(request)
        await _record(services, EventType.LINK_CLICK, request, token, TokenPurpose.LINK, viewer_id)
    except NotFound as exc:
        return _problem_page(request, services, exc)
    response = RedirectResponse(f"/v/{token}", status_code=302)
    if fresh and request.method == "GET":
        _set_viewer_cookie(response, viewer_id, request)
    return response


@router.get("/o/{token}.gif")
async def pixel(token: str, request: Request, services: ServicesDep) -> Response:
    # A forged pixel still gets a GIF (and records nothing): mail clients show broken images.
    with contextlib.suppress(NotFound):
        await _record(services, EventType.PIXEL_OPEN, request, token, TokenPurpose.PIXEL, "")
    return Response(
        PIXEL_GIF,
        media_type="image/gif",
        headers={
            "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0",
            "Pragma": "no-cache",
            "Expires": "0",
        },
    )


def _gate_cookie(link: Link) -> str:
    return f"ds_gate_{link.link_id}"


def _gate_passed(services: Services, request: Request, link: Link) -> bool:
    if not (link.email_gate or link.has_passcode):
        return True
    raw = request.cookies.get(_gate_cookie(link), "")
    try:
        claims = services.signer.read_link_token(raw, TokenPurpose.GATE)
    except NotFound:
        return False
    return claims == LinkClaims(link.tenant_id, link.link_id)


class _ShowPage(Exception):
    """Ends a viewer route early with a page for the person."""

    def __init__(self, response: Response) -> None:
        self.response = response


async def _usable_link(services: Services, request: Request, token: str) -> Link:
    try:
        link = await resolve_link(services, token)
    except NotFound as exc:
        raise _ShowPage(_problem_page(request, services, exc)) from exc
    try:
        link.ensure_usable()
    except Gone as exc:
        raise _ShowPage(_problem_page(request, services, exc, link)) from exc
    return link


@router.get("/v/{token}")
async def viewer(token: str, request: Request, services: ServicesDep) -> Response:
    try:
        link = await _usable_link(services, request, token)
    except _ShowPage as page:
        return page.response
    translator = _translator(request, services, link)
    doc = await run_in_threadpool(
        get_document, services.clickhouse, link.tenant_id, link.document_id
    )
    if not _gate_passed(services, request, link):
        return _gate_page(translator, link, doc.title, token)
    version = await run_in_threadpool(
        get_version, services.clickhouse, link.tenant_id, doc.current_version_id
    )
    viewer_id, fresh = _viewer_id(request)
    session = services.signer.viewer_session_token(
        ViewerSessionClaims(
            link.tenant_id,
            link.link_id,
            doc.document_id,
            version.version_id,
            link.opportunity_id,
            link.contact_id,
            viewer_id,
            version.pages,
        )
    )
    ingest = services.settings.ingest
    response = render_page(
        "viewer.html",
        translator,
        title=doc.title,
        document_title=doc.title,
        pages=[
            {"number": n, "src": f"/s/{session}/page/{n}.png?w=1200"}
            for n in range(1, version.pages + 1)
        ],
        session=session,
        download_url=f"/v/{token}/download" if link.download_allowed else "",
        heartbeat_ms=ingest.heartbeat_seconds * 1000,
        idle_ms=ingest.idle_cutoff_seconds * 1000,
    )
    if fresh:
        _set_viewer_cookie(response, viewer_id, request)
    return response


def _gate_page(
    translator: Translator,
    link: Link,
    title: str,
    token: str,
    *,
    error: str = "",
    email: str = "",
    status: int = 200,
) -> Response:
    return render_page(
        "gate.html",
        translator,
        status=status,
        title=title,
        document_title=title,
        action=f"/v/{token}",
        email_gate=link.email_gate,
        passcode=link.has_passcode,
        error=error,
        email=email,
    )


@router.post("/v/{token}")
async def pass_gate(
    token: str,
    request: Request,
    services: ServicesDep,
    email: Annotated[str, Form(max_length=254)] = "",
    passcode: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    try:
        link = await _usable_link(services, request, token)
    except _ShowPage as page:
        return page.response
    translator = _translator(request, services, link)
    _ = translator.gettext
    doc = await run_in_threadpool(
        get_document, services.clickhouse, link.tenant_id, link.document_id
    )
    email = email.strip()
    if link.email_gate and not _EMAIL.match(email):
        return _gate_page(
            translator,
            link,
            doc.title,
            token,
            email=email,
            status=400,
            error=_("Enter a valid email address."),
        )
    if link.has_passcode:
        if not await _attempt_allowed(services, request, link):
            return _gate_page(
                translator,
                link,
                doc.title,
                token,
                email=email,
                status=429,
                error=_("Too many attempts. Wait a few minutes and try again."),
            )
        if not await run_in_threadpool(check_passcode, link.passcode_hash, passcode):
            return _gate_page(
                translator,
                link,
                doc.title,
                token,
                email=email,
                status=403,
                error=_("That passcode is not right."),
            )
    viewer_id, fresh = _viewer_id(request)
    if email:
        key = f"ds:gate-email:{link.tenant_id}:{link.link_id}"
        await services.redis.client.hset(key, viewer_id, email)
    response = RedirectResponse(f"/v/{token}", status_code=303)
    gate = services.signer.link_token(LinkClaims(link.tenant_id, link.link_id), TokenPurpose.GATE)
    response.set_cookie(
        _gate_cookie(link),
        gate,
        max_age=30 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    if fresh:
        _set_viewer_cookie(response, viewer_id, request)
    return response


async def _attempt_allowed(services: Services, request: Request, link: Link) -> bool:
    viewer_id = request.cookies.get(VIEWER_COOKIE, "anonymous")
    key = f"ds:passcode-attempts:{link.link_id}:{viewer_id}"
    redis = services.redis.client
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, 900, nx=True)
        attempts, _ = await pipe.execute()
    return int(attempts) <= _PASSCODE_ATTEMPTS


@router.get("/v/{token}/download")
async def download(token: str, request: Request, services: ServicesDep) -> Response:
    try:
        link = await _usable_link(services, request, token)
    except _ShowPage as page:
        return page.response
    translator = _translator(request, services, link)
    _ = translator.gettext
    if not _gate_passed(services, request, link):
        return RedirectResponse(f"/v/{token}", status_code=303)
    if not link.download_allowed:
        return message_page(
            translator,
            status=403,
            title=_("Download is not available"),
            message=_("The sender allows reading this document online only."),
            code="download_not_allowed",
        )
    doc = await run_in_threadpool(
        get_document, services.clickhouse, link.tenant_id, link.document_id
    )
    version = await run_in_threadpool(
        get_version, services.clickhouse, link.tenant_id, doc.current_version_id
    )
    viewer_id, _fresh = _viewer_id(request)
    context = context_of(link, version.version_id, viewer_id)
    # A download is recorded before the bytes go out; if Redis is down the person gets 503.
    await services.ingestor.accept_server_event(EventType.DOWNLOAD, context, request=_meta(request))
    data = await watermarked_copy(services, link, version)
    return pdf_response(data, version.filename)


@router.get("/s/{session}/page/{number}.png")
async def page_png(
    session: str, number: int, request: Request, services: ServicesDep, w: int = 1200
) -> Response:
    try:
        claims = services.signer.read_viewer_session(session)
        link = await run_in_threadpool(_link_for_session, services, claims)
        link.ensure_usable()
    except (NotFound, Gone) as exc:
        return Response(status_code=exc.status, headers={"Cache-Control": "no-store"})
    if not 1 <= number <= claims.pages:
        return Response(status_code=404)
    version = await run_in_threadpool(
        get_version, services.clickhouse, claims.tenant_id, claims.version_id
    )
    png = await page_image(services, link, version, number, max(200, min(w, 2000)))
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


def _link_for_session(services: Services, claims: ViewerSessionClaims) -> Link:
    from tracker.links import get_link

    return get_link(services.clickhouse, claims.tenant_id, claims.link_id)
