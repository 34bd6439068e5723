"""Accounts (客户), their finance records (财务穿透) and freezes.

    PUT  /api/v1/accounts/{id}                 crm scope; the account as the CRM has it
    GET  /api/v1/accounts/{id}                 crm or reps
    GET  /api/v1/accounts?after=&limit=        crm or reps; by id, keyset-paged
    PUT  /api/v1/accounts/{id}/finance         crm scope; the finance system's figures as of a day
    GET  /api/v1/accounts/{id}/finance         crm or reps; the newest record
    POST /api/v1/accounts/{id}/unfreeze        admin; lift a red-band freeze, with a reason
    GET  /api/v1/accounts/{id}/freezes         crm or reps; the audit list, newest first

Another tenant's account (or an unknown one) is 404 `account_not_found`; finance for an
unknown account too (nothing stored). Opportunities name their account by its id
(`account` in the opportunity payload).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.rest.accounts.payloads import (
    AccountIn,
    AccountOut,
    AccountPage,
    FinanceIn,
    FinanceOut,
    UnfreezeIn,
)
from api.rest.auth import AdminPrincipal, CrmPrincipal, ReaderPrincipal
from api.services import ServicesDep
from tracker.crm import (
    CRM_ID_PATTERN,
    freeze_history,
    frozen_accounts,
    get_account,
    get_finance,
    list_accounts,
    put_account,
    put_finance,
    record_freeze,
)
from tracker.errors import BadRequest, NotFound
from tracker.stores import ClickHouse

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])

AccountPath = Annotated[str, Path(pattern=CRM_ID_PATTERN)]


def _out(ch: ClickHouse, tenant_id: str, account_id: str) -> AccountOut:
    account = get_account(ch, tenant_id, account_id)
    return AccountOut.of(account, frozen=bool(frozen_accounts(ch, tenant_id, [account_id])))


@router.put("/{account_id}")
async def upsert_account(
    account_id: AccountPath, body: AccountIn, principal: CrmPrincipal, services: ServicesDep
) -> AccountOut:
    ch, tenant = services.clickhouse, principal.tenant_id
    await run_in_threadpool(put_account, ch, body.to_domain(tenant, account_id))
    return await run_in_threadpool(_out, ch, tenant, account_id)


@router.get("/{account_id}")
async def read_account(
    account_id: AccountPath, principal: ReaderPrincipal, services: ServicesDep
) -> AccountOut:
    return await run_in_threadpool(_out, services.clickhouse, principal.tenant_id, account_id)


def _page(ch: ClickHouse, tenant_id: str, after: str, limit: int) -> AccountPage:
    found = list_accounts(ch, tenant_id, after=after, limit=limit + 1)
    shown = found[:limit]
    frozen = frozen_accounts(ch, tenant_id, [a.account_id for a in shown])
    return AccountPage(
        items=[AccountOut.of(a, frozen=a.account_id in frozen) for a in shown],
        next_after=shown[-1].account_id if len(found) > limit else None,
    )


@router.get("")
async def accounts(
    principal: ReaderPrincipal,
    services: ServicesDep,
    after: Annotated[str, Query(max_length=128)] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AccountPage:
    return await run_in_threadpool(_page, services.clickhouse, principal.tenant_id, after, limit)


def _put_finance(ch: ClickHouse, tenant_id: str, account_id: str, body: FinanceIn) -> FinanceOut:
    get_account(ch, tenant_id, account_id)  # 404 before anything is stored
    record = body.to_domain(tenant_id, account_id)
    put_finance(ch, record)
    return FinanceOut.of(record)


@router.put("/{account_id}/finance")
async def upsert_finance(
    account_id: AccountPath, body: FinanceIn, principal: CrmPrincipal, services: ServicesDep
) -> FinanceOut:
    return await run_in_threadpool(
        _put_finance, services.clickhouse, principal.tenant_id, account_id, body
    )


def _get_finance(ch: ClickHouse, tenant_id: str, account_id: str) -> FinanceOut:
    get_account(ch, tenant_id, account_id)
    found = get_finance(ch, tenant_id, account_id)
    if found is None:
        raise NotFound("no finance record for this account", code="finance_not_found")
    return FinanceOut.of(found)


@router.get("/{account_id}/finance")
async def read_finance(
    account_id: AccountPath, principal: ReaderPrincipal, services: ServicesDep
) -> FinanceOut:
    return await run_in_threadpool(
        _get_finance, services.clickhouse, principal.tenant_id, account_id
    )


class FreezeOut(BaseModel):
    entry_id: str
    frozen: bool
    reason: str
    actor: str
    at: datetime


def _unfreeze(
    ch: ClickHouse, tenant_id: str, account_id: str, actor: str, reason: str
) -> FreezeOut:
    get_account(ch, tenant_id, account_id)
    if not frozen_accounts(ch, tenant_id, [account_id]):
        raise BadRequest("this account is not frozen", code="account_not_frozen")
    entry = record_freeze(ch, tenant_id, account_id, frozen=False, reason=reason, actor=actor)
    return FreezeOut(**{name: getattr(entry, name) for name in FreezeOut.model_fields})


@router.post("/{account_id}/unfreeze")
async def unfreeze(
    account_id: AccountPath, body: UnfreezeIn, principal: AdminPrincipal, services: ServicesDep
) -> FreezeOut:
    """Let new opportunities for the account in again while its band is still red; the
    reason and the admin's key are kept in the audit list."""
    actor = f"key:{principal.key_id}"
    return await run_in_threadpool(
        _unfreeze, services.clickhouse, principal.tenant_id, account_id, actor, body.reason
    )


def _freezes(ch: ClickHouse, tenant_id: str, account_id: str) -> list[FreezeOut]:
    get_account(ch, tenant_id, account_id)
    return [
        FreezeOut(**{name: getattr(e, name) for name in FreezeOut.model_fields})
        for e in freeze_history(ch, tenant_id, account_id)
    ]


@router.get("/{account_id}/freezes")
async def freezes(
    account_id: AccountPath, principal: ReaderPrincipal, services: ServicesDep
) -> list[FreezeOut]:
    return await run_in_threadpool(_freezes, services.clickhouse, principal.tenant_id, account_id)
