"""One structured access-log line and the HTTP metrics per request, from a raw ASGI
middleware in front of FastAPI's routing: request id (the caller's `X-Request-ID` when it
is sane, else a new one, echoed in the response), method, route template (`/v/{token}`, never
the token itself), status, latency, and the tenant when a key or session named one
(`request.state.tenant_id`, set by the auth dependencies). The beacon fast path (`POST /e`)
stays outside it: its volume is counted by the ingest metrics.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Final

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HTTP_REQUESTS", "HTTP_SECONDS", "RequestLog"]

log = logging.getLogger("dealsignal.access")

HTTP_REQUESTS = Counter(
    "dealsignal_http_requests_total",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "dealsignal_http_request_seconds",
    "Time to answer an HTTP request, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
_SANE_ID: Final = re.compile(r"[A-Za-z0-9._-]{8,64}")
_UNMATCHED: Final = "unmatched"  # 404s: never a raw path (unbounded label values)


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        status = 500  # if the app raises before answering, the server says 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or _UNMATCHED
            method = scope["method"]
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_SECONDS.labels(method, route).observe(seconds)
            state = scope.get("state") or {}
            log.info(
                "%s %s %d",
                method,
                route,
                status,
                extra={
                    "request_id": request_id,
                    "tenant": state.get("tenant_id", ""),
                    "method": method,
                    "route": route,
                    "status": status,
                    "latency_ms": round(seconds * 1000, 2),
                },
            )


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = str(value.decode("latin-1"))
            if _SANE_ID.fullmatch(text):
                return text
            break
    return secrets.token_hex(8)
