"""Public routes for recipients' browsers and mail clients. The signed token is the
credential; no API key. Pages are for people: errors render as pages they understand.

    {token} is a link's short code, or the signed token of a link made before short codes.

    GET|HEAD /l/{token}            tracked link → link_click → viewer (sets the viewer cookie)
    GET      /o/{token}.gif        email-open pixel → pixel_open
    GET|POST /v/{token}            viewer (email gate / passcode first when the link asks)
    GET      /v/{token}/download   the recipient's watermarked PDF → download
    GET      /s/{session}/page/{n}.png   page images of the recipient's stamped copy
"""

from __future__ import annotations

import contextlib
import logging

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.copies import FIRST_WIDTH, page_image, watermarked_copy
from api.pages import message_page, render_page
from api.recipient.gates import gate_page, gate_passed
from api.recipient.link_context import cached_context, context_of, link_claims
from api.recipient.pages import (
    ShowPage,
    problem_page,
    request_meta,
    set_viewer_cookie,
    translator_for_request,
    usable_link,
    viewer_id_of,
)
from api.recipient.privacy import notice_context, viewer_privacy
from api.recipient.sender import sender_of
from api.responses import pdf_response
from api.services import Services, ServicesDep
from tracker.documents import get_document, get_version
from tracker.errors import Gone, NotFound, RedisUnavailable
from tracker.links import Link, contact_of
from tracker.tokens import TokenPurpose, ViewerSessionClaims
from tracker.types import EventType, Tracking
from watermark import RENDER_WIDTHS, snap_render_width

__all__ = ["PAGE_SIZES", "PIXEL_GIF", "router"]

log = logging.getLogger("dealsignal.public")
router = APIRouter(include_in_schema=False)

# The `sizes` of the page images: the column is at most 58rem (928 px) wide; the viewer's
# script rewrites it when the reader zooms.
PAGE_SIZES = "(max-width: 60rem) calc(100vw - 2rem), 928px"

# The 43-byte transparent GIF every mail client understands.
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
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
        await services.ingestor.accept_server_event(
            event_type, context, request=request_meta(request)
        )
    except RedisUnavailable as exc:
        log.warning("%s not recorded: %s", event_type.value, exc.message)


@router.api_route("/l/{token}", methods=["GET", "HEAD"])
async def tracked_link(token: str, request: Request, services: ServicesDep) -> Response:
    try:
        await link_claims(services, token)
        viewer_id, fresh = viewer_id_of(request)
        await _record(services, EventType.LINK_CLICK, request, token, TokenPurpose.LINK, viewer_id)
    except NotFound as exc:
        return problem_page(request, services, exc)
    response = RedirectResponse(f"/v/{token}", status_code=302)
    if fresh and request.method == "GET":
        set_viewer_cookie(response, viewer_id, request)
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


@router.get("/v/{token}")
async def viewer(token: str, request: Request, services: ServicesDep) -> Response:
    try:
        link = await usable_link(services, request, token)
    except ShowPage as page:
        return page.response
    translator = translator_for_request(request, services, link)
    doc = await run_in_threadpool(
        get_document, services.clickhouse, link.tenant_id, link.document_id
    )
    sender = await run_in_threadpool(sender_of, services.clickhouse, link, doc)
    viewer_id, fresh = viewer_id_of(request)
    privacy = await viewer_privacy(services, request, link, viewer_id)
    if not gate_passed(services, request, link):
        notice = notice_context(translator, privacy)
        return gate_page(translator, link, doc.title, token, sender=sender, notice=notice)
    version = await run_in_threadpool(
        get_version, services.clickhouse, link.tenant_id, doc.current_version_id
    )
    contact_id = await run_in_threadpool(contact_of, services.clickhouse, link)
    session = services.signer.viewer_session_token(
        ViewerSessionClaims(
            link.tenant_id,
            link.link_id,
            doc.document_id,
            version.version_id,
            link.opportunity_id,
            contact_id,
            viewer_id,
            version.pages,
            privacy.tracking,
        )
    )
    ingest = services.settings.ingest
    _ = translator.gettext
    base = f"/s/{session}/page"
    response = render_page(
        "viewer.html",
        translator,
        title=doc.title,
        document_title=doc.title,
        pages=[
            {
                "number": n,
                # The browser picks the width for the page's CSS size × device pixel ratio.
                "srcset": ", ".join(f"{base}/{n}.png?w={w} {w}w" for w in RENDER_WIDTHS),
                "src": f"{base}/{n}.png?w={FIRST_WIDTH}",
                "thumb": f"{base}/{n}.png?w={RENDER_WIDTHS[0]}",
            }
            for n in range(1, version.pages + 1)
        ],
        page_sizes=PAGE_SIZES,
        sender=sender,
        reply_url=sender.mailto(_("Re: %(title)s") % {"title": doc.title}) if sender else "",
        meeting_url=sender.mailto(
            _("Meeting about %(title)s") % {"title": doc.title},
            _(
                "Hello, I have read the document and would like to book a meeting. "
                "Times that suit me:"
            ),
        )
        if sender
        else "",
        session=session,
        privacy=notice_context(translator, privacy, f"/s/{session}/consent"),
        download_url=f"/v/{token}/download" if link.download_allowed else "",
        heartbeat_ms=ingest.heartbeat_seconds * 1000,
        idle_ms=ingest.idle_cutoff_seconds * 1000,
    )
    if fresh:
        set_viewer_cookie(response, viewer_id, request)
    return response


@router.get("/v/{token}/download")
async def download(token: str, request: Request, services: ServicesDep) -> Response:
    try:
        link = await usable_link(services, request, token)
    except ShowPage as page:
        return page.response
    translator = translator_for_request(request, services, link)
    _ = translator.gettext
    if not gate_passed(services, request, link):
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
    viewer_id, _fresh = viewer_id_of(request)
    contact_id = await run_in_threadpool(contact_of, services.clickhouse, link)
    context = context_of(link, version.version_id, viewer_id, contact_id)
    # A download is recorded before the bytes go out; if Redis is down the person gets 503.
    # A session that may record its open only (no consent, refused, GPC/DNT) is served
    # the copy without a download event.
    privacy = await viewer_privacy(services, request, link, viewer_id)
    if privacy.tracking is Tracking.ALL:
        await services.ingestor.accept_server_event(
            EventType.DOWNLOAD, context, request=request_meta(request)
        )
    data = await watermarked_copy(services, link, version)
    return pdf_response(data, version.filename)


@router.get("/s/{session}/page/{number}.png")
async def page_png(
    session: str, number: int, request: Request, services: ServicesDep, w: int = 1200
) -> Response:
    try:
        claims = services.signer.read_viewer_session(session)
    except (NotFound, Gone) as exc:
        return Response(status_code=exc.status, headers={"Cache-Control": "no-store"})
    if not 1 <= number <= claims.pages:
        return Response(status_code=404)
    # A page this reader was already served is answered by `api.recipient.front`.
    try:
        link = await run_in_threadpool(_link_for_session, services, claims)
        link.ensure_usable()
    except (NotFound, Gone) as exc:
        return Response(status_code=exc.status, headers={"Cache-Control": "no-store"})
    version = await run_in_threadpool(
        get_version, services.clickhouse, claims.tenant_id, claims.version_id
    )
    png = await page_image(services, link, version, number, snap_render_width(w))
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


def _link_for_session(services: Services, claims: ViewerSessionClaims) -> Link:
    from tracker.links import get_link

    return get_link(services.clickhouse, claims.tenant_id, claims.link_id)
