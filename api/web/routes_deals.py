"""Deals (opportunities) for people.

GET /app/deals                   sortable, filterable list (engagement; the other scores
                                 show "not computed yet" until scoring exports them)
GET /app/deals/{opportunity_id}  the deal: CRM facts, engagement with its factors and
                                 people, the documents, the timeline (CRM activities and
                                 document visits), evidence chain and next actions
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.services import ServicesDep
from api.web.access import visible_deal, visible_deals, visible_documents
from api.web.auth import CurrentUser
from api.web.deals import SORT_KEYS, board_lanes, deal_rows, filter_and_sort
from api.web.render import WebRoute, page
from ingest import recent_visits
from scoring import opportunity_engagement
from tracker.crm import get_opportunity, list_activities
from tracker.links import list_links

__all__ = ["router"]

router = APIRouter(prefix="/app", route_class=WebRoute, include_in_schema=False)


@router.get("/deals")
async def deals(
    request: Request,
    services: ServicesDep,
    viewer: CurrentUser,
    q: str = "",
    band: str = "",
    owner: str = "",
    sort: str = "engagement",
    dir: Literal["asc", "desc"] = "desc",
    view: Literal["board", "table"] = "board",
) -> Response:
    found = await visible_deals(services, viewer)
    rows = await deal_rows(services, viewer.tenant_id, found)
    shown = filter_and_sort(rows, query=q, band=band, owner=owner, sort=sort, direction=dir)
    return page(
        request,
        viewer,
        "web/deals.html",
        title="",
        rows=shown,
        total=len(rows),
        filters={"q": q, "band": band, "owner": owner, "sort": sort, "dir": dir, "view": view},
        lanes=board_lanes(shown),
        sort_keys=SORT_KEYS,
        owners=sorted({r.deal.owner for r in rows if r.deal.owner}),
    )


@router.get("/deals/{opportunity_id}")
async def deal(
    request: Request, opportunity_id: str, services: ServicesDep, viewer: CurrentUser
) -> Response:
    row = await visible_deal(services, viewer, opportunity_id)
    ch, tenant = services.clickhouse, viewer.tenant_id
    crm = (
        await run_in_threadpool(get_opportunity, ch, tenant, opportunity_id) if row.in_crm else None
    )
    scoring = await services.scoring.get(ch, tenant)
    engagement, _ = await opportunity_engagement(
        ch, services.redis.client, scoring, tenant, opportunity_id
    )
    docs = [
        d for d in await visible_documents(services, viewer) if d.opportunity_id == opportunity_id
    ]
    links = {
        link.link_id: link
        for d in docs
        for link in await run_in_threadpool(list_links, ch, tenant, document_id=d.document_id)
    }
    activities = await run_in_threadpool(list_activities, ch, tenant, opportunity_id)
    visit_rows = await run_in_threadpool(
        recent_visits, ch, tenant, scope="opportunity_id", key=opportunity_id
    )
    titles = {d.document_id: d.title for d in docs}
    timeline: list[tuple[datetime, str, dict[str, Any]]] = [
        (a.occurred_at, "activity", {"activity": a}) for a in activities
    ] + [
        (
            v.started_at,
            "visit",
            {"visit": v, "link": links.get(v.link_id), "title": titles.get(v.document_id, "")},
        )
        for v in visit_rows
    ]
    timeline.sort(key=lambda item: item[0], reverse=True)
    rows = await deal_rows(services, tenant, [row])
    return page(
        request,
        viewer,
        "web/deal.html",
        title=row.account or row.opportunity_id,
        row=rows[0],
        crm=crm,
        engagement=engagement,
        documents=docs,
        timeline=timeline[:100],
    )
