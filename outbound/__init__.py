"""Everything that leaves the service towards people or systems: signed webhooks
(`outbound.webhooks`), people's notifications — WeCom, Feishu, Slack, email, routing rules,
the outbox, managers' to-dos, daily briefings, mutes (`outbound.notify`) — and the reactions
that feed them: writer batch listeners for link events, and the listener for what scoring
publishes (stalls, band changes).

Sits above `ingest` and `scoring`, which import nothing of it; `api.workers` wires it."""

from __future__ import annotations

from outbound.alert_listener import make_alert_listener
from outbound.reseal import reseal_secrets
from outbound.scoring_reactions import scoring_listener, stall_payload
from outbound.webhook_listener import make_webhook_listener
from outbound.wiring import briefing_job, notification_channels, pump_job, todo_job

__all__ = [
    "briefing_job",
    "make_alert_listener",
    "make_webhook_listener",
    "notification_channels",
    "pump_job",
    "reseal_secrets",
    "scoring_listener",
    "stall_payload",
    "todo_job",
]
