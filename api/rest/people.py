"""The people being tracked (issue 18): a subject-access export and an erasure per person,
and the audit trail of who looked at whom (admin scope, the caller's tenant only).

- `GET /api/v1/people/{email}/export` — JSON (or `?format=csv`: the events) of everything
  held about the person: the links sent to them, their CRM contact records, their own
  reading events, and what Redis holds about their viewers (gate emails, their answers to
  the privacy notice).
- `DELETE /api/v1/people/{email}` — erase: their own events deleted and the links' rollups
  rebuilt, links and contacts pseudonymised (the deal keeps counting them, nobody can tell
  whom they were for), watermarked copies and page images deleted, viewer state dropped,
  queued webhooks and notifications naming them dropped, scores recomputed. Returns a
  receipt; a later identify of an old leaked copy answers the erased-recipient name.
- `GET|PUT /api/v1/settings/retention` — how long the tenant keeps events and its audit trail.
- `GET|PUT /api/v1/settings/privacy` — the notice buyers see on the viewer and the email
  gate, the consent mode and whether GPC / DNT are honoured (`tracker.privacy.notice`).
- `GET /api/v1/audit` — the audit trail, newest first."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.copies import forget_copies
from api.rest.auth import AdminPrincipal
from api.services import ServicesDep
from ingest import erase_person_events, forget_link_viewers, person_events
from outbound import drop_queued_mentions
from scoring import bump_epochs
from tracker import redis_keys
from tracker.api_keys import Principal
from tracker.clock import utcnow
from tracker.cursors import Cursor
from tracker.errors import NotFound
from tracker.privacy import (
    AuditAction,
    AuditEntry,
    PrivacyNotice,
    Retention,
    email_digest,
    find_person,
    get_privacy_notice,
    get_retention,
    list_audit,
    pseudonymise,
    record_audit,
    set_privacy_notice,
    set_retention,
)

__all__ = ["router"]

router = APIRouter(tags=["privacy"])

Email = Annotated[str, Path(min_length=3, max_length=320)]


def _actor(principal: Principal) -> str:
    return f"key:{principal.key_id}"


class ErasureReceipt(BaseModel):
    person: str  # the address's digest, not the address
    erased_at: datetime
    links_pseudonymised: int
    contacts_pseudonymised: int
    events_deleted: int
    blobs_deleted: int
    redis_keys_deleted: int
    queued_messages_dropped: int
    opportunities_rescored: list[str]


class AuditOut(BaseModel):
    """A page of the trail: pass `next_cursor` back as `cursor`; null = no older entries."""

    items: list[AuditEntry]
    next_cursor: str | None = None


def _links_of(services: Any, tenant: str, link_ids: tuple[str, ...]) -> list[dict[str, Any]]:
    if not link_ids:
        return []
    ch = services.clickhouse
    return list(
        ch.query(
            "SELECT link_id, document_id, opportunity_id, contact_id, recipient_email, "
            f"recipient_name, recipient_role, created_at, expires_at, revoked_at FROM "
            f"{ch.database}.links FINAL WHERE tenant_id = {{tenant:String}} "
            "AND has(splitByChar(',', {links:String}), link_id) ORDER BY link_id",
            {"tenant": tenant, "links": ",".join(link_ids)},
        )
    )


def _contacts_of(services: Any, tenant: str, contacts: tuple[tuple[str, str], ...]) -> list[Any]:
    if not contacts:
        return []
    ch = services.clickhouse
    return list(
        ch.query(
            f"SELECT opportunity_id, contact_id, name, email, role, is_decision_maker FROM "
            f"{ch.database}.contacts FINAL WHERE tenant_id = {{tenant:String}} "
            "AND has(splitByChar(',', {ids:String}), contact_id)",
            {"tenant": tenant, "ids": ",".join(c for _, c in contacts)},
        )
    )


async def _per_viewer(
    services: Any, key: Callable[[str, str], str], tenant: str, link_ids: tuple[str, ...]
) -> dict[str, Any]:
    """link → {viewer id → value} of a per-link Redis hash (gate emails, notice answers)."""
    found: dict[str, Any] = {}
    for link_id in link_ids:
        held = await services.redis.client.hgetall(key(tenant, link_id))
        if held:
            found[link_id] = {k.decode(): v.decode() for k, v in held.items()}
    return found


def _csv(events: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    if events:
        writer = csv.DictWriter(out, fieldnames=list(events[0]))
        writer.writeheader()
        writer.writerows(events)
    return out.getvalue()


@router.get("/api/v1/people/{email}/export", summary="Everything held about one person")
async def export_person(
    email: Email,
    principal: AdminPrincipal,
    services: ServicesDep,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    tenant, ch = principal.tenant_id, services.clickhouse
    person = await run_in_threadpool(find_person, ch, tenant, email)
    if not person.found:
        raise NotFound("nothing is held about this person", code="person_not_found")
    events = await run_in_threadpool(person_events, ch, tenant, person.link_ids)
    await run_in_threadpool(
        record_audit, ch, tenant, _actor(principal), AuditAction.PERSON_EXPORTED,
        email_digest(email), f"{len(events)} events",
    )  # fmt: skip
    if format == "csv":
        return Response(_csv(events), media_type="text/csv; charset=utf-8")
    return {
        "person": {"email": person.email, "names": list(person.names)},
        "exported_at": utcnow(),
        "links": await run_in_threadpool(_links_of, services, tenant, person.link_ids),
        "contacts": await run_in_threadpool(_contacts_of, services, tenant, person.contacts),
        "events": events,
        "gate_emails": await _per_viewer(services, redis_keys.gate_email, tenant, person.link_ids),
        "privacy_answers": await _per_viewer(
            services, redis_keys.viewer_consent, tenant, person.link_ids
        ),
    }


@router.delete("/api/v1/people/{email}", summary="Erase one person")
async def erase_person(
    email: Email, principal: AdminPrincipal, services: ServicesDep
) -> ErasureReceipt:
    tenant, ch = principal.tenant_id, services.clickhouse
    person = await run_in_threadpool(find_person, ch, tenant, email)
    if not person.found:
        raise NotFound("nothing is held about this person", code="person_not_found")
    cluster = services.settings.clickhouse_cluster  # deletes go to the _local tables
    events = await run_in_threadpool(
        partial(erase_person_events, cluster=cluster), ch, tenant, person.link_ids
    )
    await run_in_threadpool(partial(pseudonymise, cluster=cluster), ch, tenant, person)
    blobs = await forget_copies(services, tenant, person.link_ids)
    keys = await forget_link_viewers(services.redis.client, tenant, person.link_ids)
    needles = [person.email, *person.names]
    dropped = await drop_queued_mentions(services.redis.client, services.settings, needles)
    await bump_epochs(services.redis.client, tenant, list(person.opportunity_ids))
    receipt = ErasureReceipt(
        person=email_digest(email),
        erased_at=utcnow(),
        links_pseudonymised=len(person.link_ids),
        contacts_pseudonymised=len(person.contacts),
        events_deleted=events,
        blobs_deleted=blobs,
        redis_keys_deleted=keys,
        queued_messages_dropped=dropped,
        opportunities_rescored=list(person.opportunity_ids),
    )
    await run_in_threadpool(
        record_audit, ch, tenant, _actor(principal), AuditAction.PERSON_ERASED,
        receipt.person, receipt.model_dump_json(exclude={"person", "erased_at"}),
    )  # fmt: skip
    return receipt


@router.get("/api/v1/settings/retention", summary="The tenant's retention limits")
async def read_retention(principal: AdminPrincipal, services: ServicesDep) -> Retention:
    return await run_in_threadpool(get_retention, services.clickhouse, principal.tenant_id)


@router.put("/api/v1/settings/retention", summary="Set the tenant's retention limits")
async def write_retention(
    body: Retention, principal: AdminPrincipal, services: ServicesDep
) -> Retention:
    await run_in_threadpool(
        partial(
            set_retention,
            events_ceiling_days=services.settings.event_ttl_days,
            actor=_actor(principal),
        ),
        services.clickhouse,
        principal.tenant_id,
        body,
    )
    return body


@router.get("/api/v1/settings/privacy", summary="The privacy notice buyers are shown")
async def read_privacy_notice(principal: AdminPrincipal, services: ServicesDep) -> PrivacyNotice:
    return await run_in_threadpool(get_privacy_notice, services.clickhouse, principal.tenant_id)


@router.put("/api/v1/settings/privacy", summary="Set the privacy notice and consent mode")
async def write_privacy_notice(
    body: PrivacyNotice, principal: AdminPrincipal, services: ServicesDep
) -> PrivacyNotice:
    await run_in_threadpool(
        partial(set_privacy_notice, actor=_actor(principal)),
        services.clickhouse,
        principal.tenant_id,
        body,
    )
    return body


@router.get("/api/v1/audit", summary="The audit trail, newest first")
async def audit(
    principal: AdminPrincipal,
    services: ServicesDep,
    action: Annotated[AuditAction | None, Query()] = None,
    person: Annotated[
        str, Query(max_length=320, description="entries about this email, or done by them")
    ] = "",
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditOut:
    found = await run_in_threadpool(
        partial(
            list_audit,
            action=action.value if action else "",
            involving=person,
            after=Cursor.decode(cursor) if cursor else None,
            limit=limit + 1,
        ),
        services.clickhouse,
        principal.tenant_id,
    )
    items, more = found[:limit], len(found) > limit
    last = items[-1] if items else None
    return AuditOut(
        items=items,
        next_cursor=Cursor(last.at, last.audit_id).encode() if more and last else None,
    )
