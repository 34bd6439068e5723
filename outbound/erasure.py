"""A person's erasure, on the outbound side: webhook deliveries and people's notifications
still queued that name them (their email or a name links and contacts gave them) are
dropped, so nothing about them goes out after the erasure. Delivered ones are not stored:
the delivery log keeps ids, status and timing only."""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis

from outbound.notify.model import ChannelKind
from outbound.notify.outbox import OUTBOX
from outbound.webhooks.emit import WEBHOOK_CHANNEL
from outbound.webhooks.queue import DeliveryQueue
from tracker.config import Settings

__all__ = ["drop_queued_mentions"]


async def drop_queued_mentions(
    redis: aioredis.Redis, settings: Settings, needles: Sequence[str]
) -> int:
    """Drops every queued webhook delivery and notification naming the person."""
    queues = [DeliveryQueue(redis, settings.notify.outbox_queue, OUTBOX)]
    channels = [WEBHOOK_CHANNEL, *(kind.value for kind in ChannelKind)]
    queues += [DeliveryQueue(redis, settings.webhooks.queue, name) for name in channels]
    return sum([await queue.drop_mentioning(needles) for queue in queues])
