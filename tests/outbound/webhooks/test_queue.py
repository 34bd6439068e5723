"""The Redis delivery queue on a real Redis: atomic claims, dedupe with the enqueue, leases."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from outbound.webhooks import WEBHOOK_CHANNEL, DeliveryQueue, Job
from outbound.webhooks.queue import now_ms


def job(n: int) -> Job:
    return Job(f"dlv_{n}", WEBHOOK_CHANNEL, "ten_A", "whk_1", f"whe_{n}", "document.viewed", "{}")


async def test_dedupe_key_queues_once(queue: DeliveryQueue) -> None:
    assert await queue.enqueue([job(1)], dedupe_key="vis_1")
    assert not await queue.enqueue([job(2)], dedupe_key="vis_1")
    assert await queue.pending() == 1


async def test_concurrent_claims_never_hand_out_the_same_delivery(
    queue: DeliveryQueue, redis_client: aioredis.Redis
) -> None:
    await queue.enqueue([job(n) for n in range(200)])
    other = DeliveryQueue(redis_client, "ds:webhooks", WEBHOOK_CHANNEL)
    rounds = await asyncio.gather(*(q.claim(7, 60) for _ in range(20) for q in (queue, other)))
    ids = [c.job.delivery_id for claims in rounds for c in claims]
    assert len(ids) == len(set(ids)) == 200


async def test_retry_becomes_due_later_and_stale_holders_cannot_finish(
    queue: DeliveryQueue,
) -> None:
    await queue.enqueue([job(1)])
    (claim,) = await queue.claim(10, lease_seconds=0.0)
    # The lease has expired: the next claim takes the delivery over.
    (again,) = await queue.claim(10, lease_seconds=60)
    assert again.job.delivery_id == claim.job.delivery_id and again.token != claim.token
    assert not await queue.complete(claim)
    later = now_ms() + 60_000
    retried = Job(**{**again.job.__dict__, "attempt": 2})
    assert await queue.reschedule(again, retried, later)
    assert await queue.claim(10, 60) == []
    (due,) = await queue.claim(10, 60, at_ms=later)
    assert due.job.attempt == 2
    assert await queue.complete(due)
    assert await queue.pending() == 0 and await queue.next_due_ms() is None
