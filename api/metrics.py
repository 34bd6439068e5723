"""Prometheus metrics (`/metrics`): ingest counters, stream lag, batch sizes, insert
latency and dead letters, from prometheus_client's default registry."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["metrics"]


async def metrics(request: Request) -> Response:
    del request
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
