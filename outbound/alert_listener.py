"""Notifications to people from ingestion: a `Writer` batch listener.

The same human events as the webhook listener (`outbound.link_events`, same
dedupe keys): the first `view_start` of a visit (its message goes out a few minutes later
with the read time), downloads, and forwards to a new viewer. Queued through
`outbound.notify.Notifier`, whose outbox dedupes atomically, so a batch handed over twice
notifies once. Tenants without notification channels cost one query per batch.

Wire it with `Writer(..., listeners=[make_alert_listener(settings, redis, ch)])`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final

import pyarrow as pa
import redis.asyncio as aioredis

from outbound.link_events import webhook_candidates
from outbound.notify.alerts import notify_link_event
from outbound.notify.model import NotifyEvent
from outbound.notify.outbox import Notifier
from outbound.webhooks import WebhookEventType
from tracker.config import Settings
from tracker.errors import ClickHouseQueryError, ClickHouseUnavailable
from tracker.stores import ClickHouse

__all__ = ["make_alert_listener"]

log = logging.getLogger("dealsignal.ingest")

_EVENTS: Final = {
    WebhookEventType.DOCUMENT_VIEWED: NotifyEvent.DOCUMENT_VIEWED,
    WebhookEventType.LINK_DOWNLOADED: NotifyEvent.LINK_DOWNLOADED,
    WebhookEventType.LINK_FORWARDED: NotifyEvent.LINK_FORWARDED,
}


def make_alert_listener(
    settings: Settings,
    redis: aioredis.Redis,
    ch: ClickHouse,
    *,
    notifier: Notifier | None = None,
) -> Callable[[pa.Table], Awaitable[None]]:
    notifier = notifier or Notifier(settings, redis, ch)

    async def listener(table: pa.Table) -> None:
        for kind, key, row in webhook_candidates(table):
            try:
                # Redis errors propagate: the writer replays the batch, dedupe keeps it single.
                await notify_link_event(
                    notifier,
                    row["tenant_id"],
                    _EVENTS[kind],
                    link_id=row["link_id"],
                    dedupe_key=key,
                    visit_id=row["visit_id"] or "",
                )
            except (ClickHouseUnavailable, ClickHouseQueryError) as exc:
                log.error("notification skipped for link %s: %s", row["link_id"], exc)

    return listener
