"""Names and records shared by the webhook modules: event types, subscriptions, queued jobs,
attempt outcomes and delivery-log rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

from tracker.ids import new_id

__all__ = [
    "DeliveryAttempt",
    "DeliveryStatus",
    "Job",
    "Outcome",
    "OutcomeKind",
    "Subscription",
    "WebhookEventType",
    "new_webhook_id",
]


class WebhookEventType(StrEnum):
    DOCUMENT_VIEWED = "document.viewed"
    LINK_DOWNLOADED = "link.downloaded"
    LINK_FORWARDED = "link.forwarded"
    ENGAGEMENT_CHANGED = "engagement.changed"
    OPPORTUNITY_STALLED = "opportunity.stalled"
    OPPORTUNITY_UNSTALLED = "opportunity.unstalled"
    HEALTH_CHANGED = "health.changed"
    ACCOUNT_HEALTH_CHANGED = "account.health_changed"
    CUSTOMER_WAITING = "customer.waiting"
    CUSTOMER_ANSWERED = "customer.answered"


class DeliveryStatus(StrEnum):
    """The status of one attempt in the delivery log."""

    DELIVERED = "delivered"  # 2xx
    RETRYING = "retrying"  # failed, another attempt is scheduled
    FAILED = "failed"  # failed and not retried (4xx other than 408/429, blocked address)
    DEAD = "dead"  # failed, attempts exhausted
    DROPPED = "dropped"  # the target was deleted before the attempt


_KINDS = {"whk": "webhook", "whe": "webhook_event", "dlv": "delivery"}


def new_webhook_id(prefix: str) -> str:
    """A sortable `tracker.ids` id for a subscription (`whk`), event (`whe`) or delivery
    (`dlv`)."""
    return new_id(_KINDS[prefix])


@dataclass(frozen=True)
class Subscription:
    tenant_id: str
    subscription_id: str
    url: str
    event_types: tuple[str, ...]
    description: str
    created_at: datetime
    secret_sealed: str = field(repr=False)
    deleted: bool = False

    def wants(self, event_type: str) -> bool:
        return event_type in self.event_types


@dataclass
class Job:
    """One delivery (an event to one target) as it sits in the Redis queue. `delivery_id`
    is the idempotency key, the same on every attempt; `attempt` is the next attempt's
    number (1-based). `channel` picks the `Channel` that sends it."""

    delivery_id: str
    channel: str
    tenant_id: str
    target_id: str
    event_id: str
    event_type: str
    body: str
    attempt: int = 1
    created_ms: int = 0

    def dumps(self) -> bytes:
        return orjson.dumps(self.__dict__)

    @classmethod
    def loads(cls, raw: bytes | str) -> Job:
        data: dict[str, Any] = orjson.loads(raw)
        return cls(**data)


class OutcomeKind(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAIL = "fail"
    DROP = "drop"


@dataclass(frozen=True)
class Outcome:
    """What a channel reports for one attempt; the dispatcher applies the retry policy."""

    kind: OutcomeKind
    status_code: int = 0
    error: str = ""
    retry_after: float | None = None  # seconds the receiver asked us to wait (429/503)
    duration_ms: int = 0


@dataclass(frozen=True)
class DeliveryAttempt:
    """One row of the delivery log."""

    tenant_id: str
    channel: str
    target_id: str
    delivery_id: str
    event_id: str
    event_type: str
    attempt: int
    status: DeliveryStatus
    status_code: int
    error: str
    duration_ms: int
    next_attempt_at: datetime | None
    at: datetime
