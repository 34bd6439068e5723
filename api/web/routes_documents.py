"""Documents for people: list, upload (drag and drop with progress in the page's JS, a plain
form without it), revisions, the page tags (`api.web.routes_tags`), links for several
recipients at once, revoke, and a recipient's watermarked PDF. Reuses the REST API's upload,
store and delivery functions; the uploader becomes the document's owner.

    GET  /app                                  → /app/documents
    GET  /app/documents                        list + upload form
    POST /app/documents                        upload (JSON {location} for the page's JS)
    GET  /app/documents/{id}                   versions, tags, links, forms
    POST /app/documents/{id}/versions          a new revision
    POST /app/documents/{id}/tags              page tags (`api.web.routes_tags`)
    POST /app/documents/{id}/links             one link per recipient line
    POST /app/links/{link_id}/revoke           the viewer answers 410 from now on
    GET  /app/links/{link_id}/pdf              the recipient's watermarked copy
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.copies import link_urls, watermarked_copy
from api.prerender import enqueue_links, enqueue_revision
from api.responses import pdf_response
from api.services import ServicesDep
from api.uploads import read_upload, store_pdf
from api.web.access import visible_document, visible_documents, visible_link
from api.web.auth import CurrentUser, PostingUser
from api.web.recipients import link_options, parse_recipients
from api.web.render import WebRoute, page
from api.web.routes_tags import tag_choices
from ingest import mark_link_revoked
from tracker.clock import utcnow
from tracker.documents import (
    add_version,
    create_document,
    get_version,
    list_versions,
)
from tracker.errors import BadRequest
from tracker.links import Link, create_links, list_links, opportunity_contacts, revoke_link

__all__ = ["router"]

router = APIRouter(prefix="/app", route_class=WebRoute, include_in_schema=False)


@dataclass(frozen=True)
class LinkRow:
    """A row of the links table: the link, its address and its computed status."""

    link: Link
    url: str
    status: str  # active / gated / expired / revoked (tracker.links.Link.status)

    @property
    def copyable(self) -> bool:
        return self.status in ("active", "gated")


def _done(request: Request, location: str) -> Response:
    """The page's JS asks for JSON (it shows progress, then navigates); forms get a 303."""
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"location": location}, status_code=201)
    return RedirectResponse(location, status_code=303)


@router.get("")
async def home() -> Response:
    return RedirectResponse("/app/documents", status_code=303)


@router.get("/documents")
async def documents(request: Request, services: ServicesDep, viewer: CurrentUser) -> Response:
    docs = await visible_documents(services, viewer)
    return page(request, viewer, "web/documents.html", title="", documents=docs)


@router.post("/documents")
async def upload(
    request: Request,
    services: ServicesDep,
    viewer: PostingUser,
    title: Annotated[str, Form(min_length=1, max_length=300)],
    file: Annotated[UploadFile | None, File()] = None,
    opportunity_id: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    limits = services.settings.limits
    data = await read_upload(file, limits)
    new = await store_pdf(data, (file.filename if file else "") or "", None, limits, services.blobs)
    doc, _ = await run_in_threadpool(
        create_document,
        services.clickhouse,
        viewer.tenant_id,
        title=title.strip(),
        first_version=new,
        opportunity_id=opportunity_id.strip(),
        owner=viewer.user.email,
    )
    return _done(request, f"/app/documents/{doc.document_id}")


@router.get("/documents/{document_id}")
async def document(
    request: Request, document_id: str, services: ServicesDep, viewer: CurrentUser
) -> Response:
    doc = await visible_document(services, viewer, document_id)
    ch, tenant = services.clickhouse, viewer.tenant_id
    versions = await run_in_threadpool(list_versions, ch, tenant, doc.document_id)
    current = next(v for v in versions if v.version_id == doc.current_version_id)
    links = await run_in_threadpool(list_links, ch, tenant, document_id=doc.document_id)
    contacts = await run_in_threadpool(opportunity_contacts, ch, tenant, doc.opportunity_id)
    now = utcnow()
    return page(
        request,
        viewer,
        "web/document.html",
        title=doc.title,
        document=doc,
        versions=list(reversed(versions)),
        current=current,
        tag_choices=await tag_choices(services, viewer),
        links=[
            LinkRow(link, link_urls(services, link).url, link.status(now))
            for link in reversed(links)
        ],
        contacts=contacts,
        created=request.query_params.get("created", ""),
    )


@router.post("/documents/{document_id}/versions")
async def new_version(
    request: Request,
    document_id: str,
    services: ServicesDep,
    viewer: PostingUser,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    doc = await visible_document(services, viewer, document_id)
    limits = services.settings.limits
    data = await read_upload(file, limits)
    new = await store_pdf(data, (file.filename if file else "") or "", None, limits, services.blobs)
    _doc, version = await run_in_threadpool(
        add_version, services.clickhouse, viewer.tenant_id, doc.document_id, new
    )
    await enqueue_revision(services, viewer.tenant_id, doc.document_id, version)
    return _done(request, f"/app/documents/{doc.document_id}")


@router.post("/documents/{document_id}/links")
async def new_links(
    document_id: str,
    services: ServicesDep,
    viewer: PostingUser,
    recipients: Annotated[str, Form(max_length=50_000)] = "",
    contact: Annotated[list[str] | None, Form(max_length=100)] = None,
    expires_in_days: Annotated[str, Form(max_length=5)] = "",
    download_allowed: Annotated[str, Form(max_length=5)] = "",
    locale: Annotated[str, Form(max_length=10)] = "",
    email_gate: Annotated[str, Form(max_length=5)] = "",
    passcode: Annotated[str, Form(max_length=200)] = "",
    watermark_template: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    doc = await visible_document(services, viewer, document_id)
    known = await run_in_threadpool(
        opportunity_contacts, services.clickhouse, viewer.tenant_id, doc.opportunity_id
    )
    wanted = set(contact or [])
    picked = [c for c in known if c.contact_id in wanted]
    if len(picked) != len(wanted):
        raise BadRequest("a chosen contact is not on this opportunity", code="unknown_contact")
    parsed = parse_recipients(recipients, picked)
    options = link_options(
        expires_in_days,
        bool(download_allowed),
        locale,
        email_gate=bool(email_gate),
        passcode=passcode,
        watermark_template=watermark_template,
    )
    created = await run_in_threadpool(
        create_links,
        services.clickhouse,
        viewer.tenant_id,
        doc.document_id,
        parsed,
        options,
        opportunity_id=doc.opportunity_id,
        created_by=viewer.user.email,
    )
    version = await run_in_threadpool(
        get_version, services.clickhouse, viewer.tenant_id, doc.current_version_id
    )
    await enqueue_links(services, created, version)
    return RedirectResponse(
        f"/app/documents/{doc.document_id}?created={len(created)}#links", status_code=303
    )


@router.post("/links/{link_id}/revoke")
async def revoke(link_id: str, services: ServicesDep, viewer: PostingUser) -> Response:
    link, doc = await visible_link(services, viewer, link_id)
    await run_in_threadpool(revoke_link, services.clickhouse, viewer.tenant_id, link.link_id)
    await mark_link_revoked(services.redis.client, viewer.tenant_id, link.link_id)
    return RedirectResponse(f"/app/documents/{doc.document_id}#links", status_code=303)


@router.get("/links/{link_id}/pdf")
async def recipient_pdf(link_id: str, services: ServicesDep, viewer: CurrentUser) -> Response:
    link, doc = await visible_link(services, viewer, link_id)
    version = await run_in_threadpool(
        get_version, services.clickhouse, viewer.tenant_id, doc.current_version_id
    )
    return pdf_response(await watermarked_copy(services, link, version), version.filename)
