"""CRM push (`crm` scope): opportunities with contacts, activities, outcomes.

    PUT  /api/v1/opportunities/{id}        one opportunity (returns what is now stored)
    POST /api/v1/opportunities:batch       {"items": [{"id": …, …}]}, ≤ limits.max_batch_items
    GET  /api/v1/opportunities/{id}        what is stored (newest CRM `updated_at` wins)
    POST /api/v1/activities                {"items": [activity, …]}, ≤ limits.max_batch_items
    POST /api/v1/outcomes                  {"items": [outcome, …]}, ≤ limits.max_batch_items
    POST /api/v1/payments                  {"items": [payment, …]}: cash collected (回款)

A new opportunity id for an account whose health is red is refused (409 `account_frozen`,
nothing written) until the band leaves red or an admin unfreezes the account; updates of
its existing opportunities still land.

Activities, outcomes and payments for an opportunity never pushed are stored (a CRM may sync
them before the opportunity) and reported in the response's `unmatched`: those opportunity
ids, sorted, so a sync can push the missing opportunities.

Idempotent: re-sending a payload changes nothing; an older `updated_at` never overwrites a
newer one. A batch is validated whole before anything is written (422 `validation_error`
with per-item `errors[].loc`, 400 `too_many_items`); in a tenant's strict stage mode, moving
an opportunity into a stage whose required evidence is missing is 409
`stage_evidence_missing` (`tracker.crm.stages`); every write bumps the score epochs of the
opportunities it touches. The payload models are `api.rest.crm_payloads`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from api.rest.auth import CrmPrincipal
from api.rest.crm_payloads import (
    Accepted,
    ActivityBatch,
    OpportunityBatch,
    OpportunityIn,
    OpportunityOut,
    OutcomeBatch,
    PaymentBatch,
    Recorded,
)
from api.services import Services, ServicesDep
from scoring import bump_epochs
from tracker.crm import (
    CRM_ID_PATTERN,
    Opportunity,
    check_not_frozen,
    get_opportunity,
    get_stage_settings,
    known_opportunity_ids,
    record_activities,
    record_outcomes,
    record_payments,
    refuse_unverified_stages,
    upsert_opportunities,
)
from tracker.errors import BadRequest
from tracker.stores import ClickHouse

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["crm"])

OpportunityPath = Annotated[str, Path(pattern=CRM_ID_PATTERN)]


def _check_count(services: Services, count: int) -> None:
    limit = services.settings.limits.max_batch_items
    if count > limit:
        raise BadRequest(
            f"a batch holds at most {limit} items, this one {count}",
            code="too_many_items",
            limit=limit,
            items=count,
        )


def _unmatched(ch: ClickHouse, tenant: str, ids: list[str]) -> list[str]:
    wanted = sorted(set(ids))
    return sorted(set(wanted) - known_opportunity_ids(ch, tenant, wanted))


def _gated_upsert(ch: ClickHouse, tenant: str, items: list[Opportunity]) -> None:
    """409 before anything is written: `account_frozen` for a new opportunity of a frozen
    account, `stage_evidence_missing` in strict stage mode."""
    check_not_frozen(ch, tenant, [(o.opportunity_id, o.account) for o in items])
    refuse_unverified_stages(ch, tenant, items, get_stage_settings(ch, tenant))
    upsert_opportunities(ch, tenant, items)


@router.put("/opportunities/{opportunity_id}")
async def put_opportunity(
    opportunity_id: OpportunityPath,
    body: OpportunityIn,
    principal: CrmPrincipal,
    services: ServicesDep,
) -> OpportunityOut:
    ch, tenant = services.clickhouse, principal.tenant_id
    await run_in_threadpool(_gated_upsert, ch, tenant, [body.to_domain(opportunity_id)])
    await bump_epochs(services.redis.client, tenant, [opportunity_id])
    stored = await run_in_threadpool(get_opportunity, ch, tenant, opportunity_id)
    return OpportunityOut.of(stored)


@router.post("/opportunities:batch")
async def put_opportunities(
    body: OpportunityBatch, principal: CrmPrincipal, services: ServicesDep
) -> Accepted:
    _check_count(services, len(body.items))
    items = [item.to_domain(item.id) for item in body.items]
    await run_in_threadpool(_gated_upsert, services.clickhouse, principal.tenant_id, items)
    await bump_epochs(services.redis.client, principal.tenant_id, [o.opportunity_id for o in items])
    return Accepted(accepted=len(items))


@router.get("/opportunities/{opportunity_id}")
async def read_opportunity(
    opportunity_id: OpportunityPath, principal: CrmPrincipal, services: ServicesDep
) -> OpportunityOut:
    stored = await run_in_threadpool(
        get_opportunity, services.clickhouse, principal.tenant_id, opportunity_id
    )
    return OpportunityOut.of(stored)


async def _record(
    services: Services,
    tenant: str,
    record: Callable[[ClickHouse, str, list[Any]], None],
    items: list[Any],
    *,
    rescore: bool = True,
) -> Recorded:
    """Stores a batch of the CRM's facts about opportunities; the opportunities it names are
    rescored (`rescore`) and the ids never pushed are reported as `unmatched`."""
    ch, ids = services.clickhouse, [item.opportunity_id for item in items]
    await run_in_threadpool(record, ch, tenant, items)
    if rescore:
        await bump_epochs(services.redis.client, tenant, ids)
    unmatched = await run_in_threadpool(_unmatched, ch, tenant, ids)
    return Recorded(accepted=len(items), unmatched=unmatched)


@router.post("/activities")
async def post_activities(
    body: ActivityBatch, principal: CrmPrincipal, services: ServicesDep
) -> Recorded:
    _check_count(services, len(body.items))
    items = [item.to_domain() for item in body.items]
    return await _record(services, principal.tenant_id, record_activities, items)


@router.post("/outcomes")
async def post_outcomes(
    body: OutcomeBatch, principal: CrmPrincipal, services: ServicesDep
) -> Recorded:
    _check_count(services, len(body.items))
    items = [item.to_domain() for item in body.items]
    return await _record(services, principal.tenant_id, record_outcomes, items)


@router.post("/payments")
async def post_payments(
    body: PaymentBatch, principal: CrmPrincipal, services: ServicesDep
) -> Recorded:
    """Cash collected: account, opportunity, amount, currency, received_at, external id."""
    _check_count(services, len(body.items))
    items = [item.to_domain() for item in body.items]
    return await _record(services, principal.tenant_id, record_payments, items, rescore=False)
