"""The daily customer-health briefing per rep.

Each run (every `briefing_interval_seconds`) looks at every rep with open deals; once their
local time has passed `briefing_hour` it queues today's briefing (deduped per rep and local
date, so however many runs and schedulers, one a day). Per deal: the last interaction, the
health trend and three next actions.

Where the numbers come from: a `BriefingSource` can be passed in — `api.workers` passes
scoring's (`outbound.reports.scoring_briefing_source`: the deals needing attention, three
ranked actions each naming a person, content and a deadline, the last interaction as a
sentence, the 30-day health trend). Without one, the
briefing is built from engagement and CRM data here: last interaction = the newer of the
last human view and the last CRM activity; trend = human reading time in the last 7 days
vs the 7 before; actions from downloads, reader count, silence and the close date."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from outbound.notify.facts_store import DealFacts, briefing_owners, people, rep_deals
from outbound.notify.model import NotifyEvent
from outbound.notify.outbox import Notifier
from outbound.notify.preferences import zone_of
from outbound.notify.store import list_preferences
from tracker.clock import utcnow
from tracker.crm import tenants_with_opportunities
from tracker.stores import ClickHouse

__all__ = ["BriefingDeal", "BriefingSource", "default_briefing_deals", "run_briefings"]


@dataclass(frozen=True)
class BriefingDeal:
    opportunity_id: str
    account: str
    last_at: datetime | None
    last_kind: str  # "view" | "activity:<type>" | free text
    trend: str  # up | down | flat | new
    band: str = ""  # blue | yellow | red | '' (unknown)
    # {"code": "act.*", "params": {...}} (translated here) or {"text": "..."} (as given)
    actions: list[dict[str, Any]] = field(default_factory=list)
    # the last interaction as a sentence: {"code": "touch.<kind>", "params": {...}}
    touch: dict[str, Any] = field(default_factory=dict)
    trend_points: list[float] = field(default_factory=list)  # 30-day health, oldest first
    link: str = ""  # the deal's page in the web app
    # open early warnings: {"code", "params", "summary"} (`scoring.RiskSignal`), rendered here
    signals: list[dict[str, Any]] = field(default_factory=list)

    def facts(self) -> dict[str, Any]:
        return {
            "opportunity_id": self.opportunity_id,
            "account": self.account,
            "last_at": self.last_at.isoformat() if self.last_at else "",
            "last_kind": self.last_kind,
            "trend": self.trend,
            "band": self.band,
            "actions": self.actions[:3],
            "touch": self.touch,
            "trend_points": self.trend_points[-30:],
            "link": self.link,
            "signals": self.signals,
        }


# (tenant_id, rep email, now) -> deals
BriefingSource = Callable[[str, str, datetime], Awaitable[list[BriefingDeal]]]


def _trend(d: DealFacts) -> str:
    if d.dwell_7d_s == 0 and d.dwell_prev_7d_s == 0:
        return "new" if d.last_view_at is None else "flat"
    if d.dwell_7d_s > d.dwell_prev_7d_s * 1.2:
        return "up"
    if d.dwell_7d_s < d.dwell_prev_7d_s * 0.8:
        return "down"
    return "flat"


def _actions(d: DealFacts, now: datetime) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if d.downloads_7d:
        found.append({"code": "act.download"})
    last = max((t for t in (d.last_view_at, d.last_activity_at) if t), default=None)
    if last is None or now - last > timedelta(days=7):
        found.append({"code": "act.silent"})
    if d.expected_close_date and 0 <= (d.expected_close_date - now.date()).days <= 14:
        found.append({"code": "act.close", "params": {"date": d.expected_close_date.isoformat()}})
    if d.viewers_7d >= 3:
        found.append({"code": "act.committee", "params": {"n": d.viewers_7d}})
    if _trend(d) == "down":
        found.append({"code": "act.cooling"})
    found += [{"code": "act.meeting"}, {"code": "act.case"}]
    return found[:3]


def default_briefing_deals(deals: list[DealFacts], now: datetime) -> list[BriefingDeal]:
    out = []
    for d in deals:
        view, act = d.last_view_at, d.last_activity_at
        last_at: datetime | None
        if act is not None and (view is None or act > view):
            last_at, kind = act, f"activity:{d.last_activity_type}"
        else:
            last_at, kind = view, "view"
        out.append(
            BriefingDeal(
                d.opportunity_id, d.account, last_at, kind, _trend(d), "", _actions(d, now)
            )
        )
    return out


async def run_briefings(
    notifier: Notifier,
    ch: ClickHouse,
    *,
    source: BriefingSource | None = None,
    now: datetime | None = None,
    tenant_ids: Collection[str] | None = None,
) -> int:
    """Queue today's briefing for every rep (of `tenant_ids`, default all tenants) past their
    local briefing hour; the number queued now (reps already briefed today are skipped by
    the dedupe key)."""
    ns = notifier.ns
    moment = now or utcnow()
    queued = 0
    if tenant_ids is None:
        tenant_ids = await asyncio.to_thread(tenants_with_opportunities, ch)
    for tenant_id in tenant_ids:
        owners = await asyncio.to_thread(briefing_owners, ch, tenant_id)
        prefs = await asyncio.to_thread(list_preferences, ch, tenant_id, owners)
        names = await asyncio.to_thread(people, ch, tenant_id, owners)
        for owner in owners:
            pref = prefs.get(owner)
            if pref is not None and not pref.briefing:
                continue
            local = moment.astimezone(zone_of(pref, ns.default_time_zone))
            if local.hour < ns.briefing_hour:
                continue
            key = f"{owner}:{local.date().isoformat()}"
            # briefed today already: the job runs every few minutes, and each rep's deals
            # are assessed to build the facts (~1 s a rep on a 10k-deal tenant)
            if await notifier.published(tenant_id, NotifyEvent.DAILY_BRIEFING, key):
                continue
            if source is not None:
                deals = await source(tenant_id, owner, moment)
            else:
                rows = await asyncio.to_thread(
                    rep_deals, ch, tenant_id, owner, moment, limit=ns.briefing_max_deals
                )
                deals = default_briefing_deals(rows, moment)
            person = names.get(owner)
            facts = {
                "name": person.name if person else owner,
                "date": local.date().isoformat(),
                "deals": [d.facts() for d in deals],
                "scored": source is not None,  # an empty list then means "nothing needs you"
                "now": moment.isoformat(),  # "yesterday" is relative to when it was built
            }
            queued += await notifier.publish(
                tenant_id,
                NotifyEvent.DAILY_BRIEFING,
                facts,
                dedupe_key=key,
                owner=owner,
                manager=None,  # a rep's own briefing
            )
    return queued
