"""Leak attribution: which recipient's copy is this? (reps scope, own tenant only)."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.copies import copy_version_key
from api.rest.auth import RepsPrincipal
from api.services import ServicesDep
from api.uploads import read_upload
from tracker.documents import DocumentVersion, list_versions
from tracker.errors import NotFound
from tracker.links import Link, get_link
from tracker.privacy import AuditAction, record_audit
from watermark import Identification, identify_pdf

__all__ = ["IdentifiedLink", "IdentifyOut", "router"]

router = APIRouter(prefix="/api/v1/identify", tags=["leak attribution"])


class IdentifiedLink(BaseModel):
    link_id: str
    recipient_email: str
    recipient_name: str
    document_id: str
    version_id: str | None
    version_revision: int | None
    version_evidence: str


class IdentifyOut(BaseModel):
    found: bool
    confidence: str
    marks: list[str]
    link_ids: list[str]
    links: list[IdentifiedLink]
    pages_in_copy: int
    note: str


@router.post("", summary="Name the recipient behind a leaked copy")
async def identify(
    principal: RepsPrincipal,
    services: ServicesDep,
    file: Annotated[UploadFile | None, File(description="the leaked PDF")] = None,
) -> IdentifyOut:
    data = await read_upload(file, services.settings.limits)
    result: Identification = await run_in_threadpool(identify_pdf, data)
    exact_version = await services.redis.client.get(
        copy_version_key(principal.tenant_id, hashlib.sha256(data).hexdigest())
    )
    links = []
    for link_id in result.link_ids:
        try:
            link = await run_in_threadpool(
                get_link, services.clickhouse, principal.tenant_id, link_id
            )
        except NotFound:
            continue  # another tenant's mark: not this caller's business
        versions = await run_in_threadpool(
            list_versions, services.clickhouse, principal.tenant_id, link.document_id
        )
        links.append(_describe(link, versions, exact_version))
    await run_in_threadpool(
        record_audit, services.clickhouse, principal.tenant_id, f"key:{principal.key_id}",
        AuditAction.IDENTIFY, ",".join(lnk.link_id for lnk in links), result.confidence.value,
    )  # fmt: skip
    return IdentifyOut(
        found=bool(links),
        confidence=result.confidence.value,
        marks=[m.value for m in result.marks],
        link_ids=[lnk.link_id for lnk in links],
        links=links,
        pages_in_copy=result.page_count,
        note=(
            "marks survive metadata stripping, qpdf and Ghostscript rewrites and page "
            "subsets; not printing, scanning or rasterising"
        ),
    )


def _describe(
    link: Link, found: list[DocumentVersion], exact: bytes | str | None
) -> IdentifiedLink:
    exact_id = exact.decode() if isinstance(exact, bytes) else exact
    match = next((v for v in found if v.version_id == exact_id), None)
    if match is None and len(found) == 1:
        match, evidence = found[0], "the document has a single version"
    elif match is not None:
        evidence = "byte-identical to the copy issued for this version"
    else:
        evidence = "copy was altered; the link identifies the document, not the revision"
    return IdentifiedLink(
        link_id=link.link_id,
        recipient_email=link.recipient_email,
        recipient_name=link.recipient_name,
        document_id=link.document_id,
        version_id=match.version_id if match else None,
        version_revision=match.revision if match else None,
        version_evidence=evidence,
    )
