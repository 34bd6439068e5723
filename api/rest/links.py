"""Per-recipient tracked links (reps scope): create for several recipients at once, list,
revoke, and the recipient's watermarked PDF to attach to an email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator
from starlette.concurrency import run_in_threadpool

from api.copies import link_urls, watermarked_copy
from api.prerender import enqueue_links
from api.responses import pdf_response
from api.rest.auth import RepsPrincipal
from api.services import Services, ServicesDep
from ingest import mark_link_revoked
from tracker.cursors import Cursor
from tracker.documents import get_document, get_version
from tracker.links import Link, LinkOptions, Recipient, create_links, get_link, list_links
from tracker.links import revoke_link as revoke_stored_link
from tracker.privacy import AuditAction, record_audit

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/links", tags=["links"])

Short = Annotated[str, Field(max_length=200)]


class RecipientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Annotated[EmailStr, Field(description="The recipient's address (one link each).")]
    name: Annotated[str, Field(max_length=200, description="Shown to the rep and stamped.")] = ""
    role: Annotated[str, Field(max_length=200, description="e.g. CTO, procurement.")] = ""
    contact_id: Annotated[
        str,
        Field(
            max_length=100,
            description="The CRM contact; when empty, the opportunity's contact with this "
            "email (case-insensitive) is used.",
        ),
    ] = ""


class LinksIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "document_id": "doc_01JF2Q7ZC3M4V8K9T6W5XQ2R1A",
                    "recipients": [
                        {"email": "wang.wei@buyer.example.com", "name": "王伟", "role": "CTO"}
                    ],
                    "opportunity_id": "opp-4711",
                    "expires_in_days": 30,
                    "download_allowed": False,
                    "email_gate": True,
                    "passcode": "7391",
                    "locale": "zh_CN",
                    "watermark_template": "机密 {recipient_name} {date}",
                }
            ]
        },
    )
    document_id: Annotated[str, Field(min_length=1, max_length=100)]
    recipients: Annotated[list[RecipientIn], Field(min_length=1, max_length=200)]
    opportunity_id: Annotated[
        str, Field(max_length=100, description="Default: the document's opportunity.")
    ] = ""
    expires_at: Annotated[
        datetime | None, Field(description="When the link stops opening (zoned ISO 8601).")
    ] = None
    expires_in_days: Annotated[
        int | None, Field(ge=1, le=3650, description="Or: days from now.")
    ] = None
    download_allowed: Annotated[
        bool, Field(description="Offer the recipient's watermarked PDF for download.")
    ] = True
    email_gate: Annotated[bool, Field(description="Ask the reader's email first.")] = False
    passcode: Annotated[
        str | None, Field(min_length=4, max_length=128, description="Asked before reading.")
    ] = None
    locale: Annotated[
        str,
        Field(
            pattern=r"^(|en|zh_CN|zh-CN)$",
            description="The viewer's language; empty: the reader's browser.",
        ),
    ] = ""
    watermark_template: Annotated[
        str,
        Field(
            max_length=200,
            description="Stamp text; placeholders {recipient_name}, {recipient_email}, "
            "{date}, {link_id}. Empty: all four.",
        ),
    ] = ""

    @model_validator(mode="after")
    def _one_expiry(self) -> LinksIn:
        if self.expires_at is not None and self.expires_in_days is not None:
            raise ValueError("give expires_at or expires_in_days, not both")
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise ValueError("expires_at needs a time zone (e.g. 2026-12-31T18:00:00+08:00)")
        return self

    def options(self) -> LinkOptions:
        expires = self.expires_at
        if self.expires_in_days is not None:
            expires = datetime.now(UTC) + timedelta(days=self.expires_in_days)
        return LinkOptions(
            expires_at=expires.astimezone(UTC) if expires else None,
            download_allowed=self.download_allowed,
            email_gate=self.email_gate,
            passcode=self.passcode,
            locale=self.locale.replace("-", "_"),
            watermark_template=self.watermark_template,
        )


class RecipientOut(BaseModel):
    email: str
    name: str
    role: str
    contact_id: str


class LinkOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "link_01JF2Q8A5N3D2C1B0Z9Y8X7W6V",
                    "document_id": "doc_01JF2Q7ZC3M4V8K9T6W5XQ2R1A",
                    "opportunity_id": "opp-4711",
                    "recipient": {
                        "email": "wang.wei@buyer.example.com",
                        "name": "王伟",
                        "role": "CTO",
                        "contact_id": "c-wang",
                    },
                    "url": "https://docs.example.com/l/q3ZkP9aT2mXw",
                    "pixel_url": "https://docs.example.com/o/eyJ0Ijoi….gif",
                    "viewer_url": "https://docs.example.com/v/q3ZkP9aT2mXw",
                    "pdf_url": "https://docs.example.com/api/v1/links/link_01JF…/pdf",
                    "created_at": "2026-12-03T06:30:00Z",
                    "expires_at": "2027-01-02T06:30:00Z",
                    "revoked_at": None,
                    "download_allowed": False,
                    "email_gate": True,
                    "has_passcode": True,
                }
            ]
        }
    )
    id: str
    document_id: str
    opportunity_id: str
    recipient: RecipientOut
    url: Annotated[str, Field(description="The short tracked link to send (a random code).")]
    pixel_url: str
    viewer_url: str
    pdf_url: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    download_allowed: bool
    email_gate: bool
    has_passcode: bool

    @classmethod
    def of(cls, services: Services, link: Link) -> LinkOut:
        urls = link_urls(services, link)
        base = services.settings.public_base_url.rstrip("/")
        return cls(
            id=link.link_id,
            document_id=link.document_id,
            opportunity_id=link.opportunity_id,
            recipient=RecipientOut(
                email=link.recipient_email,
                name=link.recipient_name,
                role=link.recipient_role,
                contact_id=link.contact_id,
            ),
            url=urls.url,
            pixel_url=urls.pixel_url,
            viewer_url=urls.viewer_url,
            pdf_url=f"{base}/api/v1/links/{link.link_id}/pdf",
            created_at=link.created_at,
            expires_at=link.expires_at,
            revoked_at=link.revoked_at,
            download_allowed=link.download_allowed,
            email_gate=link.email_gate,
            has_passcode=link.has_passcode,
        )


class LinksOut(BaseModel):
    """Links made, or a page of links (oldest first): pass `next_cursor` back as `cursor`
    for the next page (null: this was the last)."""

    links: list[LinkOut]
    next_cursor: str | None = None


@router.post("", status_code=201, summary="One tracked link per recipient")
async def create(body: LinksIn, principal: RepsPrincipal, services: ServicesDep) -> LinksOut:
    ch, tenant = services.clickhouse, principal.tenant_id
    doc = await run_in_threadpool(get_document, ch, tenant, body.document_id)
    recipients = [Recipient(str(r.email), r.name, r.role, r.contact_id) for r in body.recipients]
    links = await run_in_threadpool(
        create_links,
        ch,
        tenant,
        doc.document_id,
        recipients,
        body.options(),
        opportunity_id=body.opportunity_id or doc.opportunity_id,
        created_by=principal.key_id,
    )
    version = await run_in_threadpool(get_version, ch, tenant, doc.current_version_id)
    # Every page made ready in the background, first pages first: the buyer's first open
    # is served from the cache.
    await enqueue_links(services, links, version)
    return LinksOut(links=[LinkOut.of(services, link) for link in links])


@router.get("", summary="Links of the tenant, optionally of one document")
async def links(
    principal: RepsPrincipal,
    services: ServicesDep,
    document_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> LinksOut:
    after = Cursor.decode(cursor) if cursor else None
    found = await run_in_threadpool(
        list_links,
        services.clickhouse,
        principal.tenant_id,
        document_id=document_id,
        limit=limit + 1,
        after=after,
    )
    page, more = found[:limit], len(found) > limit
    return LinksOut(
        links=[LinkOut.of(services, link) for link in page],
        next_cursor=Cursor(page[-1].created_at, page[-1].link_id).encode() if more else None,
    )


@router.get("/{link_id}", summary="One link")
async def link(link_id: str, principal: RepsPrincipal, services: ServicesDep) -> LinkOut:
    found = await run_in_threadpool(get_link, services.clickhouse, principal.tenant_id, link_id)
    return LinkOut.of(services, found)


@router.post("/{link_id}/revoke", summary="Revoke: the viewer answers 410 from now on")
async def revoke(link_id: str, principal: RepsPrincipal, services: ServicesDep) -> LinkOut:
    revoked = await run_in_threadpool(
        revoke_stored_link, services.clickhouse, principal.tenant_id, link_id
    )
    await mark_link_revoked(services.redis.client, principal.tenant_id, link_id)
    return LinkOut.of(services, revoked)


@router.get(
    "/{link_id}/pdf",
    summary="The recipient's watermarked PDF (current version)",
    response_class=Response,
    responses={
        200: {
            "description": "The PDF, watermarked for this recipient",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def pdf(link_id: str, principal: RepsPrincipal, services: ServicesDep) -> Response:
    ch, tenant = services.clickhouse, principal.tenant_id
    found = await run_in_threadpool(get_link, ch, tenant, link_id)
    doc = await run_in_threadpool(get_document, ch, tenant, found.document_id)
    version = await run_in_threadpool(get_version, ch, tenant, doc.current_version_id)
    data = await watermarked_copy(services, found, version)
    await run_in_threadpool(
        record_audit, ch, tenant, f"key:{principal.key_id}", AuditAction.COPY_DOWNLOADED, link_id
    )
    return pdf_response(data, version.filename)
