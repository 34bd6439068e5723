"""The caller's tenant scoring (deployment settings + the tenant's overrides + its accepted
model), resolved once per request by one dependency every scoring route uses, so no route
can score with the deployment's defaults while another uses the tenant's."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.rest.auth import authenticate
from api.services import ServicesDep
from scoring import TenantScoring
from tracker.api_keys import Principal

__all__ = ["TenantScoringDep", "tenant_scoring"]


async def tenant_scoring(
    principal: Annotated[Principal, Depends(authenticate)], services: ServicesDep
) -> TenantScoring:
    return await services.scoring.get(services.clickhouse, principal.tenant_id)


TenantScoringDep = Annotated[TenantScoring, Depends(tenant_scoring)]
