"""Everything that leaves the service towards people or systems: signed webhooks
(`outbound.webhooks`), people's notifications — WeCom, Feishu, Slack, email, routing rules,
the outbox, managers' to-dos, daily briefings, mutes (`outbound.notify`) — and the reactions
that feed them: writer batch listeners for link events, and the listener for what scoring
publishes (stalls, band changes, account band actions and their log).

Sits above `ingest` and `scoring`, which import nothing of it; `api.workers` wires it."""

from __future__ import annotations

from outbound.account_action_log import AccountAction
from outbound.account_action_log import list_actions as list_account_actions
from outbound.account_actions import react_account_band
from outbound.alert_listener import make_alert_listener
from outbound.erasure import drop_queued_mentions
from outbound.reports import scoring_briefing_source
from outbound.reseal import reseal_secrets
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
    "AccountAction",
    "briefing_job",
    "drop_queued_mentions",
    "forecast_report_job",
    "list_account_actions",
    "make_alert_listener",
    "make_webhook_listener",
    "notification_channels",
    "process_report_job",
    "pump_job",
    "react_account_band",
    "reseal_secrets",
    "scoring_briefing_source",
    "scoring_listener",
    "stall_payload",
    "todo_job",
]
