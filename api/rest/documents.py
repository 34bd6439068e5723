"""Documents and versions (reps scope): upload, revise, tag pages, list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.prerender import enqueue_revision
from api.rest.auth import RepsPrincipal
from api.services import ServicesDep
from api.uploads import read_upload, store_pdf
from ingest import document_analytics
from tracker.crm import get_opportunity
from tracker.cursors import Cursor
from tracker.documents import (
    Document,
    DocumentVersion,
    add_version,
    create_document,
    get_document,
    list_documents,
    list_versions,
    set_page_tags,
)
from tracker.errors import NotFound
from tracker.privacy import AuditAction, record_audit
from tracker.stores import ClickHouse
from tracker.users import normalise_email

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/documents", tags=["documents"])


class VersionOut(BaseModel):
    version_id: str
    revision: int
    filename: str
    sha256: str
    size_bytes: int
    pages: int
    page_words: list[int]
    page_tags: dict[str, list[str]]
    created_at: datetime

    @classmethod
    def of(cls, v: DocumentVersion) -> VersionOut:
        return cls(
            version_id=v.version_id,
            revision=v.revision,
            filename=v.filename,
            sha256=v.sha256,
            size_bytes=v.size_bytes,
            pages=v.pages,
            page_words=list(v.page_words),
            page_tags={str(i + 1): list(t) for i, t in enumerate(v.page_tags) if t},
            created_at=v.created_at,
        )


class DocumentOut(BaseModel):
    document_id: str
    title: str
    opportunity_id: str | None = Field(description="null when the document is on no opportunity")
    owner: str | None = Field(description="null when nobody owns it")
    current_version_id: str
    created_at: datetime
    versions: list[VersionOut] = Field(default_factory=list)

    @classmethod
    def of(cls, d: Document, versions: list[DocumentVersion] | None = None) -> DocumentOut:
        return cls(
            document_id=d.document_id,
            title=d.title,
            opportunity_id=d.opportunity_id or None,
            owner=d.owner or None,
            current_version_id=d.current_version_id,
            created_at=d.created_at,
            versions=[VersionOut.of(v) for v in versions or []],
        )


class TagsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tags: dict[int, list[Annotated[str, Field(min_length=1, max_length=40)]]]


TitleField = Annotated[str, Form(min_length=1, max_length=300)]
OptionalId = Annotated[str, Form(max_length=100)]
OwnerField = Annotated[
    str,
    Form(
        max_length=254,
        description="the owning rep's email (they see the document in /app); "
        "default: the CRM owner of `opportunity_id`",
    ),
]


def _owner(ch: ClickHouse, tenant_id: str, owner: str, opportunity_id: str) -> str:
    """The document's owner: as given, else the opportunity's CRM owner, else nobody (only
    admins see an unowned document in /app)."""
    if owner:
        return normalise_email(owner)
    if opportunity_id:
        try:
            return get_opportunity(ch, tenant_id, opportunity_id).owner.strip().lower()
        except NotFound:  # links may name opportunities the CRM has not pushed yet
            return ""
    return ""


@router.post("", status_code=201, summary="Upload a proposal or quote PDF")
async def upload_document(
    principal: RepsPrincipal,
    services: ServicesDep,
    title: TitleField,
    file: Annotated[UploadFile | None, File(description="the PDF")] = None,
    opportunity_id: OptionalId = "",
    owner: OwnerField = "",
    page_tags: Annotated[str | None, Form(description='JSON, e.g. {"5": ["pricing"]}')] = None,
) -> DocumentOut:
    limits = services.settings.limits
    owner = await run_in_threadpool(
        _owner, services.clickhouse, principal.tenant_id, owner, opportunity_id
    )
    data = await read_upload(file, limits)
    new = await store_pdf(
        data, (file.filename if file else "") or "", page_tags, limits, services.blobs
    )
    doc, version = await run_in_threadpool(
        create_document,
        services.clickhouse,
        principal.tenant_id,
        title=title,
        first_version=new,
        opportunity_id=opportunity_id,
        owner=owner,
    )
    return DocumentOut.of(doc, [version])


@router.post("/{document_id}/versions", status_code=201, summary="Upload a new revision")
async def upload_version(
    document_id: str,
    principal: RepsPrincipal,
    services: ServicesDep,
    file: Annotated[UploadFile | None, File(description="the PDF")] = None,
    page_tags: Annotated[str | None, Form()] = None,
) -> DocumentOut:
    ch, tenant = services.clickhouse, principal.tenant_id
    await run_in_threadpool(get_document, ch, tenant, document_id)  # 404 before any work
    data = await read_upload(file, services.settings.limits)
    new = await store_pdf(
        data,
        (file.filename if file else "") or "",
        page_tags,
        services.settings.limits,
        services.blobs,
    )
    doc, version = await run_in_threadpool(add_version, ch, tenant, document_id, new)
    await enqueue_revision(services, tenant, document_id, version)  # its links' new pages
    versions = await run_in_threadpool(list_versions, ch, tenant, document_id)
    return DocumentOut.of(doc, versions)


class DocumentsOut(BaseModel):
    """A page of documents, newest first; pass `next_cursor` back as `cursor` for the next
    page (null: this was the last)."""

    documents: list[DocumentOut]
    next_cursor: str | None = None


@router.get("", summary="List documents")
async def documents(
    principal: RepsPrincipal,
    services: ServicesDep,
    opportunity_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> DocumentsOut:
    after = Cursor.decode(cursor) if cursor else None
    found = await run_in_threadpool(
        list_documents,
        services.clickhouse,
        principal.tenant_id,
        opportunity_id=opportunity_id,
        limit=limit + 1,
        after=after,
    )
    page = found[:limit]
    more = len(found) > limit
    return DocumentsOut(
        documents=[DocumentOut.of(d) for d in page],
        next_cursor=Cursor(page[-1].created_at, page[-1].document_id).encode() if more else None,
    )


@router.get("/{document_id}", summary="A document with its versions")
async def document(
    document_id: str, principal: RepsPrincipal, services: ServicesDep
) -> DocumentOut:
    ch, tenant = services.clickhouse, principal.tenant_id
    doc = await run_in_threadpool(get_document, ch, tenant, document_id)
    return DocumentOut.of(doc, await run_in_threadpool(list_versions, ch, tenant, document_id))


@router.put("/{document_id}/versions/{version_id}/tags", summary="Tag pages (e.g. pricing)")
async def tag_pages(
    document_id: str,
    version_id: str,
    body: TagsIn,
    principal: RepsPrincipal,
    services: ServicesDep,
) -> VersionOut:
    ch, tenant = services.clickhouse, principal.tenant_id
    version = await run_in_threadpool(
        set_page_tags, ch, tenant, document_id, version_id, dict(body.tags)
    )
    return VersionOut.of(version)


@router.get("/{document_id}/analytics", summary="Page-by-page engagement (bots apart)")
async def analytics(
    document_id: str,
    principal: RepsPrincipal,
    services: ServicesDep,
    link_id: str | None = None,
) -> dict[str, object]:
    ch, tenant = services.clickhouse, principal.tenant_id
    await run_in_threadpool(get_document, ch, tenant, document_id)
    reading = services.settings.scoring.reading
    subject = f"{document_id}/{link_id}" if link_id else document_id
    await run_in_threadpool(
        record_audit, ch, tenant, f"key:{principal.key_id}", AuditAction.ANALYTICS_READ, subject
    )
    return await run_in_threadpool(document_analytics, ch, tenant, document_id, reading, link_id)
