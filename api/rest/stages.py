"""证据导向阶段 — evidence-gated stages.

    GET  /api/v1/settings/stages                      admin: the tenant's stages (defaults)
    PUT  /api/v1/settings/stages                      admin: ordered stages, kinds, strict
    POST /api/v1/opportunities/{id}/evidence          crm or reps: multipart `kind`, and
                                                      `file` (PDF or PNG/JPEG) or `reference`
    GET  /api/v1/opportunities/{id}/evidence          crm or reps: evidence and the stage check

Files go through the same bounded read as PDF uploads (`limits.max_pdf_bytes`); a PDF is
validated and sanitised like a proposal, an image is decoded within `limits.max_image_pixels`
and re-encoded. Nothing is stored unless everything is valid. Another tenant's opportunity
is 404 `opportunity_not_found`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, UploadFile
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.rest.auth import AdminPrincipal, ReaderPrincipal
from api.services import Services, ServicesDep
from api.uploads import read_upload
from tracker.clock import utcnow
from tracker.crm import (
    BUILTIN_KINDS,
    CRM_ID_PATTERN,
    EvidenceForm,
    StageEvidence,
    StageSettings,
    check_stage,
    evidence_kinds,
    get_opportunity,
    get_stage_settings,
    list_evidence,
    put_stage_settings,
    record_evidence,
)
from tracker.errors import BadRequest
from watermark import is_image, prepare_image, prepare_pdf

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["stages"])

OpportunityPath = Annotated[str, Path(pattern=CRM_ID_PATTERN)]
_MAX_REFERENCE = 128


class StageCheckOut(BaseModel):
    stage: str
    verified: bool
    missing: list[str]
    forecast_stage: str


class EvidenceOut(BaseModel):
    id: str
    opportunity_id: str
    kind: str
    reference: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    note: str
    created_at: datetime

    @classmethod
    def of(cls, e: StageEvidence) -> EvidenceOut:
        return cls(
            id=e.evidence_id, opportunity_id=e.opportunity_id, kind=e.kind,
            reference=e.reference, filename=e.filename, content_type=e.content_type,
            size_bytes=e.size_bytes, sha256=e.blob_sha256, note=e.note, created_at=e.created_at,
        )  # fmt: skip


class EvidenceList(BaseModel):
    items: list[EvidenceOut]
    stage_check: StageCheckOut


@router.get("/settings/stages")
async def read_stage_settings(principal: AdminPrincipal, services: ServicesDep) -> StageSettings:
    return await run_in_threadpool(get_stage_settings, services.clickhouse, principal.tenant_id)


@router.put("/settings/stages")
async def write_stage_settings(
    body: StageSettings, principal: AdminPrincipal, services: ServicesDep
) -> StageSettings:
    await run_in_threadpool(put_stage_settings, services.clickhouse, principal.tenant_id, body)
    services.scoring.forget(principal.tenant_id)
    return body


def _stage_check(services: Services, tenant: str, opportunity_id: str) -> StageCheckOut:
    ch = services.clickhouse
    stage = get_opportunity(ch, tenant, opportunity_id).stage
    have = evidence_kinds(ch, tenant, [opportunity_id], utcnow()).get(opportunity_id, frozenset())
    found = check_stage(get_stage_settings(ch, tenant), stage, have)
    return StageCheckOut(
        stage=stage,
        verified=found.verified,
        missing=list(found.missing),
        forecast_stage=found.forecast_stage,
    )


def _clean_file(data: bytes, services: Services) -> tuple[bytes, str]:
    limits = services.settings.limits
    if is_image(data):
        image = prepare_image(data, limits)
        return image.data, image.content_type
    return prepare_pdf(data, limits).data, "application/pdf"  # refuses anything else


@router.post("/opportunities/{opportunity_id}/evidence", status_code=201)
async def add_evidence(
    opportunity_id: OpportunityPath,
    principal: ReaderPrincipal,
    services: ServicesDep,
    kind: Annotated[str, Form(max_length=48, description="e.g. nda_signed, legal_approval")],
    reference: Annotated[str | None, Form(max_length=_MAX_REFERENCE)] = None,
    note: Annotated[str, Form(max_length=500)] = "",
    file: Annotated[UploadFile | None, File(description="PDF or PNG/JPEG image")] = None,
) -> EvidenceOut:
    ch, tenant = services.clickhouse, principal.tenant_id
    await run_in_threadpool(get_opportunity, ch, tenant, opportunity_id)  # 404 first
    settings = await run_in_threadpool(get_stage_settings, ch, tenant)
    found = settings.kind(kind)
    if found is None:
        known = sorted({*BUILTIN_KINDS, *(k.name for k in settings.evidence_kinds)})
        raise BadRequest(f"unknown evidence kind {kind!r}", code="unknown_evidence_kind",
                         known=known)  # fmt: skip
    if found.form is EvidenceForm.REFERENCE:
        text = (reference or "").strip()
        if file is not None or not text or any(not c.isprintable() for c in text):
            raise BadRequest(
                f"{kind} is a reference number: send `reference` (printable text), no file",
                code="reference_required",
            )
        item = await run_in_threadpool(
            record_evidence, ch, tenant, opportunity_id, kind, reference=text, note=note.strip(),
            created_by=principal.key_id,
        )  # fmt: skip
        return EvidenceOut.of(item)
    if file is None or reference:
        raise BadRequest(f"{kind} is a file: attach it as `file`", code="file_required")
    data = await read_upload(file, services.settings.limits)
    clean, content_type = await run_in_threadpool(_clean_file, data, services)
    digest = await run_in_threadpool(services.blobs.put, clean)
    item = await run_in_threadpool(
        record_evidence, ch, tenant, opportunity_id, kind, blob_sha256=digest,
        filename=(file.filename or "")[:255], content_type=content_type, size_bytes=len(clean),
        note=note.strip(), created_by=principal.key_id,
    )  # fmt: skip
    return EvidenceOut.of(item)


@router.get("/opportunities/{opportunity_id}/evidence")
async def read_evidence(
    opportunity_id: OpportunityPath, principal: ReaderPrincipal, services: ServicesDep
) -> EvidenceList:
    tenant = principal.tenant_id
    check = await run_in_threadpool(_stage_check, services, tenant, opportunity_id)
    items = await run_in_threadpool(list_evidence, services.clickhouse, tenant, opportunity_id)
    return EvidenceList(items=[EvidenceOut.of(e) for e in items], stage_check=check)
