"""The start-up data migration of sealed secrets: webhook signing secrets and notification
channel configs sealed by the old home-made construction (or under a deployment secret that
is no longer the newest) are opened and sealed again with AES-256-GCM under the newest one.
Idempotent and safe to run in every process: a row already current is left alone."""

from __future__ import annotations

import logging

from outbound.notify import reseal_channel_configs
from outbound.webhooks import SecretBox, reseal_subscription_secrets
from tracker.config import Settings, resolve_secret_keys
from tracker.stores import ClickHouse

__all__ = ["reseal_secrets"]

log = logging.getLogger("dealsignal.outbound")


def reseal_secrets(ch: ClickHouse, settings: Settings) -> int:
    box = SecretBox(resolve_secret_keys(settings))
    count = reseal_subscription_secrets(ch, box) + reseal_channel_configs(ch, box)
    if count:
        log.info("resealed %d outbound secrets with AES-256-GCM", count)
    return count
