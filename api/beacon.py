"""`POST /e`: the viewer's beacon, answered by a thin ASGI front before FastAPI sees the
request — no routing table, middleware stack, dependency injection or body models on the
hottest path (DESIGN.md measured FastAPI routing at a quarter of raw ASGI). Accepts
`fetch(keepalive)` JSON and `sendBeacon` text/plain bodies; 204 once Redis has the
events, 400/413 with a code for bad beacons, 503 (retry) when Redis is unavailable."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from api.services import Services
from ingest import RequestMeta
from tracker.errors import DealsignalError, InvalidBeacon

__all__ = ["BeaconFastPath", "beacon"]

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


class BeaconFastPath:
    """ASGI front: `POST /e` goes straight to the beacon handler, everything else (and
    lifespan) to the FastAPI app, whose attributes (`state`, `openapi`, …) it exposes."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/e" and scope["method"] == "POST":
            response = await beacon(self.app.state.services, Request(scope, receive))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def beacon(services: Services, request: Request) -> Response:
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
