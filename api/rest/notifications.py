"""Where notifications go, over HTTP: channels (tenant robots and relays: admin; a person's
own robot: reps scope), routing rules (admin) and each channel's delivery log. Secrets
(webhook URLs carry their key, Feishu signing secrets, SMTP passwords) are write-only: sealed
at rest, never returned.

What each person gets (preferences, mutes, to-dos) is `api.rest.notification_people`, under the
same `PREFIX`; the public one-click mute page is `api.recipient.mute_link`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.rest.auth import AdminPrincipal, RepsPrincipal
from api.rest.ownership import require_self
from api.services import ServicesDep
from outbound.notify import (
    ChannelConfig,
    RoutingRule,
    create_channel,
    create_rule,
    delete_channel,
    delete_rule,
    get_channel,
    list_channels,
    list_rules,
)
from outbound.webhooks import list_deliveries
from tracker.errors import Forbidden, NotFound
from tracker.types import Scope
from tracker.users import normalise_email

__all__ = ["PREFIX", "router"]

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


@router.post(f"{PREFIX}/channels", status_code=201)
async def add_channel(
    body: ChannelCreate, principal: RepsPrincipal, services: ServicesDep
) -> ChannelOut:
    """Tenant channels need an admin key; any other key may add its own person's robot."""
    owner = normalise_email(body.owner) if body.owner.strip() else ""
    if not owner and not principal.allows(Scope.ADMIN):
        raise Forbidden("tenant-wide channels need an admin key", code="insufficient_scope")
    if owner:
        require_self(principal, owner)
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
    if channel is not None and channel.owner:
        require_self(principal, channel.owner)
    await run_in_threadpool(delete_channel, services.clickhouse, principal.tenant_id, channel_id)
    return Response(status_code=204)


class NotificationDeliveryOut(BaseModel):
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
) -> list[NotificationDeliveryOut]:
    ch, tenant = services.clickhouse, principal.tenant_id
    channel = await run_in_threadpool(get_channel, ch, tenant, channel_id)
    if channel is None:
        raise NotFound("unknown notification channel", code="channel_not_found")
    rows = await run_in_threadpool(
        lambda: list_deliveries(ch, tenant, channel_id, channel=channel.kind.value, limit=limit)
    )
    return [
        NotificationDeliveryOut(
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
