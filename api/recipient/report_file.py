"""The PDF of a scheduled report, opened from the link in a manager's WeCom / Feishu / Slack
message or email. The signed token names the tenant and the content-addressed blob; no key
or session is needed (like the mute link), and a forged token is a plain 404."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.services import ServicesDep
from outbound.reports import read_report_token
from tracker.errors import NotFound

__all__ = ["router"]

router = APIRouter(tags=["notifications"])


@router.get("/r/{token}", include_in_schema=False)
async def report_file(token: str, services: ServicesDep) -> Response:
    found = read_report_token(services.settings, token)
    if found is None or not await run_in_threadpool(services.blobs.exists, found[1]):
        raise NotFound("unknown report", code="report_not_found")
    pdf = await run_in_threadpool(services.blobs.get, found[1])
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'inline; filename="report.pdf"',
            "Cache-Control": "private, max-age=86400",
            "X-Content-Type-Options": "nosniff",
        },
    )
