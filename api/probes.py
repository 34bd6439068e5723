"""Liveness and readiness."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.services import ServicesDep
from tracker.stores import pending_migrations

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _check_redis(services: ServicesDep) -> str | None:
    try:
        await asyncio.wait_for(services.redis.client.ping(), timeout=2.0)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _check_clickhouse(services: ServicesDep) -> tuple[str | None, str | None]:
    try:
        pending = pending_migrations(services.clickhouse)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}", None
    if pending:
        return None, "pending: " + ", ".join(f"{m.number:04d}_{m.name}" for m in pending)
    return None, None


@router.get("/readyz")
async def readyz(services: ServicesDep) -> JSONResponse:
    redis_problem = await _check_redis(services)
    clickhouse_problem, migration_problem = await asyncio.to_thread(_check_clickhouse, services)
    checks = {
        "clickhouse": clickhouse_problem or "ok",
        "redis": redis_problem or "ok",
        "migrations": migration_problem or ("ok" if not clickhouse_problem else "unknown"),
    }
    failing = [name for name, state in checks.items() if state not in ("ok",)]
    body = {
        "status": "not_ready" if failing else "ready",
        "failing": failing,
        "checks": checks,
        "clickhouse_mode": services.settings.clickhouse_mode.value,
    }
    return JSONResponse(body, status_code=503 if failing else 200)
