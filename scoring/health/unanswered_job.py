"""The scheduled look for high-potential customers waiting for a reply
(`scoring.health.unanswered`): per tenant, the cheap conversation scan first, then the health
assessment of only the deals whose wait reached `reply_hours` (high potential needs the
account's pillars and the deal's band); each open wait is published as `CustomerWaiting`
(`outbound` tells the rep, and the manager past `manager_reply_hours` with a to-do and a
webhook); each escalated wait answered since is published as `CustomerAnswered` (the reply
clears the escalation)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from scoring.health.assess import assess
from scoring.health.conversation_repository import fetch_exchanges
from scoring.health.unanswered import answered_waits, unanswered_signal
from scoring.published import (
    CustomerAnswered,
    CustomerWaiting,
    ScoringEvent,
    ScoringListener,
    publish_all,
)
from scoring.tenant import load_tenant_scoring
from tracker.clock import utcnow
from tracker.config import Settings
from tracker.crm import tenants_with_opportunities
from tracker.scheduler import PeriodicJob
from tracker.stores import ClickHouse

__all__ = ["find_waiting_customers", "unanswered_job"]


def _scan(
    ch: ClickHouse, settings: Settings, tenant_id: str, now: datetime
) -> tuple[list[CustomerWaiting], list[CustomerAnswered]]:
    scoring = load_tenant_scoring(ch, tenant_id, settings.scoring)
    ew = scoring.tuning.early_warning
    talks = fetch_exchanges(ch, tenant_id, None, now, ew.reply_lookback_days)
    due = sorted(k for k, talk in talks.items() if unanswered_signal(talk, now, ew) is not None)
    replied = {k: found for k, talk in talks.items() if (found := answered_waits(talk, now, ew))}
    if not due and not replied:
        return [], []
    ids = sorted({*due, *replied})
    assessed = assess(ch, scoring, tenant_id, ids, now, now=now, open_only=True)
    waiting: list[CustomerWaiting] = []
    answered: list[CustomerAnswered] = []
    for k, a in sorted(assessed.items()):
        f = a.features
        signal = next((s for s in a.health.signals if s.code == "customer_unanswered"), None)
        if signal is not None:
            hours = float(signal.params["hours"])
            level = "manager" if hours >= ew.manager_reply_hours else "rep"
            first = signal.activity_ids[0]
            waiting.append(
                CustomerWaiting(
                    tenant_id=tenant_id,
                    opportunity_id=k,
                    account=f.account,
                    owner=f.owner,
                    manager=f.manager,
                    level=level,
                    activity_id=first,
                    hours=hours,
                    manager_hours=ew.manager_reply_hours,
                    signal=signal.model_dump(),
                    alert_key=f"{k}:{first}:{level}",
                )
            )
        # an answered escalation counts where a wait would count today: a high-potential deal
        if k in replied and a.high_potential:
            answered.extend(
                CustomerAnswered(
                    tenant_id=tenant_id,
                    opportunity_id=k,
                    account=f.account,
                    owner=f.owner,
                    manager=f.manager,
                    activity_id=r.first.activity_id,
                    reply_id=r.reply.activity_id,
                    answered_at=r.reply.occurred_at.isoformat(),
                    hours=r.hours,
                    wait_key=f"{k}:{r.first.activity_id}",
                )
                for r in replied[k]
            )
    return waiting, answered


async def find_waiting_customers(
    ch: ClickHouse,
    settings: Settings,
    tenant_id: str,
    *,
    now: datetime,
    listeners: tuple[ScoringListener, ...] = (),
) -> list[CustomerWaiting]:
    """The tenant's open waits as of `now`, each handed to the listeners, then the escalated
    waits answered since (`CustomerAnswered`: the manager's to-do resolves)."""
    waiting, answered = await asyncio.to_thread(_scan, ch, settings, tenant_id, now)
    events: list[ScoringEvent] = [*waiting, *answered]
    for event in events:
        await publish_all(listeners, event)
    return waiting


def unanswered_job(
    ch: ClickHouse,
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    listeners: tuple[ScoringListener, ...] = (),
) -> PeriodicJob:
    async def for_tenant(tenant_id: str) -> list[CustomerWaiting]:
        return await find_waiting_customers(
            ch, settings, tenant_id, now=clock(), listeners=listeners
        )

    async def run() -> dict[str, list[CustomerWaiting]]:
        tenants = await asyncio.to_thread(tenants_with_opportunities, ch)
        return {t: await for_tenant(t) for t in tenants}

    return PeriodicJob(
        "unanswered_customers",
        settings.scoring.early_warning.interval_seconds,
        run,
        for_tenant=for_tenant,
    )
