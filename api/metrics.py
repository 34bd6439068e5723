"""Prometheus metrics (`/metrics`): ingest counters, stream lag, batch sizes, insert
latency and dead letters, HTTP requests and latency by route (`api.request_log`), from
prometheus_client's default registry. `metrics_allow_from` limits who may read them."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Sequence

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = ["metrics_endpoint"]


def metrics_endpoint(allow_from: Sequence[str]) -> Callable[[Request], Awaitable[Response]]:
    networks = [ipaddress.ip_network(entry.strip(), strict=False) for entry in allow_from]

    def allowed(host: str) -> bool:
        if not networks:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in networks)

    async def metrics(request: Request) -> Response:
        if not allowed(request.client.host if request.client else ""):
            body = {"error": {"code": "forbidden", "message": "metrics are not public here"}}
            return JSONResponse(body, status_code=403)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return metrics
