"""What a person gets from notifications, over HTTP: quiet hours, time zone, language and the
daily briefing per person, the deals they muted, and managers' to-dos (reps scope)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.rest.auth import RepsPrincipal
from api.rest.notifications import PREFIX
from api.rest.ownership import acts_for_everyone, identity, require_self
from api.services import ServicesDep
from outbound.notify import (
    ManagerTodo,
    Preferences,
    TodoStatus,
    check_time_zone,
    get_todo,
    list_preferences,
    list_todos,
    muted_deals,
    parse_hhmm,
    resolve_todo,
    write_mute,
    write_preferences,
)
from tracker.errors import BadRequest, Forbidden, NotFound
from tracker.users import normalise_email

__all__ = ["router"]

router = APIRouter(tags=["notifications"])


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    time_zone: str = "Asia/Shanghai"
    quiet_start: str = Field(default="", examples=["22:00"], description="HH:MM; '' = none")
    quiet_end: str = Field(default="", examples=["08:00"])
    locale: Literal["", "zh_CN", "en"] = ""
    briefing: bool = True


class PreferencesOut(PreferencesIn):
    email: str

    @classmethod
    def of(cls, p: Preferences) -> PreferencesOut:
        quiet = p.quiet_start != p.quiet_end
        return cls(
            email=p.email,
            time_zone=p.time_zone,
            quiet_start=_hhmm(p.quiet_start) if quiet else "",
            quiet_end=_hhmm(p.quiet_end) if quiet else "",
            locale="zh_CN" if p.locale == "zh_CN" else "en" if p.locale == "en" else "",
            briefing=p.briefing,
        )


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class MuteIn(BaseModel):
    opportunity_id: str = Field(min_length=1, max_length=200)


class TodoOut(BaseModel):
    id: str
    manager: str
    owner: str
    opportunity_id: str
    kind: str
    title: str
    detail: str
    status: str
    resolved_by: str | None = Field(description="null while open")
    created_at: datetime
    resolved_at: datetime | None

    @classmethod
    def of(cls, t: ManagerTodo) -> TodoOut:
        return cls(
            id=t.todo_id,
            manager=t.manager,
            owner=t.owner,
            opportunity_id=t.opportunity_id,
            kind=t.kind,
            title=t.title,
            detail=t.detail,
            status=t.status.value,
            resolved_by=t.resolved_by or None,
            created_at=t.created_at,
            resolved_at=t.resolved_at,
        )


class ResolveIn(BaseModel):
    by: str = Field(
        default="",
        max_length=200,
        description="optional; if given, the key's own identity (its person's email): a "
        "to-do is always resolved in the name of the key that resolves it",
    )


@router.put(f"{PREFIX}/users/{{email}}/preferences")
async def put_preferences(
    email: str, body: PreferencesIn, principal: RepsPrincipal, services: ServicesDep
) -> PreferencesOut:
    if bool(body.quiet_start) != bool(body.quiet_end):
        raise BadRequest("give both quiet_start and quiet_end, or neither", code="invalid_time")
    require_self(principal, normalise_email(email))
    prefs = Preferences(
        tenant_id=principal.tenant_id,
        email=normalise_email(email),
        time_zone=check_time_zone(body.time_zone),
        quiet_start=parse_hhmm(body.quiet_start) if body.quiet_start else 0,
        quiet_end=parse_hhmm(body.quiet_end) if body.quiet_end else 0,
        locale=body.locale,
        briefing=body.briefing,
    )
    await run_in_threadpool(write_preferences, services.clickhouse, prefs)
    return PreferencesOut.of(prefs)


@router.get(f"{PREFIX}/users/{{email}}/preferences")
async def get_preferences(
    email: str, principal: RepsPrincipal, services: ServicesDep
) -> PreferencesOut:
    address = normalise_email(email)
    found = await run_in_threadpool(
        list_preferences, services.clickhouse, principal.tenant_id, [address]
    )
    return PreferencesOut.of(found.get(address) or Preferences(principal.tenant_id, address))


@router.post(f"{PREFIX}/users/{{email}}/mutes", status_code=204)
async def mute_deal(
    email: str, body: MuteIn, principal: RepsPrincipal, services: ServicesDep
) -> Response:
    require_self(principal, normalise_email(email))
    await run_in_threadpool(
        lambda: write_mute(
            services.clickhouse,
            principal.tenant_id,
            normalise_email(email),
            body.opportunity_id,
            muted=True,
        )
    )
    return Response(status_code=204)


@router.delete(f"{PREFIX}/users/{{email}}/mutes/{{opportunity_id}}", status_code=204)
async def unmute_deal(
    email: str, opportunity_id: str, principal: RepsPrincipal, services: ServicesDep
) -> Response:
    require_self(principal, normalise_email(email))
    await run_in_threadpool(
        lambda: write_mute(
            services.clickhouse,
            principal.tenant_id,
            normalise_email(email),
            opportunity_id,
            muted=False,
        )
    )
    return Response(status_code=204)


@router.get(f"{PREFIX}/users/{{email}}/mutes", description="Opportunity ids the person muted.")
async def get_mutes(email: str, principal: RepsPrincipal, services: ServicesDep) -> list[str]:
    return await run_in_threadpool(
        muted_deals, services.clickhouse, principal.tenant_id, normalise_email(email)
    )


@router.get(f"{PREFIX}/todos", description="Managers' to-dos, newest first.")
async def get_todos(
    principal: RepsPrincipal,
    services: ServicesDep,
    manager: str | None = Query(None),
    status: Literal["open", "resolved", "all"] = Query("open"),
) -> list[TodoOut]:
    todos = await run_in_threadpool(
        lambda: list_todos(
            services.clickhouse,
            principal.tenant_id,
            manager=normalise_email(manager) if manager else None,
            status=None if status == "all" else TodoStatus(status),
        )
    )
    return [TodoOut.of(t) for t in todos]


@router.post(f"{PREFIX}/todos/{{todo_id}}/resolve")
async def resolve(
    todo_id: str, body: ResolveIn, principal: RepsPrincipal, services: ServicesDep
) -> TodoOut:
    ch, tenant = services.clickhouse, principal.tenant_id
    todo = await run_in_threadpool(get_todo, ch, tenant, todo_id)
    if not acts_for_everyone(principal) and todo.manager != principal.owner:
        # As in the web app: someone else's to-do is not revealed.
        raise NotFound("unknown to-do", code="todo_not_found")
    if body.by and body.by.strip().lower() != identity(principal):
        raise Forbidden("a to-do is resolved in the key's own name", code="not_your_own")
    done = await run_in_threadpool(resolve_todo, ch, tenant, todo_id, identity(principal))
    return TodoOut.of(done)
