"""The dispatcher: claims due deliveries from each channel's Redis queue, runs the attempts
concurrently, applies the retry policy and writes the delivery log.

Retry policy (all channels): the n-th failed attempt (n = 1, 2, …) is retried after
`first_retry_seconds × 2^(n-1)` ±20 % jitter, capped at `max_retry_seconds` (a larger numeric
`Retry-After` from the receiver wins, within the cap); after `max_attempts` attempts the
delivery is dead. Delivery is at-least-once: an attempt whose dispatcher dies mid-flight is
re-sent after `lease_seconds` with the same `Dealsignal-Delivery` id.

Run `WebhookDispatcher(settings, redis, ch).run_forever(stop)` in one or more processes; any
number of dispatchers can share a queue.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import redis.asyncio as aioredis

from outbound.webhooks.channel import Channel, WebhookChannel
from outbound.webhooks.crypto import SecretBox
from outbound.webhooks.emit import SubscriptionCache
from outbound.webhooks.metrics import DELIVERIES, DELIVERY_SECONDS
from outbound.webhooks.model import DeliveryAttempt, DeliveryStatus, Outcome, OutcomeKind
from outbound.webhooks.queue import Claim, DeliveryQueue, now_ms
from outbound.webhooks.store import record_attempts
from tracker.config import Settings, WebhookSettings, resolve_secret_keys
from tracker.errors import DealsignalError, RedisUnavailable
from tracker.stores import ClickHouse

__all__ = ["RetryPolicy", "WebhookDispatcher"]

log = logging.getLogger("dealsignal.webhooks")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    first_seconds: float
    cap_seconds: float
    jitter: float = 0.2

    @classmethod
    def of(cls, settings: WebhookSettings) -> RetryPolicy:
        return cls(settings.max_attempts, settings.first_retry_seconds, settings.max_retry_seconds)

    def delay(self, failed_attempt: int, retry_after: float | None = None) -> float:
        base = self.first_seconds * 2 ** (failed_attempt - 1)
        base *= 1 + random.uniform(-self.jitter, self.jitter)
        if retry_after is not None:
            base = max(base, retry_after)
        return float(min(base, self.cap_seconds))


class WebhookDispatcher:
    def __init__(
        self,
        settings: Settings,
        redis: aioredis.Redis,
        ch: ClickHouse,
        *,
        channels: Sequence[Channel] | None = None,
        extra_channels: Sequence[Channel] = (),
    ) -> None:
        """`channels` replaces the default (the webhook channel); `extra_channels` adds to it
        (e.g. notification channels, each with its own queue under the same prefix)."""
        self.settings = settings.webhooks
        self.ch = ch
        self.policy = RetryPolicy.of(self.settings)
        if channels is None:
            cache = SubscriptionCache(ch, self.settings.subscription_cache_seconds)
            box = SecretBox(resolve_secret_keys(settings))
            channels = [WebhookChannel(settings, cache, box)]
        self.channels = {c.name: c for c in [*channels, *extra_channels]}
        self.queues = {
            name: DeliveryQueue(redis, self.settings.queue, name) for name in self.channels
        }
        self._limit = asyncio.Semaphore(self.settings.concurrency)

    async def aclose(self) -> None:
        for channel in self.channels.values():
            await channel.aclose()

    async def run_once(self) -> int:
        """Claim and attempt every due delivery (up to `batch_size` per channel); return the
        number of attempts made."""
        attempts: list[DeliveryAttempt] = []
        for name, queue in self.queues.items():
            claims = await queue.claim(self.settings.batch_size, self.settings.lease_seconds)
            if not claims:
                continue
            done = await asyncio.gather(
                *(self._attempt(self.channels[name], queue, claim) for claim in claims)
            )
            attempts.extend(done)
        if attempts:
            try:
                await asyncio.to_thread(record_attempts, self.ch, attempts)
            except DealsignalError as exc:
                log.warning("delivery log write failed (%d attempts): %s", len(attempts), exc)
        return len(attempts)

    async def run_forever(self, stop: asyncio.Event) -> None:
        backoff = 0.1
        try:
            while not stop.is_set():
                try:
                    made = await self.run_once()
                    backoff = 0.1
                except RedisUnavailable as exc:
                    log.warning("webhook dispatcher: %s", exc)
                    await _wait(stop, backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
                if made == 0:
                    await _wait(stop, await self._idle_seconds())
        finally:
            await self.aclose()

    async def _idle_seconds(self) -> float:
        wait = self.settings.poll_seconds
        for queue in self.queues.values():
            due = await queue.next_due_ms()
            if due is not None:
                wait = min(wait, max(0.0, (due - now_ms()) / 1000))
        return max(wait, 0.005)

    async def _attempt(
        self, channel: Channel, queue: DeliveryQueue, claim: Claim
    ) -> DeliveryAttempt:
        job = claim.job
        async with self._limit:
            try:
                outcome = await channel.deliver(job)
            except RedisUnavailable:
                raise
            except Exception as exc:  # a channel bug must not kill the loop; retry it
                log.exception("channel %s failed on delivery %s", channel.name, job.delivery_id)
                outcome = Outcome(OutcomeKind.RETRY, error=f"internal: {type(exc).__name__}")
        next_at: datetime | None = None
        if outcome.kind is OutcomeKind.RETRY and job.attempt < self.policy.max_attempts:
            due = now_ms() + int(self.policy.delay(job.attempt, outcome.retry_after) * 1000)
            owned = await queue.reschedule(claim, replace(job, attempt=job.attempt + 1), due)
            status = DeliveryStatus.RETRYING
            next_at = datetime.fromtimestamp(due / 1000, UTC)
        else:
            owned = await queue.complete(claim)
            status = {
                OutcomeKind.SENT: DeliveryStatus.DELIVERED,
                OutcomeKind.FAIL: DeliveryStatus.FAILED,
                OutcomeKind.DROP: DeliveryStatus.DROPPED,
                OutcomeKind.RETRY: DeliveryStatus.DEAD,
            }[outcome.kind]
        DELIVERIES.labels(job.channel, status.value).inc()
        DELIVERY_SECONDS.labels(job.channel).observe(outcome.duration_ms / 1000)
        if not owned:
            log.warning("delivery %s: lease lost during attempt %d", job.delivery_id, job.attempt)
        if status is DeliveryStatus.DEAD:
            log.warning("delivery %s dead after %d attempts", job.delivery_id, job.attempt)
        return DeliveryAttempt(
            tenant_id=job.tenant_id,
            channel=job.channel,
            target_id=job.target_id,
            delivery_id=job.delivery_id,
            event_id=job.event_id,
            event_type=job.event_type,
            attempt=job.attempt,
            status=status,
            status_code=outcome.status_code,
            error=outcome.error[:1000],
            duration_ms=outcome.duration_ms,
            next_attempt_at=next_at,
            at=datetime.now(UTC),
        )


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return
