"""The manager's view of their team (an admin's: the whole tenant).

GET /app/team   per rep: deals, pipeline and the CRM forecast (amount × probability) next
                to the adjusted forecast; stalled and red deals. Adjusted forecast, stall
                and health come from scoring and show "not computed yet" until exported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.services import ServicesDep
from api.web.access import visible_deals
from api.web.auth import CurrentUser
from api.web.deals import DealRow, deal_rows
from api.web.render import WebRoute, page
from tracker.errors import Forbidden
from tracker.users import Role, User, list_users

__all__ = ["RepSummary", "router"]

router = APIRouter(prefix="/app", route_class=WebRoute, include_in_schema=False)


@dataclass
class RepSummary:
    email: str
    user: User | None
    deals: int = 0
    pipeline: dict[str, Decimal] = field(default_factory=dict)  # per currency
    forecast: dict[str, Decimal] = field(default_factory=dict)
    rows: list[DealRow] = field(default_factory=list)


def _summaries(members: list[User], rows: list[DealRow]) -> list[RepSummary]:
    by_email = {m.email: RepSummary(m.email, m) for m in members}
    totals: dict[str, RepSummary] = dict(by_email)
    for row in rows:
        owner = row.deal.owner.strip().lower()
        summary = totals.setdefault(owner, RepSummary(owner, None))
        summary.deals += 1
        summary.rows.append(row)
        if row.deal.amount is not None:
            pipeline: defaultdict[str, Decimal] = defaultdict(Decimal, summary.pipeline)
            pipeline[row.deal.currency] += row.deal.amount
            summary.pipeline = dict(pipeline)
        if (forecast := row.forecast) is not None:
            current = summary.forecast.get(row.deal.currency, Decimal(0))
            summary.forecast[row.deal.currency] = current + forecast
    return sorted(totals.values(), key=lambda s: (-s.deals, s.email))


@router.get("/team")
async def team(request: Request, services: ServicesDep, viewer: CurrentUser) -> Response:
    if viewer.user.role is Role.REP:
        raise Forbidden("the team view is for managers and admins", code="not_a_manager")
    users = await run_in_threadpool(list_users, services.clickhouse, viewer.tenant_id)
    members = [u for u in users if viewer.may_see(u.email)]
    rows = await deal_rows(services, viewer.tenant_id, await visible_deals(services, viewer))
    return page(
        request,
        viewer,
        "web/team.html",
        title="",
        summaries=_summaries(members, rows),
        members=members,
    )
