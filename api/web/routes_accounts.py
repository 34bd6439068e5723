"""Accounts (客户) for people: customer health with its four pillars, the band and the band
actions taken, the freeze.

GET /app/accounts               the accounts the person may see, with health and band
GET /app/accounts/{account_id}  the account: facts, the four pillars and their parts, the
                                band history, the actions taken, the freeze audit list

Visible: the whole tenant for an admin; otherwise accounts whose rep, or one of whose
deals, the person may see. Others are 404 (never revealing that they exist).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.services import ServicesDep
from api.web.access import visible_deals
from api.web.auth import CurrentUser, Viewer
from api.web.render import WebRoute, page
from outbound import list_account_actions
from scoring import AccountHealth, RiskSignal, assess, band_history
from scoring.accounts import assess_accounts
from tracker.clock import utcnow
from tracker.crm import Account, freeze_history, frozen_accounts, list_accounts
from tracker.errors import NotFound

__all__ = ["router"]

router = APIRouter(prefix="/app", route_class=WebRoute, include_in_schema=False)

_LIMIT = 2000  # one page; accounts beyond it are reached by the API's paging


async def _visible(services: ServicesDep, viewer: Viewer) -> list[Account]:
    found = await run_in_threadpool(
        list_accounts, services.clickhouse, viewer.tenant_id, limit=_LIMIT
    )
    if viewer.owners is None:
        return found
    mine = {d.account for d in await visible_deals(services, viewer)}
    return [a for a in found if a.account_id in mine or (a.owner and viewer.may_see(a.owner))]


async def _health(
    services: ServicesDep, viewer: Viewer, accounts: list[Account]
) -> list[AccountHealth]:
    scoring = await services.scoring.get(services.clickhouse, viewer.tenant_id)
    return await run_in_threadpool(
        assess_accounts,
        services.clickhouse,
        viewer.tenant_id,
        accounts,
        utcnow(),
        scoring.tuning.accounts,
    )


async def _warnings(
    services: ServicesDep, viewer: Viewer, account_id: str
) -> list[tuple[str, RiskSignal]]:
    """(opportunity id, open early-warning signal) of the account's deals the viewer sees."""
    ids = sorted(
        d.opportunity_id for d in await visible_deals(services, viewer) if d.account == account_id
    )
    if not ids:
        return []
    ch, tenant = services.clickhouse, viewer.tenant_id
    scoring = await services.scoring.get(ch, tenant)
    now = utcnow()
    found = await run_in_threadpool(
        lambda: assess(ch, scoring, tenant, ids, now, now=now, open_only=True)
    )
    return [(k, s) for k, a in sorted(found.items()) for s in a.health.signals]


@router.get("/accounts")
async def accounts(request: Request, services: ServicesDep, viewer: CurrentUser) -> Response:
    shown = await _visible(services, viewer)
    health = await _health(services, viewer, shown)
    frozen = await run_in_threadpool(
        frozen_accounts, services.clickhouse, viewer.tenant_id, [a.account_id for a in shown]
    )
    return page(request, viewer, "web/accounts.html", title="", rows=health, frozen=frozen)


@router.get("/accounts/{account_id}")
async def account(
    request: Request, account_id: str, services: ServicesDep, viewer: CurrentUser
) -> Response:
    found = [a for a in await _visible(services, viewer) if a.account_id == account_id]
    if not found:
        raise NotFound("unknown account", code="account_not_found")
    ch, tenant = services.clickhouse, viewer.tenant_id
    health = (await _health(services, viewer, found))[0]
    return page(
        request,
        viewer,
        "web/account.html",
        title=found[0].name,
        account=found[0],
        health=health,
        history=await run_in_threadpool(band_history, ch, tenant, account_id),
        actions=await run_in_threadpool(list_account_actions, ch, tenant, account_id),
        freezes=await run_in_threadpool(freeze_history, ch, tenant, account_id),
        warnings=await _warnings(services, viewer, account_id),
    )
