"""客户健康度 over the API: an account's four pillars, band and the band actions taken.

    GET /api/v1/accounts/{id}/health           crm or reps; now (or `as_of`)
    GET /api/v1/account-health?after=&limit=   crm or reps; every account, keyset-paged by id
    GET /api/v1/accounts/{id}/actions          crm or reps; band history and actions taken

Bands are recorded, and their actions taken, by the `account-bands` job (hourly; an admin
runs it now with `POST /api/v1/jobs/account-bands/run`). Another tenant's account (or an
unknown one) is 404 `account_not_found`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel
from starlette.concurrency import run_in_threadpool

from api.rest.auth import ReaderPrincipal
from api.rest.tenant_scoring import TenantScoringDep
from api.services import ServicesDep
from outbound import list_account_actions
from scoring import AccountHealth, AccountHealthPage, account_health, account_health_page
from scoring import band_history as bands_of
from tracker.clock import utcnow
from tracker.crm import CRM_ID_PATTERN, get_account
from tracker.stores import ClickHouse

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["accounts"])

AccountPath = Annotated[str, Path(pattern=CRM_ID_PATTERN)]


@router.get("/accounts/{account_id}/health")
async def health(
    account_id: AccountPath,
    principal: ReaderPrincipal,
    services: ServicesDep,
    scoring: TenantScoringDep,
    as_of: Annotated[AwareDatetime | None, Query(description="default now")] = None,
) -> AccountHealth:
    return await run_in_threadpool(
        account_health,
        services.clickhouse,
        principal.tenant_id,
        account_id,
        as_of or utcnow(),
        scoring.tuning.accounts,
    )


@router.get("/account-health")
async def health_list(
    principal: ReaderPrincipal,
    services: ServicesDep,
    scoring: TenantScoringDep,
    after: Annotated[str, Query(max_length=128)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AccountHealthPage:
    return await run_in_threadpool(
        lambda: account_health_page(
            services.clickhouse,
            principal.tenant_id,
            utcnow(),
            scoring.tuning.accounts,
            after=after,
            limit=limit,
        )
    )


class BandOut(BaseModel):
    band: str
    previous_band: str
    value: float | None
    assessed_at: datetime
    change_key: str


class ActionOut(BaseModel):
    action_id: str
    kind: str
    band: str
    detail: str
    people: list[str]
    todo_ids: list[str]
    link_ids: list[str]
    notices: int
    created_at: datetime
    change_key: str


class AccountActionsOut(BaseModel):
    account_id: str
    bands: list[BandOut]
    actions: list[ActionOut]


def _actions(ch: ClickHouse, tenant_id: str, account_id: str) -> AccountActionsOut:
    get_account(ch, tenant_id, account_id)
    return AccountActionsOut(
        account_id=account_id,
        bands=[
            BandOut(**{k: getattr(b, k) for k in BandOut.model_fields})
            for b in bands_of(ch, tenant_id, account_id)
        ],
        actions=[
            ActionOut(
                **{
                    k: getattr(a, k)
                    for k in (
                        "action_id",
                        "kind",
                        "band",
                        "detail",
                        "notices",
                        "created_at",
                        "change_key",
                    )
                },
                people=list(a.people),
                todo_ids=list(a.todo_ids),
                link_ids=list(a.link_ids),
            )
            for a in list_account_actions(ch, tenant_id, account_id)
        ],
    )


@router.get("/accounts/{account_id}/actions")
async def actions(
    account_id: AccountPath, principal: ReaderPrincipal, services: ServicesDep
) -> AccountActionsOut:
    return await run_in_threadpool(_actions, services.clickhouse, principal.tenant_id, account_id)
