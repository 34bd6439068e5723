"""The scheduled look for high-potential customers waiting for a reply
(`scoring.health.unanswered`): per tenant, the cheap conversation scan first, then the health
assessment of only the deals whose wait reached `reply_hours` (high potential needs the
account's pillars and the deal's band); each open wait is published as `CustomerWaiting`
(`outbound` tells the rep, and the manager past `manager_reply_hours`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from scoring.health.assess import assess
from scoring.health.conversation_repository import fetch_exchanges
from scoring.health.unanswered import unanswered_signal
from scoring.published import CustomerWaiting, ScoringListener, publish_all
from scoring.tenant import load_tenant_scoring
from tracker.clock import utcnow
from tracker.config import Settings
from tracker.crm import tenants_with_opportunities
from tracker.scheduler import PeriodicJob
from tracker.stores import ClickHouse

__all__ = ["find_waiting_customers", "unanswered_job"]


def _waiting(
    ch: ClickHouse, settings: Settings, tenant_id: str, now: datetime
) -> list[CustomerWaiting]:
    scoring = load_tenant_scoring(ch, tenant_id, settings.scoring)
    ew = scoring.tuning.early_warning
    talks = fetch_exchanges(ch, tenant_id, None, now, ew.reply_lookback_days)
    due = sorted(k for k, talk in talks.items() if unanswered_signal(talk, now, ew) is not None)
    if not due:
        return []
    found: list[CustomerWaiting] = []
    for k, a in sorted(assess(ch, scoring, tenant_id, due, now, now=now, open_only=True).items()):
        signal = next((s for s in a.health.signals if s.code == "customer_unanswered"), None)
        if signal is None:  # not high-potential
            continue
        hours = float(signal.params["hours"])
        level = "manager" if hours >= ew.manager_reply_hours else "rep"
        first = signal.activity_ids[0]
        found.append(
            CustomerWaiting(
                tenant_id=tenant_id,
                opportunity_id=k,
                account=a.features.account,
                owner=a.features.owner,
                manager=a.features.manager,
                level=level,
                activity_id=first,
                hours=hours,
                manager_hours=ew.manager_reply_hours,
                signal=signal.model_dump(),
                alert_key=f"{k}:{first}:{level}",
            )
        )
    return found


async def find_waiting_customers(
    ch: ClickHouse,
    settings: Settings,
    tenant_id: str,
    *,
    now: datetime,
    listeners: tuple[ScoringListener, ...] = (),
) -> list[CustomerWaiting]:
    """The tenant's open waits as of `now`, each handed to the listeners."""
    found = await asyncio.to_thread(_waiting, ch, settings, tenant_id, now)
    for event in found:
        await publish_all(listeners, event)
    return found


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
