"""The account-band job: assess every account of a tenant and publish `AccountBandChanged`
for each one whose band differs from its recorded band — or that has none yet (its first
assessment) — then record the new band. Listeners run before the row is written, so a crash
in between publishes the same change (same `change_key`) again; `outbound` dedupes on it.

    record_account_bands   one tenant, now
    account_band_job       the scheduled run over every tenant (runnable for one)
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from scoring.accounts import AccountHealth, BandRecord, assess_accounts, current_bands, write_bands
from scoring.published import AccountBandChanged, BandActionPlan, ScoringListener, publish_all
from scoring.tenant import load_tenant_scoring
from tracker.clock import utcnow
from tracker.config import Settings
from tracker.crm import AccountDeals, account_deals, list_accounts, tenants_with_accounts
from tracker.scheduler import PeriodicJob
from tracker.scoring_settings import ScoringSettings
from tracker.stores import ClickHouse

__all__ = ["account_band_job", "band_change", "record_account_bands"]

_PAGE = 500


def _plan(t: ScoringSettings, industry: str, manager: str) -> BandActionPlan:
    a = t.account_actions
    return BandActionPlan(
        nurture_document_ids=tuple(a.nurture_documents.get(industry, ())),
        nurture_due_days=a.nurture_due_days,
        presales=a.presales,
        joint_visit_due_days=a.joint_visit_due_days,
        vp=a.team_vps.get(manager, "") or a.vp,
        escalation_due_days=a.escalation_due_days,
    )


def band_change(
    tenant_id: str,
    health: AccountHealth,
    previous: tuple[str, int] | None,
    deals: AccountDeals | None,
    t: ScoringSettings,
) -> AccountBandChanged:
    prev_band, changes = previous or ("", 0)
    owner = health.owner or (deals.owner if deals else "")
    manager = deals.manager if deals else ""
    weakest = sorted(
        (part for p in health.pillars for part in p.parts if part.score is not None),
        key=lambda part: part.score or 0.0,
    )
    return AccountBandChanged(
        tenant_id=tenant_id,
        account_id=health.account_id,
        account_name=health.name,
        industry=health.industry,
        previous_band=prev_band,
        band=health.band.value,
        value=health.value,
        owner=owner,
        manager=manager,
        reasons=tuple(part.summary for part in weakest[:3]),
        plan=_plan(t, health.industry, manager),
        change_key=f"{health.account_id}:{changes}:{prev_band or 'new'}->{health.band.value}",
        weakest=tuple((part.code, part.score or 0.0) for part in weakest[:3]),
    )


def _assess_all(
    ch: ClickHouse, settings: Settings, tenant_id: str, at: datetime
) -> tuple[list[AccountHealth], ScoringSettings]:
    t = load_tenant_scoring(ch, tenant_id, settings.scoring).tuning
    found: list[AccountHealth] = []
    after = ""
    while page := list_accounts(ch, tenant_id, after=after, limit=_PAGE):
        found += assess_accounts(ch, tenant_id, page, at, t.accounts)
        after = page[-1].account_id
    return found, t


async def record_account_bands(
    ch: ClickHouse,
    settings: Settings,
    tenant_id: str,
    *,
    listeners: tuple[ScoringListener, ...] = (),
) -> int:
    """Publish and record every band change of the tenant's accounts; the number changed."""
    at = utcnow()
    found, t = await asyncio.to_thread(_assess_all, ch, settings, tenant_id, at)
    before = await asyncio.to_thread(current_bands, ch, tenant_id)
    changed = [h for h in found if (before.get(h.account_id) or ("", 0))[0] != h.band.value]
    if not changed:
        return 0
    deals = await asyncio.to_thread(account_deals, ch, tenant_id, [h.account_id for h in changed])
    records = []
    for health in changed:
        event = band_change(
            tenant_id, health, before.get(health.account_id), deals.get(health.account_id), t
        )
        await publish_all(listeners, event)
        records.append(
            BandRecord(
                tenant_id=tenant_id,
                account_id=health.account_id,
                change_key=event.change_key,
                band=event.band,
                previous_band=event.previous_band,
                value=health.value,
                assessed_at=at,
            )
        )
    await asyncio.to_thread(write_bands, ch, records)
    return len(records)


def account_band_job(
    ch: ClickHouse, settings: Settings, *, listeners: tuple[ScoringListener, ...] = ()
) -> PeriodicJob:
    """Customer-health bands (and their actions) for every tenant with accounts."""

    async def for_tenant(tenant_id: str) -> int:
        return await record_account_bands(ch, settings, tenant_id, listeners=listeners)

    async def run() -> int:
        tenants = await asyncio.to_thread(tenants_with_accounts, ch)
        return sum([await for_tenant(t) for t in tenants])

    return PeriodicJob(
        "account-bands", settings.scoring.accounts.interval_seconds, run,
        for_tenant=for_tenant,
    )  # fmt: skip
