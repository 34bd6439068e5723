"""`POST /e`: the viewer's beacon. A plain Starlette endpoint mounted beside FastAPI —
no dependency injection or body models on the hottest path (DESIGN.md measured FastAPI
routing at a quarter of raw ASGI). Accepts `fetch(keepalive)` JSON and `sendBeacon`
text/plain bodies; 204 once Redis has the events, 400/413 with a code for bad beacons,
503 (retry) when Redis is unavailable."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.services import Services
from ingest import RequestMeta
from tracker.errors import DealsignalError, InvalidBeacon

__all__ = ["beacon"]

_NO_CONTENT = Response(status_code=204, headers={"Cache-Control": "no-store"})


async def _bounded_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise InvalidBeacon(f"body larger than {limit} bytes", code="body_too_large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidBeacon(f"body larger than {limit} bytes", code="body_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


async def beacon(request: Request) -> Response:
    services: Services = request.app.state.services
    try:
        body = await _bounded_body(request, services.settings.limits.max_beacon_bytes)
        client = request.client.host if request.client else None
        await services.ingestor.accept_beacon(
            body,
            content_type=request.headers.get("content-type"),
            request=RequestMeta.from_headers("POST", request.headers, client),
        )
    except DealsignalError as exc:
        status = 413 if exc.code == "body_too_large" else exc.status
        return JSONResponse({"error": exc.to_dict()}, status_code=status)
    return _NO_CONTENT
