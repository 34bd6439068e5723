"""Emitting webhook events: find the tenant's subscriptions for the type (cached briefly),
build the payload once, and queue one delivery per subscription — atomically with a dedupe
marker, so a producer that runs twice (at-least-once ingest listeners, a scheduler run on two
hosts) queues each event once.

Producers call `WebhookEmitter.emit(...)` (keep one emitter per process for the cache) or the
one-shot `emit(...)`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis

from outbound.webhooks.events import build_event, encode_event, validate_event_types
from outbound.webhooks.model import Job, Subscription, new_webhook_id
from outbound.webhooks.queue import DeliveryQueue, now_ms
from outbound.webhooks.store import list_subscriptions
from tracker.config import Settings
from tracker.errors import ClickHouseUnavailable
from tracker.stores import ClickHouse

__all__ = ["WEBHOOK_CHANNEL", "SubscriptionCache", "WebhookEmitter", "emit"]

WEBHOOK_CHANNEL = "webhook"


class SubscriptionCache:
    """A tenant's active subscriptions, re-read from ClickHouse after `ttl` seconds.
    Subscriptions created or deleted elsewhere are seen within `ttl`; while ClickHouse is
    unavailable the last answer is served."""

    def __init__(self, ch: ClickHouse, ttl: float) -> None:
        self._ch = ch
        self._ttl = ttl
        self._entries: dict[str, tuple[float, list[Subscription]]] = {}

    async def get(self, tenant_id: str, *, refresh: bool = False) -> list[Subscription]:
        now = time.monotonic()
        hit = self._entries.get(tenant_id)
        if hit is not None and not refresh and now - hit[0] < self._ttl:
            return hit[1]
        try:
            subs = await asyncio.to_thread(list_subscriptions, self._ch, tenant_id)
        except ClickHouseUnavailable:
            if hit is None:
                raise
            return hit[1]  # a stale answer beats none while ClickHouse is down
        self._entries[tenant_id] = (now, subs)
        return subs

    async def find(self, tenant_id: str, subscription_id: str) -> Subscription | None:
        """The active subscription, re-reading once on a miss (it may be newer than the cache)."""
        for refresh in (False, True):
            for sub in await self.get(tenant_id, refresh=refresh):
                if sub.subscription_id == subscription_id:
                    return sub
        return None

    def invalidate(self, tenant_id: str) -> None:
        self._entries.pop(tenant_id, None)


class WebhookEmitter:
    def __init__(
        self,
        settings: Settings,
        redis: aioredis.Redis,
        ch: ClickHouse,
        *,
        cache: SubscriptionCache | None = None,
    ) -> None:
        self.settings = settings
        self.cache = cache or SubscriptionCache(ch, settings.webhooks.subscription_cache_seconds)
        self.queue = DeliveryQueue(redis, settings.webhooks.queue, WEBHOOK_CHANNEL)

    async def subscribers(self, tenant_id: str, event_type: str) -> list[Subscription]:
        return [s for s in await self.cache.get(tenant_id) if s.wants(event_type)]

    async def emit(
        self,
        tenant_id: str,
        event_type: str,
        data: Mapping[str, Any],
        *,
        dedupe_key: str | None = None,
        dedupe_ttl_seconds: int | None = None,
    ) -> str | None:
        """Queue `event_type` for every subscriber. Returns the event id, or None when nobody
        subscribes or `dedupe_key` was seen before (per tenant and type)."""
        validate_event_types([event_type])
        subs = await self.subscribers(tenant_id, event_type)
        if not subs:
            return None
        event = build_event(tenant_id, event_type, data)
        body = encode_event(event).decode()
        created = now_ms()
        jobs = [
            Job(
                delivery_id=new_webhook_id("dlv"),
                channel=WEBHOOK_CHANNEL,
                tenant_id=tenant_id,
                target_id=sub.subscription_id,
                event_id=event["id"],
                event_type=event_type,
                body=body,
                created_ms=created,
            )
            for sub in subs
        ]
        queued = await self.queue.enqueue(
            jobs,
            due_ms=created,
            dedupe_key=None if dedupe_key is None else f"{tenant_id}:{event_type}:{dedupe_key}",
            dedupe_ttl_seconds=dedupe_ttl_seconds or self.settings.webhooks.dedupe_ttl_seconds,
        )
        return str(event["id"]) if queued else None


async def emit(
    redis: aioredis.Redis,
    ch: ClickHouse,
    tenant_id: str,
    event_type: str,
    payload: Mapping[str, Any],
    dedupe_key: str | None,
    *,
    settings: Settings,
) -> str | None:
    """One-shot emit (no cache kept) for occasional producers; see `WebhookEmitter.emit`."""
    emitter = WebhookEmitter(settings, redis, ch)
    return await emitter.emit(tenant_id, event_type, payload, dedupe_key=dedupe_key)
