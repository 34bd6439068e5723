"""The document analytics page and its live fragment.

GET /app/documents/{id}/analytics        the page (charts, tables, visits, bots apart)
GET /app/documents/{id}/analytics/live   the same body as an HTML fragment; the page's
                                         JS swaps it in every few seconds, so a visit in
                                         progress appears without a reload
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.services import ServicesDep
from api.web.access import visible_document
from api.web.analytics_view import analytics_view, bot_reason_labels
from api.web.auth import CurrentUser
from api.web.render import WebRoute, page
from tracker.documents import get_version

__all__ = ["LIVE_POLL_MS", "router"]

router = APIRouter(prefix="/app", route_class=WebRoute, include_in_schema=False)

LIVE_POLL_MS = 4000


async def _view(
    request: Request, document_id: str, services: ServicesDep, viewer: CurrentUser, template: str
) -> Response:
    doc = await visible_document(services, viewer, document_id)
    version = await run_in_threadpool(
        get_version, services.clickhouse, viewer.tenant_id, doc.current_version_id
    )
    view = await run_in_threadpool(
        analytics_view,
        services.clickhouse,
        doc,
        viewer.translator,
        services.settings.ingest.heartbeat_seconds,
        services.settings.scoring.reading,
        frozenset(version.pages_tagged("pricing")),
    )
    return page(
        request,
        viewer,
        template,
        title=doc.title,
        document=doc,
        view=view,
        bot_labels=bot_reason_labels(viewer.translator),
        live_url=f"/app/documents/{doc.document_id}/analytics/live",
        poll_ms=LIVE_POLL_MS,
    )


@router.get("/documents/{document_id}/analytics")
async def analytics(
    request: Request, document_id: str, services: ServicesDep, viewer: CurrentUser
) -> Response:
    return await _view(request, document_id, services, viewer, "web/analytics.html")


@router.get("/documents/{document_id}/analytics/live")
async def analytics_live(
    request: Request, document_id: str, services: ServicesDep, viewer: CurrentUser
) -> Response:
    return await _view(request, document_id, services, viewer, "web/_analytics_body.html")
