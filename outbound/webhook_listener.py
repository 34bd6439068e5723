"""Webhook events from ingestion: a `Writer` batch listener.

From each inserted batch of `events` rows (bot-flagged rows never count):

    document.viewed   a `view_start` — once per visit (dedupe key: visit id)
    link.downloaded   a `download` — once per event (dedupe key: event id)
    link.forwarded    the first event of a viewer flagged `forwarded` — once per
                      (link, viewer)

The writer may hand the same batch to listeners twice (at-least-once); emission is deduped
in Redis atomically with the enqueue (`outbound.webhooks.DeliveryQueue`), so each event is
queued once. Tenants without a subscription for a type cost one cached lookup and nothing in
Redis. Recipient names and document titles come from one ClickHouse query per tenant and
batch; if that fails the events still go out with ids only.

Wire it with `Writer(..., listeners=[make_webhook_listener(settings, redis, ch)])`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pyarrow as pa
import redis.asyncio as aioredis

from outbound.link_events import Candidate, webhook_candidates
from outbound.webhooks import (
    LinkContext,
    WebhookEmitter,
    WebhookEventType,
    link_contexts,
    link_event_data,
)
from tracker import redis_keys
from tracker.config import Settings
from tracker.errors import ClickHouseQueryError, ClickHouseUnavailable
from tracker.stores import ClickHouse

__all__ = ["make_webhook_listener"]

log = logging.getLogger("dealsignal.ingest")


def make_webhook_listener(
    settings: Settings,
    redis: aioredis.Redis,
    ch: ClickHouse,
    *,
    emitter: WebhookEmitter | None = None,
) -> Callable[[pa.Table], Awaitable[None]]:
    emitter = emitter or WebhookEmitter(settings, redis, ch)
    forward_ttl = max(settings.webhooks.dedupe_ttl_seconds, redis_keys.LINK_VIEWERS_TTL_SECONDS)

    async def listener(table: pa.Table) -> None:
        by_tenant: dict[str, list[Candidate]] = {}
        for candidate in webhook_candidates(table):
            by_tenant.setdefault(candidate[2]["tenant_id"], []).append(candidate)
        for tenant_id, candidates in by_tenant.items():
            try:
                wanted = {
                    kind
                    for kind in {c[0] for c in candidates}
                    if await emitter.subscribers(tenant_id, kind)
                }
            except (ClickHouseUnavailable, ClickHouseQueryError) as exc:
                log.error("webhooks skipped for tenant %s: %s", tenant_id, exc)
                continue
            chosen = [c for c in candidates if c[0] in wanted]
            if not chosen:
                continue
            contexts = await _contexts(ch, tenant_id, {c[2]["link_id"] for c in chosen})
            for kind, key, row in chosen:
                ttl = forward_ttl if kind is WebhookEventType.LINK_FORWARDED else None
                data = link_event_data(row, contexts.get(row["link_id"]))
                # Redis errors propagate: the writer replays the batch, dedupe keeps it single.
                await emitter.emit(tenant_id, kind, data, dedupe_key=key, dedupe_ttl_seconds=ttl)

    return listener


async def _contexts(ch: ClickHouse, tenant_id: str, link_ids: set[str]) -> dict[str, LinkContext]:
    try:
        return await asyncio.to_thread(link_contexts, ch, tenant_id, link_ids)
    except (ClickHouseUnavailable, ClickHouseQueryError) as exc:
        log.warning("webhook payloads without recipient details: %s", exc)
        return {}
