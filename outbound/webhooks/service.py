"""Managing a tenant's webhook subscriptions: what the REST API calls (blocking; run it in a
thread). URL vetting, event-type validation, secret generation and sealing happen here."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from outbound.webhooks.addresses import check_url
from outbound.webhooks.crypto import SecretBox
from outbound.webhooks.events import validate_event_types
from outbound.webhooks.model import DeliveryAttempt, Subscription, new_webhook_id
from outbound.webhooks.store import (
    count_subscriptions,
    get_subscription,
    insert_subscription,
    list_deliveries,
    mark_subscription_deleted,
)
from tracker.clock import utcnow
from tracker.config import Settings, resolve_secret_keys
from tracker.errors import BadRequest, Conflict
from tracker.stores import ClickHouse

__all__ = [
    "MAX_DESCRIPTION",
    "MIN_SECRET_LENGTH",
    "create_subscription",
    "delete_subscription",
    "subscription_deliveries",
]

MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 256
MAX_DESCRIPTION = 500


class WeakWebhookSecret(BadRequest):
    code = "weak_webhook_secret"


def create_subscription(
    ch: ClickHouse,
    settings: Settings,
    tenant_id: str,
    *,
    url: str,
    event_types: Sequence[str],
    secret: str | None = None,
    description: str = "",
) -> tuple[Subscription, str]:
    """Store a subscription; return it and its signing secret (the only time it is shown)."""
    types = validate_event_types(event_types)
    target = check_url(url, settings.webhooks.allow_private)
    if secret is not None and not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        raise WeakWebhookSecret(
            f"a webhook secret must be {MIN_SECRET_LENGTH}..{MAX_SECRET_LENGTH} characters"
        )
    if len(description) > MAX_DESCRIPTION:
        raise BadRequest("description too long", code="description_too_long")
    if count_subscriptions(ch, tenant_id) >= settings.webhooks.max_subscriptions:
        raise Conflict(
            f"a tenant may have at most {settings.webhooks.max_subscriptions} webhooks",
            code="too_many_webhooks",
        )
    plaintext = secret or f"whsec_{secrets.token_urlsafe(32)}"
    sub = Subscription(
        tenant_id=tenant_id,
        subscription_id=new_webhook_id("whk"),
        url=target.url.strip(),
        event_types=types,
        description=description,
        created_at=utcnow(),
        secret_sealed=SecretBox(resolve_secret_keys(settings)).seal(plaintext),
    )
    insert_subscription(ch, sub)
    return sub, plaintext


def delete_subscription(ch: ClickHouse, tenant_id: str, subscription_id: str) -> None:
    """Soft-delete; queued deliveries for it are dropped (logged as `dropped`)."""
    mark_subscription_deleted(ch, tenant_id, subscription_id)


def subscription_deliveries(
    ch: ClickHouse, tenant_id: str, subscription_id: str, *, limit: int = 100
) -> list[DeliveryAttempt]:
    """The delivery log of a tenant's subscription (deleted ones too); 404 for others'."""
    get_subscription(ch, tenant_id, subscription_id, include_deleted=True)
    return list_deliveries(ch, tenant_id, subscription_id, limit=limit)
