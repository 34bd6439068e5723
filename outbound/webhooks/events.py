"""Webhook event payloads.

Every delivery body is one UTF-8 JSON object (CJK and other non-ASCII text as-is, never
`\\u` escaped)::

    {
      "id": "whe_01J…",                  # event id: the same for every subscription
      "type": "document.viewed",         # see WebhookEventType
      "created_at": "2025-01-31T08:15:02.123000+00:00",
      "tenant_id": "ten_01J…",
      "data": {…}                        # per type, below
    }

`data` of the ingestion events (`document.viewed`, `link.downloaded`, `link.forwarded`)::

    {
      "event_id": "…",                   # the tracked event that triggered it
      "occurred_at": "…",                # when it was received
      "link_id", "document_id", "version_id", "opportunity_id", "contact_id",
      "document_title": "年度采购方案",
      "recipient": {"email": "…", "name": "王总", "role": "CTO"},
      "viewer_id": "vwr_…",              # a browser; a new one on a link = a forward
      "visit_id": "vis_…",               # "" for downloads outside a viewer visit
      "forwarded": false,
      "client": {"browser": "Chrome", "os": "Windows", "device": "Other"}
    }

`engagement.changed`, `opportunity.stalled`, `opportunity.unstalled` and `health.changed`
carry what their producer (scoring) passes to `emit`; by convention at least
`opportunity_id` and, for band changes, `previous_band` and `band`. `account.health_changed`
(an account's customer-health band changed, its first assessment included) carries
`account_id`, `account_name`, `previous_band` ('' the first time), `band`, `value`, `owner`,
`reasons` and `frozen` (new opportunities refused while true).

`customer.waiting` (高潜客户等待响应: a high-potential deal's customer has waited the second
threshold, `manager_reply_hours` working hours, and the manager was given a to-do) carries
`opportunity_id`, `account`, `owner`, `manager`, `activity_id` (the first unanswered
inbound activity), `hours`, `signal` ({code, params, summary, activity_ids}) and `todo_id`
('' without a manager); `customer.answered` (the reply cleared that wait) carries
`opportunity_id`, `account`, `owner`, `manager`, `activity_id`, `reply_id`, `answered_at`
and `hours` (working hours waited). Both once per wait (`opportunity_id:activity_id`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import orjson

from outbound.webhooks.model import WebhookEventType, new_webhook_id
from outbound.webhooks.store import LinkContext
from tracker.clock import utcnow
from tracker.errors import BadRequest

__all__ = [
    "EVENT_TYPES",
    "UnknownEventType",
    "build_event",
    "encode_event",
    "link_event_data",
    "validate_event_types",
]

EVENT_TYPES: frozenset[str] = frozenset(t.value for t in WebhookEventType)


class UnknownEventType(BadRequest):
    code = "unknown_event_type"


def validate_event_types(event_types: Iterable[str]) -> tuple[str, ...]:
    """Deduplicated, sorted; raises `UnknownEventType` (400) for anything not in the catalogue."""
    chosen = set(event_types)
    unknown = sorted(chosen - EVENT_TYPES)
    if unknown:
        raise UnknownEventType(
            f"unknown event type(s): {', '.join(unknown)}",
            unknown=unknown,
            allowed=sorted(EVENT_TYPES),
        )
    if not chosen:
        raise UnknownEventType("subscribe to at least one event type", allowed=sorted(EVENT_TYPES))
    return tuple(sorted(chosen))


def build_event(
    tenant_id: str,
    event_type: str,
    data: Mapping[str, Any],
    *,
    event_id: str | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    validate_event_types([event_type])
    return {
        "id": event_id or new_webhook_id("whe"),
        "type": event_type,
        "created_at": (created_at or utcnow()).isoformat(),
        "tenant_id": tenant_id,
        "data": dict(data),
    }


def encode_event(event: Mapping[str, Any]) -> bytes:
    """UTF-8 JSON, non-ASCII kept as-is; datetimes as RFC 3339."""
    return orjson.dumps(event)


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "")


def link_event_data(row: Mapping[str, Any], context: LinkContext | None) -> dict[str, Any]:
    """`data` for an ingestion event from one `events` row and its link's context."""
    return {
        "event_id": row["event_id"],
        "occurred_at": _iso(row.get("received_at")),
        "link_id": row["link_id"],
        "document_id": row["document_id"],
        "version_id": row.get("version_id", ""),
        "opportunity_id": row.get("opportunity_id") or (context.opportunity_id if context else ""),
        "contact_id": row.get("contact_id") or (context.contact_id if context else ""),
        "document_title": context.document_title if context else "",
        "recipient": {
            "email": context.recipient_email if context else "",
            "name": context.recipient_name if context else "",
            "role": context.recipient_role if context else "",
        },
        "viewer_id": row.get("viewer_id", ""),
        "visit_id": row.get("visit_id", ""),
        "forwarded": bool(row.get("forwarded", 0)),
        "client": {
            "browser": row.get("ua_browser", ""),
            "os": row.get("ua_os", ""),
            "device": row.get("ua_device", ""),
        },
    }
