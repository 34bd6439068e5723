"""Outbound webhooks: subscriptions, signing, the SSRF guard, the Redis delivery queue, the
dispatcher, and event emission.

Producers: `WebhookEmitter(settings, redis, ch).emit(tenant_id, type, data, dedupe_key=…)`.
Workers: `WebhookDispatcher(settings, redis, ch).run_forever(stop)`.
Receivers: `verify_signature(secret, header, body)` (see `outbound.webhooks.signing`)."""

from __future__ import annotations

from outbound.webhooks.addresses import (
    AllowList,
    InsecureWebhookUrl,
    InvalidWebhookUrl,
    PrivateWebhookAddress,
    Target,
    UnresolvableWebhookHost,
    check_host,
    check_url,
)
from outbound.webhooks.channel import Channel, WebhookChannel, classify_status
from outbound.webhooks.crypto import SealedSecretError, SecretBox
from outbound.webhooks.delivery import RetryPolicy, WebhookDispatcher
from outbound.webhooks.emit import WEBHOOK_CHANNEL, SubscriptionCache, WebhookEmitter, emit
from outbound.webhooks.events import (
    EVENT_TYPES,
    UnknownEventType,
    build_event,
    encode_event,
    link_event_data,
    validate_event_types,
)
from outbound.webhooks.model import (
    DeliveryAttempt,
    DeliveryStatus,
    Job,
    Outcome,
    OutcomeKind,
    Subscription,
    WebhookEventType,
)
from outbound.webhooks.queue import Claim, DeliveryQueue
from outbound.webhooks.service import (
    create_subscription,
    delete_subscription,
    subscription_deliveries,
)
from outbound.webhooks.signing import SIGNATURE_HEADER, signature_header, verify_signature
from outbound.webhooks.store import (
    LinkContext,
    get_subscription,
    link_contexts,
    list_deliveries,
    list_subscriptions,
    reseal_subscription_secrets,
)

__all__ = [
    "EVENT_TYPES",
    "SIGNATURE_HEADER",
    "WEBHOOK_CHANNEL",
    "AllowList",
    "Channel",
    "Claim",
    "DeliveryAttempt",
    "DeliveryQueue",
    "DeliveryStatus",
    "InsecureWebhookUrl",
    "InvalidWebhookUrl",
    "Job",
    "LinkContext",
    "Outcome",
    "OutcomeKind",
    "PrivateWebhookAddress",
    "RetryPolicy",
    "SealedSecretError",
    "SecretBox",
    "Subscription",
    "SubscriptionCache",
    "Target",
    "UnknownEventType",
    "UnresolvableWebhookHost",
    "WebhookChannel",
    "WebhookDispatcher",
    "WebhookEmitter",
    "WebhookEventType",
    "build_event",
    "check_host",
    "check_url",
    "classify_status",
    "create_subscription",
    "delete_subscription",
    "emit",
    "encode_event",
    "get_subscription",
    "link_contexts",
    "link_event_data",
    "list_deliveries",
    "list_subscriptions",
    "reseal_subscription_secrets",
    "signature_header",
    "subscription_deliveries",
    "validate_event_types",
    "verify_signature",
]
