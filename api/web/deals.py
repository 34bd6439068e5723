"""The numbers shown per deal, from `scoring`'s public surface only: engagement (value,
band, factors, people), health band with next actions, the evidence chain with its
credibility index and adjusted forecast, and the open stall flag. A deal scoring could not
assess (e.g. known only from its documents, not from the CRM) shows "not computed yet" —
never a number made up in the web layer."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from api.services import Services
from scoring import Assessment, Score, TenantScoring, assess, open_stalls, score_opportunities
from tracker.clock import utcnow
from tracker.crm import OpportunityRow
from tracker.stores import ClickHouse

__all__ = ["SORT_KEYS", "DealRow", "deal_rows", "filter_and_sort"]

SORT_KEYS: Final = ("account", "amount", "stage", "close", "engagement", "owner")


@dataclass(frozen=True)
class DealRow:
    deal: OpportunityRow
    engagement: Score | None
    health_band: str | None = None
    stalled: bool | None = None
    credibility: Decimal | None = None
    adjusted_forecast: Decimal | None = None
    assessment: Assessment | None = None

    @property
    def forecast(self) -> Decimal | None:
        """The CRM's own forecast: amount × the CRM probability (not a score)."""
        d = self.deal
        if d.amount is None or d.probability is None:
            return None
        return d.amount * Decimal(d.probability) / Decimal(100)


async def deal_rows(
    services: Services, tenant_id: str, deals: Sequence[OpportunityRow]
) -> list[DealRow]:
    ids = [d.opportunity_id for d in deals]
    if not ids:
        return []
    ch = services.clickhouse
    scoring = await services.scoring.get(ch, tenant_id)
    scores = await score_opportunities(ch, services.redis.client, scoring, tenant_id, ids)
    assessed = await asyncio.to_thread(_assess, ch, scoring, tenant_id, ids)
    stalls = await asyncio.to_thread(open_stalls, ch, tenant_id)
    return [_row(d, scores.get(d.opportunity_id), assessed, stalls) for d in deals]


def _assess(
    ch: ClickHouse, scoring: TenantScoring, tenant_id: str, ids: list[str]
) -> dict[str, Assessment]:
    now = utcnow()
    return assess(ch, scoring, tenant_id, ids, now, now=now)


def _row(
    deal: OpportunityRow,
    engagement: Score | None,
    assessed: dict[str, Assessment],
    stalls: Mapping[str, object],
) -> DealRow:
    found = assessed.get(deal.opportunity_id)
    if found is None:
        return DealRow(deal, engagement)
    evidence = found.evidence
    return DealRow(
        deal,
        engagement,
        health_band=found.health.band.value,
        stalled=deal.opportunity_id in stalls,
        credibility=evidence.credibility_index,
        adjusted_forecast=evidence.adjusted_forecast,
        assessment=found,
    )


def filter_and_sort(
    rows: list[DealRow],
    *,
    query: str = "",
    band: str = "",
    owner: str = "",
    sort: str = "engagement",
    direction: Literal["asc", "desc"] = "desc",
) -> list[DealRow]:
    needle = query.strip().lower()
    kept = [
        r
        for r in rows
        if (not needle or needle in f"{r.deal.opportunity_id} {r.deal.account}".lower())
        and (not band or (r.engagement is not None and r.engagement.band.value == band))
        and (not owner or r.deal.owner.lower() == owner.lower())
    ]
    keys = {
        "account": lambda r: (r.deal.account.lower(), r.deal.opportunity_id),
        "amount": lambda r: (r.deal.amount or Decimal(-1), r.deal.opportunity_id),
        "stage": lambda r: (r.deal.stage, r.deal.opportunity_id),
        "close": lambda r: (
            r.deal.expected_close_date.isoformat() if r.deal.expected_close_date else "9999",
            r.deal.opportunity_id,
        ),
        "engagement": lambda r: (
            r.engagement.value if r.engagement else -1.0,
            r.deal.opportunity_id,
        ),
        "owner": lambda r: (r.deal.owner.lower(), r.deal.opportunity_id),
    }
    key = keys.get(sort, keys["engagement"])
    return sorted(kept, key=key, reverse=direction == "desc")  # type: ignore[arg-type]
