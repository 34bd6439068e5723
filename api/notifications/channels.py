"""Notifications over HTTP: channels (tenant robots and relays: admin; a person's own robot:
reps scope), routing rules (admin), quiet hours and language per person, muted deals,
managers' to-dos and each channel's delivery log. Secrets (webhook URLs carry their key,
Feishu signing secrets, SMTP passwords) are write-only: sealed at rest, never returned.

Also the public one-click "mute this deal" link carried by personal messages: GET shows a
page whose script submits the POST at once (link scanners that do not run scripts never
mute anything); without script the page shows the button."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import AdminPrincipal, RepsPrincipal
from api.i18n import negotiate, translator_for
from api.services import ServicesDep
from tracker.errors import BadRequest, Forbidden, NotFound
from tracker.notify import (
    ChannelConfig,
    ManagerTodo,
    Preferences,
    RoutingRule,
    TodoStatus,
    check_time_zone,
    create_channel,
    create_rule,
    delete_channel,
    delete_rule,
    get_todo,
    list_channels,
    list_preferences,
    list_rules,
    list_todos,
    muted_deals,
    parse_hhmm,
    read_mute_token,
    resolve_todo,
    write_mute,
    write_preferences,
)
from tracker.notify.store import get_channel
from tracker.types import Scope
from tracker.users import normalise_email
from tracker.webhooks.store import list_deliveries

__all__ = ["router"]

router = APIRouter(tags=["notifications"])
PREFIX = "/api/v1/notifications"


class ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["wecom", "feishu", "slack", "email"]
    name: str = Field(default="", max_length=200)
    owner: str = Field(default="", description="a person's email for their own robot; '' = tenant")
    locale: str = Field(default="", description="zh_CN | en; '' = each addressee's language")
    url: str = Field(default="", max_length=2048, description="robot webhook URL (secret)")
    secret: str = Field(default="", max_length=256, description="Feishu signing secret")
    smtp: dict[str, Any] | None = Field(
        default=None,
        description="email: host, port, security (starttls|ssl|none), sender, sender_name, "
        "username, password",
    )


class ChannelOut(BaseModel):
    id: str
    kind: str
    name: str
    owner: str
    locale: str
    hint: str = Field(description="non-secret description of the target")
    created_at: datetime

    @classmethod
    def of(cls, c: ChannelConfig) -> ChannelOut:
        return cls(
            id=c.channel_id,
            kind=c.kind.value,
            name=c.name,
            owner=c.owner,
            locale=c.locale,
            hint=c.config_hint,
            created_at=c.created_at,
        )


class RuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel_id: str
    event_types: list[str] = Field(min_length=1, max_length=10, examples=[["opportunity.stalled"]])
    audiences: list[str] = Field(default=["rep", "manager"], min_length=1, max_length=2)


class RuleOut(BaseModel):
    id: str
    channel_id: str
    event_types: list[str]
    audiences: list[str]
    created_at: datetime

    @classmethod
    def of(cls, r: RoutingRule) -> RuleOut:
        return cls(
            id=r.rule_id,
            channel_id=r.channel_id,
            event_types=list(r.event_types),
            audiences=list(r.audiences),
            created_at=r.created_at,
        )


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
    resolved_by: str
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
            resolved_by=t.resolved_by,
            created_at=t.created_at,
            resolved_at=t.resolved_at,
        )


class ResolveIn(BaseModel):
    by: str = Field(default="", max_length=200, description="who resolved it (an email)")


@router.post(f"{PREFIX}/channels", status_code=201)
async def add_channel(
    body: ChannelCreate, principal: RepsPrincipal, services: ServicesDep
) -> ChannelOut:
    """Tenant channels need an admin key; a reps key may add a person's own robot."""
    owner = normalise_email(body.owner) if body.owner.strip() else ""
    if not owner and not principal.allows(Scope.ADMIN):
        raise Forbidden("tenant-wide channels need an admin key", code="insufficient_scope")
    channel = await run_in_threadpool(
        lambda: create_channel(
            services.clickhouse,
            services.settings,
            principal.tenant_id,
            kind=body.kind,
            name=body.name,
            owner=owner,
            locale=body.locale,
            url=body.url,
            secret=body.secret,
            smtp=body.smtp,
        )
    )
    return ChannelOut.of(channel)


@router.get(f"{PREFIX}/channels")
async def get_channels(
    principal: RepsPrincipal, services: ServicesDep, owner: str | None = Query(None)
) -> list[ChannelOut]:
    found = await run_in_threadpool(
        lambda: list_channels(services.clickhouse, principal.tenant_id, owner=owner)
    )
    return [ChannelOut.of(c) for c in found]


@router.delete(f"{PREFIX}/channels/{{channel_id}}", status_code=204)
async def remove_channel(
    channel_id: str, principal: RepsPrincipal, services: ServicesDep
) -> Response:
    channel = await run_in_threadpool(
        get_channel, services.clickhouse, principal.tenant_id, channel_id
    )
    if channel is not None and not channel.owner and not principal.allows(Scope.ADMIN):
        raise Forbidden("tenant-wide channels need an admin key", code="insufficient_scope")
    await run_in_threadpool(delete_channel, services.clickhouse, principal.tenant_id, channel_id)
    return Response(status_code=204)


class DeliveryOut(BaseModel):
    delivery_id: str
    event_type: str
    attempt: int
    status: str = Field(description="delivered | retrying | failed | dead | dropped")
    status_code: int
    error: str
    at: datetime


@router.get(f"{PREFIX}/channels/{{channel_id}}/deliveries", description="Newest first.")
async def channel_deliveries(
    channel_id: str,
    principal: RepsPrincipal,
    services: ServicesDep,
    limit: int = Query(100, ge=1, le=1000),
) -> list[DeliveryOut]:
    ch, tenant = services.clickhouse, principal.tenant_id
    channel = await run_in_threadpool(get_channel, ch, tenant, channel_id)
    if channel is None:
        raise NotFound("unknown notification channel", code="channel_not_found")
    rows = await run_in_threadpool(
        lambda: list_deliveries(ch, tenant, channel_id, channel=channel.kind.value, limit=limit)
    )
    return [
        DeliveryOut(
            delivery_id=a.delivery_id,
            event_type=a.event_type,
            attempt=a.attempt,
            status=a.status.value,
            status_code=a.status_code,
            error=a.error,
            at=a.at,
        )
        for a in rows
    ]


@router.post(f"{PREFIX}/rules", status_code=201)
async def add_rule(body: RuleCreate, principal: AdminPrincipal, services: ServicesDep) -> RuleOut:
    rule = await run_in_threadpool(
        lambda: create_rule(
            services.clickhouse,
            principal.tenant_id,
            channel_id=body.channel_id,
            event_types=body.event_types,
            audiences=body.audiences,
        )
    )
    return RuleOut.of(rule)


@router.get(f"{PREFIX}/rules")
async def get_rules(principal: RepsPrincipal, services: ServicesDep) -> list[RuleOut]:
    rules = await run_in_threadpool(list_rules, services.clickhouse, principal.tenant_id)
    return [RuleOut.of(r) for r in rules]


@router.delete(f"{PREFIX}/rules/{{rule_id}}", status_code=204)
async def remove_rule(rule_id: str, principal: AdminPrincipal, services: ServicesDep) -> Response:
    await run_in_threadpool(delete_rule, services.clickhouse, principal.tenant_id, rule_id)
    return Response(status_code=204)


@router.put(f"{PREFIX}/users/{{email}}/preferences")
async def put_preferences(
    email: str, body: PreferencesIn, principal: RepsPrincipal, services: ServicesDep
) -> PreferencesOut:
    if bool(body.quiet_start) != bool(body.quiet_end):
        raise BadRequest("give both quiet_start and quiet_end, or neither", code="invalid_time")
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
    await run_in_threadpool(get_todo, ch, tenant, todo_id)
    done = await run_in_threadpool(resolve_todo, ch, tenant, todo_id, body.by or "api")
    return TodoOut.of(done)


def _mute_page(request: Request, state: Literal["ask", "done", "invalid"]) -> HTMLResponse:
    tr = translator_for(negotiate("", request.headers.get("accept-language"), "zh_CN"))
    _ = tr.gettext
    if state == "invalid":
        title, body = _("Invalid link"), _("This mute link is not valid.")
    elif state == "ask":
        title, body = _("Mute this deal"), _("You will get no more notifications about this deal.")
    else:
        title, body = _("Deal muted"), _("You will get no more notifications about this deal.")
    parts = [f"<h1>{html.escape(title)}</h1><p>{html.escape(body)}</p>"]
    if state == "ask":
        button = html.escape(_("Mute this deal"))
        parts.append(
            f'<form id="mute" method="post"><button type="submit">{button}</button></form>'
            '<script>document.getElementById("mute").submit();</script>'
        )
    page = (
        f'<!doctype html><html lang="{tr.html_lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width"><title>{html.escape(title)}</title>'
        f"</head><body>{''.join(parts)}</body></html>"
    )
    return HTMLResponse(page, status_code=404 if state == "invalid" else 200)


@router.get("/n/mute/{token}", include_in_schema=False)
async def mute_link(token: str, request: Request, services: ServicesDep) -> HTMLResponse:
    if read_mute_token(services.settings, token) is None:
        return _mute_page(request, "invalid")
    return _mute_page(request, "ask")


@router.post("/n/mute/{token}", include_in_schema=False)
async def mute_link_confirm(token: str, request: Request, services: ServicesDep) -> HTMLResponse:
    found = read_mute_token(services.settings, token)
    if found is None:
        return _mute_page(request, "invalid")
    tenant, email, opportunity = found
    await run_in_threadpool(
        lambda: write_mute(services.clickhouse, tenant, email, opportunity, muted=True)
    )
    return _mute_page(request, "done")
