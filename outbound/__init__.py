"""Everything that leaves the service towards people or systems: signed webhooks
(`outbound.webhooks`), people's notifications — WeCom, Feishu, Slack, email, routing rules,
the outbox, managers' to-dos, daily briefings, mutes (`outbound.notify`) — and the reactions
that feed them: writer batch listeners for link events, and the listener for what scoring
publishes (stalls, band changes).

Sits above `ingest` and `scoring`, which import nothing of it; `api.workers` wires it."""

from __future__ import annotations

from outbound.alert_listener import make_alert_listener
from outbound.reports import scoring_briefing_source
from outbound.scoring_reactions import scoring_listener, stall_payload
from outbound.webhook_listener import make_webhook_listener
from outbound.wiring import (
    briefing_job,
    forecast_report_job,
    notification_channels,
    process_report_job,
    pump_job,
    todo_job,
)

__all__ = [
    "briefing_job",
    "forecast_report_job",
    "make_alert_listener",
    "make_webhook_listener",
    "notification_channels",
    "process_report_job",
    "pump_job",
    "scoring_briefing_source",
    "scoring_listener",
    "stall_payload",
    "todo_job",
]
