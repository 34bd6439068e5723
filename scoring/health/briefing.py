"""What a rep's daily 客户健康简报 says about each deal needing attention, from scoring: the
health band and value, exactly three ranked next actions (each naming a person, a document
or content and a deadline: `scoring.health.actions`), the last interaction as a message code
with parameters (who did what with which document, when), and the 30-day health trend
(the daily snapshots, today's value last). `outbound` words it in the rep's language.

Needing attention: a red or yellow band, or an open stall. Red first, then stalled, then
yellow; lower health first within each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scoring.health.actions import NextAction
from scoring.health.assess import Assessment, assess, collector_paused
from scoring.health.features import OpportunityFeatures
from scoring.health.history_repository import health_history
from scoring.health.risk_signals import RiskSignal
from scoring.stall.store import open_stalls
from scoring.tenant import load_tenant_scoring
from tracker.config import Settings
from tracker.crm import ever_owned_by
from tracker.stores import ClickHouse

__all__ = ["DealBriefing", "briefing_deals", "held_by", "last_touch", "ranked_briefings"]

TREND_DAYS = 30

Params = dict[str, str | int | float]


@dataclass(frozen=True)
class DealBriefing:
    opportunity_id: str
    account: str
    band: str
    value: float
    stalled: bool
    actions: list[NextAction]
    touch: tuple[str, Params] | None  # (touch.<kind>, params) or None: nothing yet
    trend: list[float] = field(default_factory=list)  # daily health, oldest first
    signals: list[RiskSignal] = field(default_factory=list)  # open early warnings


def _who(f: OpportunityFeatures, person: str) -> str:
    found = f.person(person)
    if found is None:
        return ""
    return f"{found.name} ({found.role})" if found.role else found.name


def last_touch(f: OpportunityFeatures) -> tuple[str, Params] | None:
    """The newest interaction with the buyer: a download, a read, a meeting or a contact the
    customer started — with the person and the document it concerned."""
    found: list[tuple[datetime, str, Params]] = []
    titles = {d.version_id: d.title for d in f.docs}
    if f.last_download is not None:
        _, person, version_id, at = f.last_download
        params: Params = {"who": _who(f, person), "doc": titles.get(version_id, "")}
        found.append((at, "touch.download", params))
    newest_doc = max(
        (d for d in f.docs if d.last_read_at is not None),
        key=lambda d: d.last_read_at or datetime.min,
        default=None,
    )
    for p in f.people:
        who = f"{p.name} ({p.role})" if p.role else p.name
        if p.last_read_at is not None:
            doc = newest_doc.title if newest_doc else ""
            found.append((p.last_read_at, "touch.read", {"who": who, "doc": doc}))
        if p.last_meeting_at is not None:
            found.append((p.last_meeting_at, "touch.meeting", {"who": who}))
    if f.last_customer_contact is not None:
        _, kind, subject, at = f.last_customer_contact
        found.append((at, "touch.contact", {"kind": kind, "subject": subject}))
    if not found:
        return None
    at, code, params = max(found, key=lambda x: x[0])
    return code, {**params, "at": at.isoformat()}


def _rank(d: DealBriefing) -> tuple[int, float]:
    order = 0 if d.band == "red" else 1 if d.stalled or d.signals else 2
    return order, d.value


def briefing_deals(
    ch: ClickHouse,
    settings: Settings,
    tenant_id: str,
    owner: str,
    now: datetime,
    *,
    limit: int = 10,
) -> list[DealBriefing]:
    """The owner's open deals that need attention, ranked (at most `limit`). Only the deals
    the owner ever held are assessed, not the tenant's (a briefing per rep, every rep of the
    tenant: each assessed the whole tenant again)."""
    scoring = load_tenant_scoring(ch, tenant_id, settings.scoring)
    candidates = ever_owned_by(ch, tenant_id, owner)
    # the assessments are dropped before the collector is back on (collector_paused)
    with collector_paused():
        found = assess(ch, scoring, tenant_id, candidates, now, now=now, open_only=True)
        mine = held_by(found, owner)
        del found
    return ranked_briefings(ch, tenant_id, mine, now, limit=limit)


def held_by(found: dict[str, Assessment], owner: str) -> dict[str, Assessment]:
    """The assessed deals whose owner, as of the assessment, is `owner`."""
    return {k: a for k, a in found.items() if a.features.owner.lower() == owner.lower()}


def ranked_briefings(
    ch: ClickHouse, tenant_id: str, mine: dict[str, Assessment], now: datetime, *, limit: int
) -> list[DealBriefing]:
    """The briefings of the assessed deals that need attention, ranked."""
    stalled = set(open_stalls(ch, tenant_id))
    history = health_history(ch, tenant_id, sorted(mine), (now - timedelta(days=TREND_DAYS)).date())
    deals = []
    for k, a in mine.items():
        band = a.health.band.value
        # a blue deal with an early warning (a high-potential customer waiting) is in
        if band == "blue" and k not in stalled and not a.health.signals:
            continue
        points = [v for day, v in history.get(k, []) if day < now.date()]
        deals.append(
            DealBriefing(
                opportunity_id=k,
                account=a.features.account or k,
                band=band,
                value=a.health.value,
                stalled=k in stalled,
                actions=a.health.actions[:3],
                touch=last_touch(a.features),
                trend=[*points, a.health.value],
                signals=list(a.health.signals),
            )
        )
    return sorted(deals, key=_rank)[:limit]
