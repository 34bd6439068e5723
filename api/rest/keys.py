"""API-key administration over HTTP (admin scope), scoped to the caller's tenant. The CLI
offers the same; in embedded mode the CLI cannot open the store while `serve` runs, so this
is how keys are managed then."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.rest.auth import AdminPrincipal
from api.services import ServicesDep
from tracker.api_keys import ApiKey, create_api_key, list_api_keys, revoke_api_key
from tracker.types import Scope
from tracker.users import get_user, normalise_email

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/keys", tags=["api keys"])


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: Scope
    name: str = Field(default="", max_length=200)
    owner: str = Field(
        default="",
        max_length=254,
        description="the user (email) the key acts as; a reps key with an owner obeys the "
        "web app's ownership rules for that person; '' = a machine key",
    )


class KeyOut(BaseModel):
    key_id: str
    scope: Scope
    name: str
    owner: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        return cls(
            key_id=key.key_id,
            scope=key.scope,
            name=key.name,
            owner=key.owner,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


class KeyCreated(KeyOut):
    key: str = Field(description="the plaintext key; shown once, store it now")


@router.post("", status_code=201)
async def create_key(
    body: KeyCreate, principal: AdminPrincipal, services: ServicesDep
) -> KeyCreated:
    owner = ""
    if body.owner.strip():
        user = await run_in_threadpool(
            get_user, services.clickhouse, principal.tenant_id, normalise_email(body.owner)
        )
        owner = user.email
    key, plaintext = await run_in_threadpool(
        create_api_key, services.clickhouse, principal.tenant_id, body.scope, body.name, owner
    )
    return KeyCreated(**KeyOut.of(key).model_dump(), key=plaintext)


@router.get("")
async def list_keys(principal: AdminPrincipal, services: ServicesDep) -> list[KeyOut]:
    keys = await run_in_threadpool(list_api_keys, services.clickhouse, principal.tenant_id)
    return [KeyOut.of(k) for k in keys]


@router.post("/{key_id}/revoke")
async def revoke_key(key_id: str, principal: AdminPrincipal, services: ServicesDep) -> KeyOut:
    key = await run_in_threadpool(revoke_api_key, services.clickhouse, principal.tenant_id, key_id)
    services.authenticator.invalidate(key_id)
    return KeyOut.of(key)
