"""CRM pull: engagement scores and the opportunity timeline.

    GET /api/v1/opportunities/{id}/engagement   crm or reps scope; `X-Score-Cache: hit|miss`
    GET /api/v1/scores?updated_since=&cursor=&limit=   crm scope; the bulk sync
    GET /api/v1/opportunities/{id}/timeline?limit=     crm or reps scope

Another tenant's opportunity (or an unknown one) is 404 `opportunity_not_found`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from prometheus_client import Counter
from starlette.concurrency import run_in_threadpool

from api.rest.auth import CrmPrincipal, ReaderPrincipal
from api.rest.tenant_scoring import TenantScoringDep
from api.services import ServicesDep
from scoring import (
    OpportunityEngagement,
    ScoresPage,
    Timeline,
    build_timeline,
    opportunity_engagement_json,
    scores_page,
)
from tracker.crm import CRM_ID_PATTERN, ZonedDatetime

__all__ = ["router"]

# A cached engagement pull is one Redis round trip; a miss is the ClickHouse work.
SCORE_CACHE = Counter(
    "dealsignal_score_cache_total", "Engagement pulls by score-cache outcome", ["outcome"]
)

router = APIRouter(prefix="/api/v1", tags=["scores"])


OpportunityPath = Annotated[str, Path(pattern=CRM_ID_PATTERN)]


@router.get("/opportunities/{opportunity_id}/engagement", response_model=OpportunityEngagement)
async def engagement(
    opportunity_id: OpportunityPath,
    principal: ReaderPrincipal,
    services: ServicesDep,
    scoring: TenantScoringDep,
) -> Response:
    payload, cached = await opportunity_engagement_json(
        services.clickhouse,
        services.redis.client,
        scoring,
        principal.tenant_id,
        opportunity_id,
    )
    outcome = "hit" if cached else "miss"
    SCORE_CACHE.labels(outcome).inc()
    return Response(payload, media_type="application/json", headers={"X-Score-Cache": outcome})


@router.get(
    "/scores",
    description="The CRM's bulk sync, keyset-paged by opportunity id (no gaps, no repeats). "
    "Sweep: call without `cursor` (with `updated_since` = the last sweep's `watermark`, or "
    "without it the first time), then pass each page's `next_cursor` back as `cursor` until "
    "it is null — null means no more data. Keep the pages' `watermark` for the next sweep.",
)
async def scores(
    principal: CrmPrincipal,
    services: ServicesDep,
    scoring: TenantScoringDep,
    updated_since: Annotated[
        ZonedDatetime | None,
        Query(
            description="only opportunities with anything received since: the previous "
            "sweep's `watermark` (ISO 8601 with offset; absent: everything)"
        ),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(
            max_length=400,
            description="the previous page's `next_cursor` (opaque; it carries the sweep's "
            "`updated_since`, so that parameter is then ignored)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="items per page")] = 100,
) -> ScoresPage:
    return await scores_page(
        services.clickhouse,
        services.redis.client,
        scoring,
        principal.tenant_id,
        updated_since=updated_since,
        cursor=cursor,
        limit=limit,
    )


@router.get("/opportunities/{opportunity_id}/timeline")
async def timeline(
    opportunity_id: OpportunityPath,
    principal: ReaderPrincipal,
    services: ServicesDep,
    scoring: TenantScoringDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Timeline:
    return await run_in_threadpool(
        build_timeline,
        services.clickhouse,
        principal.tenant_id,
        opportunity_id,
        scoring.tuning,
        limit=limit,
    )
