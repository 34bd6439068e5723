"""The forecast rule library (规则库) managers read and edit: deviation pattern → forecast
treatment. The monthly calibration report's TOP3 reasons name their rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from starlette.concurrency import run_in_threadpool

from api.rest.auth import RepsPrincipal
from api.services import ServicesDep
from scoring import ForecastRule, load_rules, save_rules

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/forecast/rules", tags=["scoring"])


@router.get("", summary="The rule library (defaults until edited)")
async def read_rules(principal: RepsPrincipal, services: ServicesDep) -> list[ForecastRule]:
    return await run_in_threadpool(load_rules, services.clickhouse, principal.tenant_id)


@router.put("", summary="Replace the rule library")
async def write_rules(
    principal: RepsPrincipal,
    services: ServicesDep,
    rules: Annotated[list[ForecastRule], Body(embed=True, max_length=200)],
) -> list[ForecastRule]:
    return await run_in_threadpool(save_rules, services.clickhouse, principal.tenant_id, rules)
