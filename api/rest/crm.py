"""CRM push (`crm` scope): opportunities with contacts, activities, outcomes.

    PUT  /api/v1/opportunities/{id}        one opportunity (returns what is now stored)
    POST /api/v1/opportunities:batch       {"items": [{"id": …, …}]}, ≤ limits.max_batch_items
    GET  /api/v1/opportunities/{id}        what is stored (newest CRM `updated_at` wins)
    POST /api/v1/activities                {"items": [activity, …]}, ≤ limits.max_batch_items
    POST /api/v1/outcomes                  {"items": [outcome, …]}, ≤ limits.max_batch_items
    POST /api/v1/payments                  {"items": [payment, …]}: cash collected (回款)

Idempotent: re-sending a payload changes nothing; an older `updated_at` never overwrites a
newer one. A batch is validated whole before anything is written (422 `validation_error`
with per-item `errors[].loc`, 400 `too_many_items`); every write bumps the score epochs of
the opportunities it touches. The payload models are `api.rest.crm_payloads`.
"""

from __future__ import annotations

from typing import Annotated

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
)
from api.services import Services, ServicesDep
from scoring import bump_epochs
from tracker.crm import (
    CRM_ID_PATTERN,
    get_opportunity,
    record_activities,
    record_outcomes,
    record_payments,
    upsert_opportunities,
)
from tracker.errors import BadRequest

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


@router.put("/opportunities/{opportunity_id}")
async def put_opportunity(
    opportunity_id: OpportunityPath,
    body: OpportunityIn,
    principal: CrmPrincipal,
    services: ServicesDep,
) -> OpportunityOut:
    ch, tenant = services.clickhouse, principal.tenant_id
    await run_in_threadpool(upsert_opportunities, ch, tenant, [body.to_domain(opportunity_id)])
    await bump_epochs(services.redis.client, tenant, [opportunity_id])
    stored = await run_in_threadpool(get_opportunity, ch, tenant, opportunity_id)
    return OpportunityOut.of(stored)


@router.post("/opportunities:batch")
async def put_opportunities(
    body: OpportunityBatch, principal: CrmPrincipal, services: ServicesDep
) -> Accepted:
    _check_count(services, len(body.items))
    items = [item.to_domain(item.id) for item in body.items]
    await run_in_threadpool(upsert_opportunities, services.clickhouse, principal.tenant_id, items)
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


@router.post("/activities")
async def post_activities(
    body: ActivityBatch, principal: CrmPrincipal, services: ServicesDep
) -> Accepted:
    _check_count(services, len(body.items))
    items = [item.to_domain() for item in body.items]
    await run_in_threadpool(record_activities, services.clickhouse, principal.tenant_id, items)
    await bump_epochs(services.redis.client, principal.tenant_id, [a.opportunity_id for a in items])
    return Accepted(accepted=len(items))


@router.post("/outcomes")
async def post_outcomes(
    body: OutcomeBatch, principal: CrmPrincipal, services: ServicesDep
) -> Accepted:
    _check_count(services, len(body.items))
    items = [item.to_domain() for item in body.items]
    await run_in_threadpool(record_outcomes, services.clickhouse, principal.tenant_id, items)
    await bump_epochs(services.redis.client, principal.tenant_id, [o.opportunity_id for o in items])
    return Accepted(accepted=len(items))


@router.post("/payments")
async def post_payments(
    body: PaymentBatch, principal: CrmPrincipal, services: ServicesDep
) -> Accepted:
    """Cash collected: account, opportunity, amount, currency, received_at, external id."""
    _check_count(services, len(body.items))
    items = [item.to_domain() for item in body.items]
    await run_in_threadpool(record_payments, services.clickhouse, principal.tenant_id, items)
    return Accepted(accepted=len(items))
