"""The manager's view of their team (an admin's: the whole tenant).

GET  /app/team                     per rep: deals, pipeline, the CRM forecast (amount ×
                                   probability) next to the evidence-adjusted forecast;
                                   stalled and red deals; the manager's open to-dos
POST /app/todos/{todo_id}/resolve  close a to-do (stall alerts also close themselves when
                                   the deal moves again)
POST /app/calibration/{run_id}/approve
                                   an admin applies a proposed re-weighting of the health
                                   pillars (the tenant's `calibration.auto_apply` is off)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.services import Services, ServicesDep
from api.web.access import visible_deals
from api.web.auth import CurrentUser, PostingUser
from api.web.deals import DealRow, deal_rows
from api.web.render import WebRoute, page
from outbound.notify import get_todo, list_todos, resolve_todo
from scoring import RunStatus, approve_run, list_runs
from tracker.errors import Forbidden, NotFound
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
    adjusted: dict[str, Decimal] = field(default_factory=dict)
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
        if row.adjusted_forecast is not None:
            current = summary.adjusted.get(row.deal.currency, Decimal(0))
            summary.adjusted[row.deal.currency] = current + row.adjusted_forecast
    return sorted(totals.values(), key=lambda s: (-s.deals, s.email))


@router.get("/team")
async def team(request: Request, services: ServicesDep, viewer: CurrentUser) -> Response:
    if viewer.user.role is Role.REP:
        raise Forbidden("the team view is for managers and admins", code="not_a_manager")
    users = await run_in_threadpool(list_users, services.clickhouse, viewer.tenant_id)
    members = [u for u in users if viewer.may_see(u.email)]
    rows = await deal_rows(services, viewer.tenant_id, await visible_deals(services, viewer))
    todos = await run_in_threadpool(
        list_todos,
        services.clickhouse,
        viewer.tenant_id,
        manager=None if viewer.user.role is Role.ADMIN else viewer.user.email,
    )
    return page(
        request,
        viewer,
        "web/team.html",
        title="",
        summaries=_summaries(members, rows),
        members=members,
        stalled=[r for r in rows if r.stalled],
        red=[r for r in rows if r.health_band == "red"],
        todos=todos,
        proposals=await _proposals(services, viewer.tenant_id, viewer.user.role),
    )


async def _proposals(services: Services, tenant_id: str, role: Role) -> list[dict[str, Any]]:
    """Re-weightings waiting for an admin (only admins see and approve them)."""
    if role is not Role.ADMIN:
        return []
    runs = await run_in_threadpool(list_runs, services.clickhouse, tenant_id)
    return [r.as_json() for r in runs if r.status is RunStatus.PROPOSED]


@router.post("/calibration/{run_id}/approve")
async def approve(run_id: str, services: ServicesDep, viewer: PostingUser) -> Response:
    if viewer.user.role is not Role.ADMIN:
        raise Forbidden("only an admin approves a re-weighting", code="not_an_admin")
    await run_in_threadpool(
        approve_run, services.clickhouse, viewer.tenant_id, run_id, viewer.user.email
    )
    services.scoring.forget(viewer.tenant_id)
    return RedirectResponse("/app/team#weights", status_code=303)


@router.post("/todos/{todo_id}/resolve")
async def resolve(todo_id: str, services: ServicesDep, viewer: PostingUser) -> Response:
    todo = await run_in_threadpool(get_todo, services.clickhouse, viewer.tenant_id, todo_id)
    if viewer.user.role is not Role.ADMIN and todo.manager != viewer.user.email:
        raise NotFound("unknown to-do", code="todo_not_found")
    await run_in_threadpool(
        resolve_todo, services.clickhouse, viewer.tenant_id, todo_id, viewer.user.email
    )
    return RedirectResponse("/app/team#todos", status_code=303)
