"""ClickHouse access for webhooks: subscriptions (ReplacingMergeTree, read FINAL), the
delivery log (one row per attempt, any channel), and the link/document lookup that fills
event payloads. All SQL of the webhook package lives here; every query filters on tenant
(except the operator's start-up reseal, which rewrites every tenant's sealed secrets)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import pyarrow as pa

from outbound.webhooks.crypto import SealedSecretError, SecretBox
from outbound.webhooks.model import DeliveryAttempt, DeliveryStatus, Subscription
from tracker.clock import TS
from tracker.errors import NotFound
from tracker.stores import ClickHouse, EntityTable

__all__ = [
    "LinkContext",
    "count_subscriptions",
    "get_subscription",
    "insert_subscription",
    "link_contexts",
    "list_deliveries",
    "list_subscriptions",
    "mark_subscription_deleted",
    "record_attempts",
    "reseal_subscription_secrets",
]

SUBSCRIPTIONS: Final = EntityTable(
    "webhook_subscriptions",
    Subscription,
    {"event_types": pa.list_(pa.string()), "created_at": TS, "deleted": pa.uint8()},
)


def insert_subscription(ch: ClickHouse, sub: Subscription) -> None:
    SUBSCRIPTIONS.write(ch, [sub])


def list_subscriptions(
    ch: ClickHouse, tenant_id: str, *, include_deleted: bool = False
) -> list[Subscription]:
    return SUBSCRIPTIONS.select(
        ch,
        tenant_id,
        where="" if include_deleted else "deleted = 0",
        order_by="created_at, subscription_id",
    )


def reseal_subscription_secrets(ch: ClickHouse, box: SecretBox) -> int:
    """Rewrite every live subscription whose secret is sealed the old way (or not under the
    newest deployment secret); the number rewritten. Values no key opens are left as they
    are (their deliveries fail with `secret_unavailable`, as before)."""
    stale = [s for s in SUBSCRIPTIONS.select(ch, None) if box.needs_reseal(s.secret_sealed)]
    fresh = []
    for sub in stale:
        try:
            fresh.append(replace(sub, secret_sealed=box.seal(box.open(sub.secret_sealed))))
        except SealedSecretError:
            continue
    SUBSCRIPTIONS.write(ch, fresh)
    return len(fresh)


def count_subscriptions(ch: ClickHouse, tenant_id: str) -> int:
    rows = ch.query(
        f"SELECT count() AS n FROM {ch.database}.webhook_subscriptions FINAL "
        "WHERE tenant_id = {tenant_id:String} AND deleted = 0",
        {"tenant_id": tenant_id},
    )
    return int(rows[0]["n"])


def get_subscription(
    ch: ClickHouse, tenant_id: str, subscription_id: str, *, include_deleted: bool = False
) -> Subscription:
    found = SUBSCRIPTIONS.find(ch, tenant_id, subscription_id=subscription_id)
    if found is None or (found.deleted and not include_deleted):
        raise NotFound("unknown webhook", code="webhook_not_found")
    return found


def mark_subscription_deleted(ch: ClickHouse, tenant_id: str, subscription_id: str) -> None:
    sub = get_subscription(ch, tenant_id, subscription_id)
    SUBSCRIPTIONS.write(ch, [replace(sub, deleted=True)])


def record_attempts(ch: ClickHouse, attempts: Sequence[DeliveryAttempt]) -> None:
    if not attempts:
        return

    def col(name: str) -> list[Any]:
        return [getattr(a, name) for a in attempts]

    ch.insert(
        "delivery_log",
        pa.table(
            {
                **{
                    name: col(name)
                    for name in (
                        "tenant_id",
                        "channel",
                        "target_id",
                        "delivery_id",
                        "event_id",
                        "event_type",
                        "error",
                    )
                },
                "attempt": pa.array(col("attempt"), pa.uint16()),
                "status": [a.status.value for a in attempts],
                "status_code": pa.array(col("status_code"), pa.uint16()),
                "duration_ms": pa.array(col("duration_ms"), pa.uint32()),
                "next_attempt_at": pa.array(col("next_attempt_at"), TS),
                "at": pa.array(col("at"), TS),
            }
        ),
        dedupe_token="dl:"
        + hashlib.sha256(
            ",".join(f"{a.delivery_id}#{a.attempt}#{a.status}" for a in attempts).encode()
        ).hexdigest(),
    )


def list_deliveries(
    ch: ClickHouse,
    tenant_id: str,
    target_id: str,
    *,
    channel: str = "webhook",
    delivery_id: str | None = None,
    limit: int = 100,
) -> list[DeliveryAttempt]:
    """Attempts for one target, newest first."""
    params: dict[str, Any] = {
        "tenant_id": tenant_id,
        "channel": channel,
        "target_id": target_id,
        "limit": limit,
    }
    where = (
        "tenant_id = {tenant_id:String} AND channel = {channel:String} "
        "AND target_id = {target_id:String}"
    )
    if delivery_id is not None:
        where += " AND delivery_id = {delivery_id:String}"
        params["delivery_id"] = delivery_id
    rows = ch.query(
        "SELECT tenant_id, channel, target_id, delivery_id, event_id, event_type, attempt, "
        "status, status_code, error, duration_ms, next_attempt_at, at "
        f"FROM {ch.database}.delivery_log WHERE {where} "
        "ORDER BY at DESC, delivery_id DESC, attempt DESC LIMIT {limit:UInt32}",
        params,
    )
    for row in rows:
        row["status"] = DeliveryStatus(row["status"])
    return [DeliveryAttempt(**row) for row in rows]


@dataclass(frozen=True)
class LinkContext:
    """What a payload says about a link: its recipient and document."""

    link_id: str
    document_id: str
    document_title: str
    opportunity_id: str
    contact_id: str
    recipient_email: str
    recipient_name: str
    recipient_role: str


def link_contexts(
    ch: ClickHouse, tenant_id: str, link_ids: Iterable[str]
) -> dict[str, LinkContext]:
    ids = sorted({i for i in link_ids if i and "," not in i})
    if not ids:
        return {}
    rows = ch.query(
        "SELECT l.link_id AS link_id, l.document_id AS document_id, "
        "d.title AS document_title, l.opportunity_id AS opportunity_id, "
        "l.contact_id AS contact_id, l.recipient_email AS recipient_email, "
        "l.recipient_name AS recipient_name, l.recipient_role AS recipient_role "
        f"FROM (SELECT * FROM {ch.database}.links FINAL "
        "      WHERE tenant_id = {tenant_id:String} "
        "      AND has(splitByChar(',', {ids:String}), link_id)) AS l "
        f"LEFT JOIN (SELECT document_id, title FROM {ch.database}.documents FINAL "
        "      WHERE tenant_id = {tenant_id:String}) AS d "
        "ON l.document_id = d.document_id",
        {"tenant_id": tenant_id, "ids": ",".join(ids)},  # ids never contain commas
    )
    return {r["link_id"]: LinkContext(**r) for r in rows}
