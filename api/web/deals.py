"""The numbers shown per deal, from `scoring`'s public surface only.

Today `scoring` exports engagement (value, band, factors, people). Health band, stall flags,
the credibility index, the adjusted forecast, the evidence chain and next actions are not
exported yet: they are `None` here and the pages say "not computed yet" — never a number
made up in the web layer. Wire them in `deal_rows` / the deal page when scoring exports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from api.services import Services
from api.web.repository import OpportunityRow
from scoring import Score, score_opportunities

__all__ = ["SORT_KEYS", "DealRow", "deal_rows", "filter_and_sort"]

SORT_KEYS: Final = ("account", "amount", "stage", "close", "engagement", "owner")


@dataclass(frozen=True)
class DealRow:
    deal: OpportunityRow
    engagement: Score | None
    # Not exported by scoring yet (see the module docstring).
    health_band: str | None = None
    stalled: bool | None = None
    credibility: float | None = None
    adjusted_forecast: Decimal | None = None

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
    scores = (
        await score_opportunities(
            services.clickhouse, services.redis.client, services.settings.scoring, tenant_id, ids
        )
        if ids
        else {}
    )
    return [DealRow(d, scores.get(d.opportunity_id)) for d in deals]


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
