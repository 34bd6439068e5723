"""Webhook subscriptions over HTTP (admin scope: a webhook exports the tenant's engagement data
to an arbitrary URL, so only admin keys may create, list or delete them)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.rest.auth import AdminPrincipal
from api.services import ServicesDep
from outbound.webhooks import (
    EVENT_TYPES,
    DeliveryAttempt,
    Subscription,
    create_subscription,
    delete_subscription,
    get_subscription,
    list_subscriptions,
    subscription_deliveries,
)

__all__ = ["router"]

DELIVERY_DOC = """
Deliveries are `POST`s of one UTF-8 JSON event
`{"id", "type", "created_at", "tenant_id", "data": {…}}` with these headers:

- `Dealsignal-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>`
  (Stripe-style; verify in constant time and reject timestamps older than 5 minutes)
- `Dealsignal-Event: <event type>`
- `Dealsignal-Delivery: <delivery id>` — the idempotency key, identical on every retry
- `Dealsignal-Attempt: <n>`
- `Content-Type: application/json; charset=utf-8`

A 2xx response ends the delivery. 408, 429, 5xx, timeouts and connection errors are retried
with exponential backoff (first retry after `first_retry_seconds`, doubling, with jitter) up to
`max_attempts`; any other status is final. Redirects are not followed. URLs must be `https`
and must not resolve to private, loopback or link-local addresses (checked at creation and
before every attempt). Event types: """ + ", ".join(f"`{t}`" for t in sorted(EVENT_TYPES))

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=2048, examples=["https://crm.example.com/hooks/dealsignal"])
    event_types: list[str] = Field(min_length=1, max_length=20, examples=[["document.viewed"]])
    secret: str | None = Field(
        default=None, description="signing secret (16–256 chars); generated when omitted"
    )
    description: str = Field(default="", max_length=500)


class WebhookOut(BaseModel):
    id: str
    url: str
    event_types: list[str]
    description: str
    created_at: datetime

    @classmethod
    def of(cls, sub: Subscription) -> WebhookOut:
        return cls(
            id=sub.subscription_id,
            url=sub.url,
            event_types=list(sub.event_types),
            description=sub.description,
            created_at=sub.created_at,
        )


class WebhookCreated(WebhookOut):
    secret: str = Field(description="the signing secret; shown once, store it now")


class WebhookDeliveryOut(BaseModel):
    delivery_id: str
    event_id: str
    event_type: str
    attempt: int
    status: str = Field(description="delivered | retrying | failed | dead | dropped")
    status_code: int = Field(description="the receiver's HTTP status; 0 when none")
    error: str
    duration_ms: int
    next_attempt_at: datetime | None
    at: datetime

    @classmethod
    def of(cls, a: DeliveryAttempt) -> WebhookDeliveryOut:
        return cls(
            delivery_id=a.delivery_id,
            event_id=a.event_id,
            event_type=a.event_type,
            attempt=a.attempt,
            status=a.status.value,
            status_code=a.status_code,
            error=a.error,
            duration_ms=a.duration_ms,
            next_attempt_at=a.next_attempt_at,
            at=a.at,
        )


@router.post("", status_code=201, description="Subscribe a URL to events.\n" + DELIVERY_DOC)
async def create_webhook(
    body: WebhookCreate, principal: AdminPrincipal, services: ServicesDep
) -> WebhookCreated:
    sub, secret = await run_in_threadpool(
        lambda: create_subscription(
            services.clickhouse,
            services.settings,
            principal.tenant_id,
            url=body.url,
            event_types=body.event_types,
            secret=body.secret,
            description=body.description,
        )
    )
    return WebhookCreated(**WebhookOut.of(sub).model_dump(), secret=secret)


@router.get("", description="The tenant's webhooks (secrets are never shown again).")
async def list_webhooks(principal: AdminPrincipal, services: ServicesDep) -> list[WebhookOut]:
    subs = await run_in_threadpool(list_subscriptions, services.clickhouse, principal.tenant_id)
    return [WebhookOut.of(s) for s in subs]


@router.get("/{webhook_id}")
async def get_webhook(
    webhook_id: str, principal: AdminPrincipal, services: ServicesDep
) -> WebhookOut:
    sub = await run_in_threadpool(
        get_subscription, services.clickhouse, principal.tenant_id, webhook_id
    )
    return WebhookOut.of(sub)


@router.delete("/{webhook_id}", status_code=204, description="Queued deliveries are dropped.")
async def delete_webhook(
    webhook_id: str, principal: AdminPrincipal, services: ServicesDep
) -> Response:
    await run_in_threadpool(
        delete_subscription, services.clickhouse, principal.tenant_id, webhook_id
    )
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    description="The delivery log, one row per attempt, newest first.\n" + DELIVERY_DOC,
)
async def list_webhook_deliveries(
    webhook_id: str,
    principal: AdminPrincipal,
    services: ServicesDep,
    limit: int = Query(100, ge=1, le=1000),
) -> list[WebhookDeliveryOut]:
    attempts = await run_in_threadpool(
        lambda: subscription_deliveries(
            services.clickhouse, principal.tenant_id, webhook_id, limit=limit
        )
    )
    return [WebhookDeliveryOut.of(a) for a in attempts]
