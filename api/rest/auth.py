"""Bearer API-key authentication as scoped `Annotated` dependencies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.services import ServicesDep
from tracker.api_keys import Principal
from tracker.errors import Forbidden, Unauthenticated
from tracker.types import Scope

__all__ = [
    "BEARER",
    "AdminPrincipal",
    "CrmPrincipal",
    "RepsPrincipal",
    "authenticate",
    "require",
    "scopes_required",
]


# Declares the scheme in the API reference (its Authorize button); the header is read
# below so a missing or malformed one is our 401 with its code, not FastAPI's 403.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key of the tenant: `Authorization: Bearer <key>` (`dealsignal keys`).",
)


async def authenticate(
    request: Request,
    services: ServicesDep,
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise Unauthenticated("send `Authorization: Bearer <api key>`", code="missing_api_key")
    presented, authenticator = credential.strip(), services.authenticator
    if authenticator.needs_store(presented):
        principal = await run_in_threadpool(authenticator.authenticate, presented)
    else:
        principal = authenticator.authenticate(presented)
    request.state.tenant_id = principal.tenant_id  # for the access log (api.request_log)
    return principal


# Each `require()` dependency and the scopes it accepts: the API reference states them.
_SCOPES: dict[Callable[..., Awaitable[Principal]], tuple[Scope, ...]] = {}


def scopes_required(dependency: Callable[..., Any]) -> tuple[Scope, ...] | None:
    """The scopes `dependency` (a `require()`) accepts; None for any other dependency."""
    return _SCOPES.get(dependency)


def require(*scopes: Scope) -> object:
    """A key with any of `scopes` (admin keys have them all)."""

    async def dependency(
        principal: Annotated[Principal, Depends(authenticate)],
    ) -> Principal:
        if not any(principal.allows(scope) for scope in scopes):
            names = " or ".join(f"`{scope.value}`" for scope in scopes)
            raise Forbidden(f"this key needs the {names} scope", code="insufficient_scope")
        return principal

    _SCOPES[dependency] = scopes
    return Depends(dependency)


RepsPrincipal = Annotated[Principal, require(Scope.REPS)]
CrmPrincipal = Annotated[Principal, require(Scope.CRM)]
AdminPrincipal = Annotated[Principal, require(Scope.ADMIN)]
# Read access to scores and deal analytics: the CRM's sync and the reps' tools alike.
ReaderPrincipal = Annotated[Principal, require(Scope.CRM, Scope.REPS)]
