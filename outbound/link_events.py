"""The rows of an inserted events batch that people and systems hear about: a visit's first
`view_start` (document viewed), a download, and the first event of a forwarded viewer — with
the dedupe key each is announced under, shared by webhooks and people's notifications so a
batch handed over twice is announced once. Bot-flagged rows never count."""

from __future__ import annotations

from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from outbound.webhooks import WebhookEventType
from tracker.types import EventType

__all__ = ["Candidate", "webhook_candidates"]

_VIEWER_EVENTS: Final = (
    EventType.VIEW_START.value,
    EventType.PAGE_DWELL.value,
    EventType.VISIT_END.value,
)
Candidate = tuple[WebhookEventType, str, dict[str, Any]]  # type, dedupe key, events row


def webhook_candidates(table: pa.Table) -> list[Candidate]:
    """The rows of a batch that may become webhook events, each with its dedupe key (one per
    key within the batch)."""
    human = pc.equal(table["is_bot"], 0)
    types = table["event_type"]
    interesting = pc.or_(
        pc.is_in(types, pa.array([EventType.VIEW_START.value, EventType.DOWNLOAD.value])),
        pc.and_(pc.equal(table["forwarded"], 1), pc.is_in(types, pa.array(_VIEWER_EVENTS))),
    )
    rows = table.filter(pc.and_(human, interesting)).to_pylist()
    found: dict[tuple[WebhookEventType, str], dict[str, Any]] = {}
    for row in rows:
        keys: list[tuple[WebhookEventType, str]] = []
        if row["event_type"] == EventType.VIEW_START.value and row["visit_id"]:
            keys.append((WebhookEventType.DOCUMENT_VIEWED, row["visit_id"]))
        if row["event_type"] == EventType.DOWNLOAD.value:
            keys.append((WebhookEventType.LINK_DOWNLOADED, row["event_id"]))
        if row["forwarded"] == 1 and row["event_type"] in _VIEWER_EVENTS and row["viewer_id"]:
            keys.append((WebhookEventType.LINK_FORWARDED, f"{row['link_id']}:{row['viewer_id']}"))
        for key in keys:
            found.setdefault(key, row)
    return [(kind, key, row) for (kind, key), row in found.items()]
