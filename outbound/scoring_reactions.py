"""What leaves the service when scoring finds something: `scoring.published` events become
signed webhooks (`opportunity.stalled`, `opportunity.unstalled`, `health.changed`,
`account.health_changed`) and, given
a notifier, messages to the rep and manager plus the manager's stall to-do (and the alert
for a high-potential customer waiting for a reply: past the second threshold a manager's
to-do and `customer.waiting`, cleared by the reply with `customer.answered`); an account's
customer-health band change becomes its band actions (`outbound.account_actions`).

Every step is idempotent per event (webhook dedupe keys, the outbox's dedupe, to-do ids
derived from the episode), since a job publishes again after a crash."""

from __future__ import annotations

from typing import Any

from outbound.account_actions import react_account_band
from outbound.notify import (
    Notifier,
    escalate_waiting,
    notify_health_red,
    notify_stall,
    notify_unanswered,
    resolve_stall,
    resolve_waiting,
)
from outbound.webhooks import WebhookEmitter
from scoring import (
    AccountBandChanged,
    BandChanged,
    CustomerAnswered,
    CustomerWaiting,
    ScoringEvent,
    ScoringListener,
    StallCleared,
    StallDeal,
    StallEpisode,
    StallOpened,
)

__all__ = ["scoring_listener", "stall_payload"]


def stall_payload(episode: StallEpisode, deal: StallDeal) -> dict[str, Any]:
    """The body of `opportunity.stalled` / `opportunity.unstalled` (the webhook contract)."""
    recipients = [e for e in (episode.owner, episode.manager) if e]
    return {
        "opportunity_id": episode.opportunity_id,
        "episode_id": episode.episode_id,
        "rules": list(episode.rules),
        "summary": episode.summary,
        "account": deal.account,
        "amount": deal.amount,
        "currency": deal.currency,
        "stage": deal.stage,
        "owner": episode.owner,
        "manager": episode.manager,
        "recipients": recipients,
        "onset_at": episode.onset_at.isoformat(),
        "last_activity_at": (
            episode.last_activity_at.isoformat() if episode.last_activity_at else None
        ),
        "detected_at": episode.detected_at.isoformat(),
        "cleared_at": episode.cleared_at.isoformat() if episode.cleared_at else None,
    }


def scoring_listener(emitter: WebhookEmitter, notifier: Notifier | None) -> ScoringListener:
    async def react(event: ScoringEvent) -> None:
        if isinstance(event, StallOpened):
            await _stall_opened(emitter, notifier, event)
        elif isinstance(event, StallCleared):
            await _stall_cleared(emitter, notifier, event)
        elif isinstance(event, CustomerWaiting):
            await _customer_waiting(emitter, notifier, event)
        elif isinstance(event, CustomerAnswered):
            await _customer_answered(emitter, notifier, event)
        elif isinstance(event, AccountBandChanged):
            await _account_band_changed(emitter, notifier, event)
        else:
            await _band_changed(emitter, notifier, event)

    return react


async def _stall_opened(
    emitter: WebhookEmitter, notifier: Notifier | None, event: StallOpened
) -> None:
    episode = event.episode
    await emitter.emit(
        event.tenant_id,
        "opportunity.stalled",
        stall_payload(episode, event.deal),
        dedupe_key=episode.episode_id,
    )
    if notifier is not None:  # idempotent per episode: one message, one to-do
        await notify_stall(notifier, event.tenant_id, episode)


async def _stall_cleared(
    emitter: WebhookEmitter, notifier: Notifier | None, event: StallCleared
) -> None:
    episode = event.episode
    data = {**stall_payload(episode, event.deal), "reason": event.reason}
    await emitter.emit(
        event.tenant_id,
        "opportunity.unstalled",
        data,
        dedupe_key=f"{episode.episode_id}:cleared",
    )
    if notifier is not None:
        await resolve_stall(notifier.ch, event.tenant_id, episode.episode_id)


async def _customer_waiting(
    emitter: WebhookEmitter, notifier: Notifier | None, event: CustomerWaiting
) -> None:
    """The rep is told from the first threshold; from the second the manager too, with a
    to-do on their board, and the CRM gets `customer.waiting` (once per wait)."""
    if notifier is not None:
        await notify_unanswered(notifier, event)
    if event.level != "manager":
        return
    todo_id = await escalate_waiting(notifier, event) if notifier is not None else ""
    data = {
        "opportunity_id": event.opportunity_id,
        "account": event.account,
        "owner": event.owner,
        "manager": event.manager,
        "activity_id": event.activity_id,
        "hours": event.hours,
        "signal": event.signal,
        "todo_id": todo_id,
    }
    key = f"{event.opportunity_id}:{event.activity_id}"
    await emitter.emit(event.tenant_id, "customer.waiting", data, dedupe_key=key)


async def _customer_answered(
    emitter: WebhookEmitter, notifier: Notifier | None, event: CustomerAnswered
) -> None:
    if notifier is not None:
        await resolve_waiting(notifier.ch, event)
    data = {
        "opportunity_id": event.opportunity_id,
        "account": event.account,
        "owner": event.owner,
        "manager": event.manager,
        "activity_id": event.activity_id,
        "reply_id": event.reply_id,
        "answered_at": event.answered_at,
        "hours": event.hours,
    }
    await emitter.emit(event.tenant_id, "customer.answered", data, dedupe_key=event.wait_key)


async def _account_band_changed(
    emitter: WebhookEmitter, notifier: Notifier | None, event: AccountBandChanged
) -> None:
    if notifier is not None:  # the actions write to-dos, links and freezes through it
        await react_account_band(notifier.ch, notifier, event)
    data = {
        "account_id": event.account_id,
        "account_name": event.account_name,
        "previous_band": event.previous_band,
        "band": event.band,
        "value": event.value,
        "owner": event.owner,
        "reasons": list(event.reasons),
        "frozen": event.band == "red",
    }
    await emitter.emit(event.tenant_id, "account.health_changed", data, dedupe_key=event.change_key)


async def _band_changed(
    emitter: WebhookEmitter, notifier: Notifier | None, event: BandChanged
) -> None:
    data = {
        "opportunity_id": event.opportunity_id,
        "previous_band": event.previous_band,
        "band": event.band,
        "value": event.value,
        "owner": event.owner,
        "manager": event.manager,
        "actions": list(event.actions),
    }
    await emitter.emit(event.tenant_id, "health.changed", data, dedupe_key=event.change_key)
    if notifier is not None and event.band == "red":
        await notify_health_red(
            notifier,
            event.tenant_id,
            event.opportunity_id,
            value=event.value,
            previous_band=event.previous_band,
            actions=list(event.action_items),
            change_id=event.change_key,
        )
